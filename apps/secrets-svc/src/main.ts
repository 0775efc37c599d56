// secrets-svc: the secrets building block as its own service, serving SecretsApi over the
// internal transport to every gateway in split mode. Wiring only.
import { bootSecretsSvc, processIo } from '@tessera/nest';

void bootSecretsSvc(processIo(process.argv.slice(2)));
