// Public surface of @tessera/state-sqlite.
export { createSqliteStateStore } from './sqlite-state-store';
