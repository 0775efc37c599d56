// The gateway of one app (the sidecar). With --state-svc-address the state block is the remote
// state-svc (split mode); without it the blocks run in-process. Wiring only.
import { bootRuntime, processIo } from '@tessera/nest';

void bootRuntime(processIo(process.argv.slice(2)), false);
