// Public surface of @tessera/secretstore-env.
export { createEnvSecretStore, EnvSecretStore, envVarAllowed } from './env-secret-store';
