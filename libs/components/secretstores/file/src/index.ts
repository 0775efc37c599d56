// Public surface of @tessera/secretstore-file.
export { createFileSecretStore, FileSecretStore } from './file-secret-store';
