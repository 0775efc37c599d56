// Public surface of @tessera/lock-postgresql: the `lock.postgresql` / `lock.postgres` v1 factory.
export { createPostgresLockStore } from './pg-lock-store';
export { parsePostgresLockMetadata } from './pg-lock-metadata';
export type { PostgresLockSettings } from './pg-lock-metadata';
