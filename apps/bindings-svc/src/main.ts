// bindings-svc: the bindings building block as its own service, serving BindingsApi over the
// internal transport to every gateway in split mode (default port 50103). Wiring only.
import { bootBindingsSvc, processIo } from '@tessera/nest';

void bootBindingsSvc(processIo(process.argv.slice(2)));
