// The all-in-one runtime: the gateway and every building block in one process, on embedded
// defaults unless --resources-path says otherwise. Wiring only.
import { bootRuntime, processIo } from '@tessera/nest';

void bootRuntime(processIo(process.argv.slice(2)), true);
