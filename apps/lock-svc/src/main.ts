// lock-svc: the distributed lock building block as its own service, serving LockApi over the
// internal transport to every gateway in split mode (default port 50106). Wiring only.
import { bootLockSvc, processIo } from '@tessera/nest';

void bootLockSvc(processIo(process.argv.slice(2)));
