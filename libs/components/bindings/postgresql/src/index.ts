// Public surface of @tessera/bindings-postgresql: the `bindings.postgresql` / `bindings.postgres`
// v1 factory (output only).
export { createPostgresBinding, POSTGRES_OPERATIONS } from './pg-binding';
export { parsePostgresBindingMetadata, parseParams, rowsToJson, rfc3339, formatGoDuration } from './pg-binding-metadata';
export type { PostgresBindingSettings } from './pg-binding-metadata';
