// Component metadata of `configuration.postgresql` / `configuration.postgres` v1 (components.md
// 5.13), parsed and checked once at init. The table name goes into SQL text, so it is validated
// as Dapr does: lower-case letters, digits, `_`, `.` (schema-qualified) and `/`, at most 64 chars.
import type { PoolConfig } from 'pg';
import { ComponentConfigError, parseDuration, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';
import { parseConnectionString, toPoolConfig } from '@tessera/common-postgres';

export interface PostgresConfigurationSettings {
  readonly pool: PoolConfig;
  /** Validated; used verbatim in SQL (`table` or `schema.table`). */
  readonly table: string;
  readonly timeoutMs: number;
}

const TABLE_CHARS = /^[a-z0-9./_]*$/;
const MAX_IDENTIFIER_LENGTH = 64;
const DEFAULT_TIMEOUT_MS = 20_000;

export function parsePostgresConfigurationMetadata(meta: ComponentMetadata): PostgresConfigurationSettings {
  const table = requiredProp(meta, 'table');
  if (table.length > MAX_IDENTIFIER_LENGTH) {
    throw new ComponentConfigError('table', `a table name of at most ${MAX_IDENTIFIER_LENGTH} characters, got ${table.length}`);
  }
  if (!TABLE_CHARS.test(table) || table.startsWith('.') || table.endsWith('.')) {
    throw new ComponentConfigError('table', `a lower-case table name (letters, digits, "_", "." for a schema), got "${table}"`);
  }
  const timeoutMs = duration(meta, 'timeout', DEFAULT_TIMEOUT_MS);
  const base = toPoolConfig(parseConnectionString(requiredProp(meta, 'connectionString')));
  const { poolMaxConns, ...pool } = base;
  let max = poolMaxConns ?? 5;
  const maxConns = prop(meta, 'maxConns');
  if (maxConns !== undefined && maxConns.trim() !== '') {
    const n = Number(maxConns);
    if (!Number.isInteger(n)) throw new ComponentConfigError('maxConns', `an integer, got "${maxConns}"`);
    if (n > 0) max = n;
  }
  return {
    pool: { ...pool, max, connectionTimeoutMillis: pool.connectionTimeoutMillis ?? timeoutMs, statement_timeout: timeoutMs },
    table,
    timeoutMs,
  };
}

function duration(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallbackMs;
  const ms = parseDuration(v); // a bare number is seconds
  if (ms === undefined || ms <= 0) throw new ComponentConfigError(name, `a positive Go duration such as "20s", got "${v}"`);
  return ms;
}
