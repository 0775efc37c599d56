// Public surface of @tessera/lock-sqlite: the `lock.sqlite` v1 factory (the embedded default).
export { createSqliteLockStore } from './sqlite-lock-store';
export { parseSqliteLockMetadata } from './sqlite-lock-metadata';
export type { SqliteLockSettings } from './sqlite-lock-metadata';
