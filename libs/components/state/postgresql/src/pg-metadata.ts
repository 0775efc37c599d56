// Component metadata of `state.postgresql` / `state.postgres` v1 (components.md 5.2), parsed and
// checked once at init. Table names are validated here because they go into SQL text unquoted,
// exactly as Dapr writes them (so `MyState` and Dapr's `mystate` are the same table).
import { availableParallelism } from 'node:os';
import type { PoolConfig } from 'pg';
import { ComponentConfigError, prop } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';
import { parseDuration } from '@tessera/spi';
import { parseConnectionString, toPoolConfig } from '@tessera/common-postgres';

export interface PostgresStateSettings {
  readonly pool: PoolConfig;
  /** `table` or `schema.table`, validated; used verbatim in SQL. */
  readonly tableName: string;
  readonly metadataTableName: string;
  readonly timeoutMs: number;
  /** undefined = no periodic cleanup of expired rows. */
  readonly cleanupIntervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_CLEANUP_MS = 3_600_000;
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

export function parsePostgresMetadata(meta: ComponentMetadata): PostgresStateSettings {
  const version = (meta.version || 'v1').toLowerCase();
  if (version !== 'v1') {
    throw new ComponentConfigError('spec.version', `"v1" (state.postgresql ${meta.version} is not supported yet by Tessera)`);
  }

  const timeoutMs = durationProp(meta, 'timeout', 'timeoutInSeconds', DEFAULT_TIMEOUT_MS);
  if (timeoutMs < 1000) throw new ComponentConfigError('timeout', 'a duration of at least 1s');
  const cleanup = durationProp(meta, 'cleanupInterval', 'cleanupIntervalInSeconds', DEFAULT_CLEANUP_MS);

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

  const maxConnsText = prop(meta, 'maxConns');
  let max = poolMaxConns ?? Math.max(4, availableParallelism());
  if (maxConnsText !== undefined && maxConnsText.trim() !== '') {
    const n = Number(maxConnsText);
    if (!Number.isInteger(n)) throw new ComponentConfigError('maxConns', `an integer, got "${maxConnsText}"`);
    if (n > 0) max = n;
  }

  return {
    pool: {
      ...pool,
      max,
      connectionTimeoutMillis: pool.connectionTimeoutMillis ?? timeoutMs,
      statement_timeout: timeoutMs,
    },
    tableName: tableProp(meta, 'tableName', 'state'),
    metadataTableName: tableProp(meta, 'metadataTableName', 'dapr_metadata'),
    timeoutMs,
    ...(cleanup > 0 ? { cleanupIntervalMs: cleanup } : {}),
  };
}

function durationProp(meta: ComponentMetadata, name: string, secondsAlias: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v !== undefined && v.trim() !== '') {
    const ms = parseDuration(v);
    if (ms === undefined) throw new ComponentConfigError(name, `a Go duration such as "30s" or "1h", got "${v}"`);
    return ms;
  }
  const alias = prop(meta, secondsAlias);
  if (alias !== undefined && alias.trim() !== '') {
    const n = Number(alias);
    if (!Number.isFinite(n)) throw new ComponentConfigError(secondsAlias, `a number of seconds, got "${alias}"`);
    return n * 1000;
  }
  return fallbackMs;
}

function tableProp(meta: ComponentMetadata, name: string, fallback: string): string {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallback;
  if (!TABLE_NAME.test(v)) throw new ComponentConfigError(name, `"table" or "schema.table" (letters, digits, _ and $), got "${v}"`);
  return v;
}
