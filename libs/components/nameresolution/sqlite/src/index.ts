// Public surface of @tessera/nameresolution-sqlite.
export { createSqliteNameResolver, DEAD_AFTER_INTERVALS } from './sqlite-name-resolver';
