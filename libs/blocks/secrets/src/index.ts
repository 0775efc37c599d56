// Public surface of @tessera/block-secrets.
export { SecretsBlock } from './secrets.block';
export { ScopedSecretsApi, withSecretScopes } from './scoped-secrets-api';
export { SecretStores } from './secret-stores';
export type { SecretStoreEntry } from './secret-stores';
export { SecretScopes, parseSecretScopes } from './secret-scopes';
export type { SecretScope } from './secret-scopes';
export {
  startSecretStore,
  loadSecretStores,
  closeSecretStores,
  secretResolverFor,
  SecretStoreLoadError,
} from './secret-store-loader';
export type { SecretStoreComponentSpec, SecretLoaderLogger, SecretStoreFactoryLookup } from './secret-store-loader';
