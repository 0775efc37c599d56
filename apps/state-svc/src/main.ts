// state-svc: the state building block as its own service, serving StateApi over the internal
// transport to every gateway in split mode. Wiring only.
import { bootStateSvc, processIo } from '@tessera/nest';

void bootStateSvc(processIo(process.argv.slice(2)));
