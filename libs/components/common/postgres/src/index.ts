// Public surface of @tessera/common-postgres: the PostgreSQL client helpers components share.
export { parseConnectionString, toPoolConfig } from './pg-connection-string';
export type { Keywords } from './pg-connection-string';
export { createIfAbsent, isCreateRace } from './pg-ddl';
