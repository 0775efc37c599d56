// pubsub-svc: the publish and subscribe building block as its own service, serving PubSubApi over
// the internal transport to every gateway in split mode (default port 50102). Wiring only.
import { bootPubSubSvc, processIo } from '@tessera/nest';

void bootPubSubSvc(processIo(process.argv.slice(2)));
