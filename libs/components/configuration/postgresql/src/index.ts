// Public surface of @tessera/configuration-postgresql: the `configuration.postgresql` v1 factory.
export { createPostgresConfigurationStore, parsePayload, quoteChannel } from './pg-configuration-store';
export { parsePostgresConfigurationMetadata } from './pg-configuration-metadata';
export type { PostgresConfigurationSettings } from './pg-configuration-metadata';
