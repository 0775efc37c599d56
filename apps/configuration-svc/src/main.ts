// configuration-svc: the configuration building block as its own service, serving ConfigurationApi
// (get, subscription streams, unsubscribe) over the internal transport to every gateway in split
// mode (default port 50105). Wiring only.
import { bootConfigurationSvc, processIo } from '@tessera/nest';

void bootConfigurationSvc(processIo(process.argv.slice(2)));
