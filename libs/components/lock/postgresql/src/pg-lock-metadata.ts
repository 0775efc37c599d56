// Component metadata of `lock.postgresql` / `lock.postgres` (Tessera's; Dapr has no PostgreSQL
// lock store), parsed once at init. Connection settings are read as `state.postgresql` reads them.
import { availableParallelism } from 'node:os';
import type { PoolConfig } from 'pg';
import { ComponentConfigError, parseDuration, prop } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';
import { parseConnectionString, toPoolConfig } from '@tessera/common-postgres';

export interface PostgresLockSettings {
  readonly pool: PoolConfig;
  /** `table` or `schema.table`, validated; used verbatim in SQL. */
  readonly tableName: string;
  /** undefined = no periodic removal of expired rows. */
  readonly cleanupIntervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_CLEANUP_MS = 3_600_000;
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

export function parsePostgresLockMetadata(meta: ComponentMetadata): PostgresLockSettings {
  const timeoutMs = duration(meta, 'timeout', DEFAULT_TIMEOUT_MS);
  if (timeoutMs < 1000) throw new ComponentConfigError('timeout', 'a duration of at least 1s');
  const cleanup = duration(meta, 'cleanupInterval', DEFAULT_CLEANUP_MS);

  const connectionString = prop(meta, 'connectionString');
  let base: PoolConfig & { poolMaxConns?: number };
  if (connectionString !== undefined && connectionString.trim() !== '') {
    base = toPoolConfig(parseConnectionString(connectionString));
  } else {
    const kw: Record<string, string> = {};
    for (const name of ['host', 'hostaddr', 'port', 'user', 'password', 'database', 'sslRootCert']) {
      const v = prop(meta, name);
      if (v !== undefined && v !== '') kw[name === 'sslRootCert' ? 'sslrootcert' : name] = v;
    }
    if (!kw['host'] && !kw['hostaddr']) {
      throw new ComponentConfigError('connectionString', 'a non-empty value (it is required unless "host" is given)');
    }
    base = toPoolConfig(kw);
  }
  const { poolMaxConns, ...pool } = base;
  let max = poolMaxConns ?? Math.max(4, availableParallelism());
  const maxConns = prop(meta, 'maxConns');
  if (maxConns !== undefined && maxConns.trim() !== '') {
    const n = Number(maxConns);
    if (!Number.isInteger(n)) throw new ComponentConfigError('maxConns', `an integer, got "${maxConns}"`);
    if (n > 0) max = n;
  }

  const tableName = prop(meta, 'tableName') || 'tessera_locks';
  if (!TABLE_NAME.test(tableName)) throw new ComponentConfigError('tableName', `"table" or "schema.table" (letters, digits, _ and $), got "${tableName}"`);
  return {
    pool: { ...pool, max, connectionTimeoutMillis: pool.connectionTimeoutMillis ?? timeoutMs, statement_timeout: timeoutMs },
    tableName,
    ...(cleanup > 0 ? { cleanupIntervalMs: cleanup } : {}),
  };
}

function duration(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallbackMs;
  const ms = parseDuration(v);
  if (ms === undefined) throw new ComponentConfigError(name, `a Go duration such as "30s" or "1h", got "${v}"`);
  return ms;
}
