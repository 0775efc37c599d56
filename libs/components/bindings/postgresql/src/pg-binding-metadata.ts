// Component metadata of `bindings.postgresql` / `bindings.postgres` v1 (components.md 5.19) and
// the pure pieces of the binding's wire format: the `params` request metadata, the JSON of query
// rows (`[[col1, col2], …]`, bigint/numeric as JSON numbers, bytea as base64, as Dapr's pgx rows
// marshal) and the timing metadata (RFC 3339 times, Go duration text).
import type { PoolConfig } from 'pg';
import { parseConnectionString, toPoolConfig } from '@tessera/common-postgres';
import { ComponentConfigError, parseDuration, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface PostgresBindingSettings {
  readonly pool: PoolConfig;
  readonly timeoutMs: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

export function parsePostgresBindingMetadata(meta: ComponentMetadata): PostgresBindingSettings {
  const v = prop(meta, 'timeout');
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (v !== undefined && v.trim() !== '') {
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0) throw new ComponentConfigError('timeout', `a positive Go duration such as "20s", got "${v}"`);
    timeoutMs = ms;
  }
  const { poolMaxConns, ...pool } = toPoolConfig(parseConnectionString(requiredProp(meta, 'connectionString')));
  let max = poolMaxConns ?? 5;
  const maxConns = prop(meta, 'maxConns');
  if (maxConns !== undefined && maxConns.trim() !== '') {
    const n = Number(maxConns);
    if (!Number.isInteger(n)) throw new ComponentConfigError('maxConns', `an integer, got "${maxConns}"`);
    if (n > 0) max = n;
  }
  return { pool: { ...pool, max, connectionTimeoutMillis: pool.connectionTimeoutMillis ?? timeoutMs, query_timeout: timeoutMs }, timeoutMs };
}

/** `params` metadata: a JSON array of positional parameters ($1, $2, …); undefined when absent. */
export function parseParams(text: string | undefined): unknown[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`metadata "params" is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(v)) throw new Error('metadata "params" must be a JSON array');
  // Objects and arrays go to PostgreSQL as JSON text (json/jsonb parameters), as pgx encodes them.
  return v.map((p) => (p !== null && typeof p === 'object' ? JSON.stringify(p) : p));
}

/** A numeric value kept as its exact PostgreSQL text, written into JSON as a bare number. */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** JSON of query rows: an array of row arrays. */
export function rowsToJson(rows: readonly unknown[][]): string {
  return `[${rows.map((r) => `[${r.map(valueToJson).join(',')}]`).join(',')}]`;
}

function valueToJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof RawNumber) return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v.text) ? v.text : JSON.stringify(v.text);
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('base64'));
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'null' : JSON.stringify(rfc3339(v));
  if (Array.isArray(v)) return `[${v.map(valueToJson).join(',')}]`;
  const s = JSON.stringify(v);
  return s === undefined ? 'null' : s;
}

/** RFC 3339 with the fraction's trailing zeros trimmed (Go's RFC3339Nano), always UTC. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0+Z$/, (_m, f: string) => (f === '' ? 'Z' : `.${f}Z`));
}

/** Go's time.Duration.String() for a span in nanoseconds: "850µs", "1.5ms", "2.25s", "1m30s". */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  const sign = neg ? '-' : '';
  const frac = (value: bigint, unit: bigint, digits: number): string => {
    const whole = value / unit;
    const rest = (value % unit).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest === '' ? `${whole}` : `${whole}.${rest}`;
  };
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${frac(u, 1000n, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${frac(u, 1_000_000n, 6)}ms`;
  let out = '';
  const h = u / 3_600_000_000_000n;
  u %= 3_600_000_000_000n;
  const m = u / 60_000_000_000n;
  u %= 60_000_000_000n;
  if (h > 0n) out += `${h}h`;
  if (h > 0n || m > 0n) out += `${m}m`;
  return `${sign}${out}${frac(u, 1_000_000_000n, 9)}s`;
}
