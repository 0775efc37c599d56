// Public surface of @tessera/state-postgresql: the `state.postgresql` / `state.postgres` v1 factory.
export { createPostgresStateStore } from './pg-state-store';
export { parsePostgresMetadata } from './pg-metadata';
export type { PostgresStateSettings } from './pg-metadata';
