// Configuration of `nameresolution.sqlite` (spec/components.md 5.23), parsed and checked once in
// init(); defaults and rules are components-contrib nameresolution/sqlite/sqlite_metadata.go.
// Nothing here touches the database.
import { boolProp, ComponentConfigError, durationProp, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface SqliteNameResolverMetadata {
  /** Path for better-sqlite3, or ':memory:' (only useful inside one process). */
  readonly filename: string;
  readonly inMemory: boolean;
  /** `_pragma=name(value)` parameters of a `file:` connection string, applied after opening. */
  readonly pragmas: ReadonlyArray<readonly [string, string]>;
  readonly tableName: string;
  readonly metadataTableName: string;
  /** Time allowed for one heartbeat; the heartbeat runs every updateInterval - timeout. */
  readonly timeoutMs: number;
  /** How long a statement waits for another process's lock. */
  readonly busyTimeoutMs: number;
  /** Whole seconds. A row is live while now - last_update < updateInterval. */
  readonly updateIntervalSec: number;
  /** <= 0 disables the removal of long-dead rows. */
  readonly cleanupIntervalMs: number;
  readonly disableWAL: boolean;
  /** Tessera addition: how long resolve() reuses the live rows of an app; 0 disables. */
  readonly cacheTtlMs: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function tableProp(meta: ComponentMetadata, name: string, fallback: string): string {
  const v = prop(meta, name) || fallback;
  if (!IDENTIFIER.test(v)) throw new ComponentConfigError(name, `a table name of letters, digits and underscores, got "${v}"`);
  return v;
}

/** A plain file path, `:memory:`, or a SQLite URI (`file:nr.db?_pragma=busy_timeout(500)`). */
export function parseConnectionString(cs: string): Pick<SqliteNameResolverMetadata, 'filename' | 'inMemory' | 'pragmas'> {
  if (cs === ':memory:') return { filename: ':memory:', inMemory: true, pragmas: [] };
  if (!cs.startsWith('file:')) return { filename: cs, inMemory: false, pragmas: [] };
  const rest = cs.slice('file:'.length);
  const q = rest.indexOf('?');
  let path = q < 0 ? rest : rest.slice(0, q);
  try {
    path = decodeURIComponent(path);
  } catch {
    // a literal '%' in a path: keep it as written
  }
  if (path.startsWith('//')) path = path.slice(2); // file:///abs/path
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  const pragmas = params.getAll('_pragma').map((p): [string, string] => {
    const m = /^([A-Za-z_]+)\(([\w.-]+)\)$/.exec(p);
    if (!m || m[1] === undefined || m[2] === undefined) throw new ComponentConfigError('connectionString', `_pragma as name(value), got "${p}"`);
    return [m[1], m[2]];
  });
  const inMemory = path === ':memory:' || path === '' || params.get('mode') === 'memory';
  return { filename: inMemory ? ':memory:' : path, inMemory, pragmas };
}

export function parseSqliteNameResolverMetadata(meta: ComponentMetadata): SqliteNameResolverMetadata {
  const timeoutMs = durationProp(meta, 'timeout', 1_000);
  if (timeoutMs <= 0) throw new ComponentConfigError('timeout', `a positive duration, got "${prop(meta, 'timeout') ?? ''}"`);
  const updateIntervalMs = durationProp(meta, 'updateInterval', 5_000);
  if (updateIntervalMs <= 0 || updateIntervalMs % 1000 !== 0) {
    throw new ComponentConfigError('updateInterval', `a positive whole number of seconds, got "${prop(meta, 'updateInterval') ?? ''}"`);
  }
  if (updateIntervalMs - timeoutMs < 1000) {
    throw new ComponentConfigError('updateInterval', `at least 1s more than timeout (${timeoutMs} ms), got ${updateIntervalMs} ms`);
  }
  const cleanupRaw = prop(meta, 'cleanupInterval') ? 'cleanupInterval' : 'cleanupIntervalInSeconds';
  const cacheTtlMs = durationProp(meta, 'cacheTTL', 1_000);
  if (cacheTtlMs < 0) throw new ComponentConfigError('cacheTTL', `a duration >= 0, got "${prop(meta, 'cacheTTL') ?? ''}"`);
  return {
    ...parseConnectionString(requiredProp(meta, 'connectionString')),
    tableName: tableProp(meta, 'tableName', 'hosts'),
    metadataTableName: tableProp(meta, 'metadataTableName', 'metadata'),
    timeoutMs,
    busyTimeoutMs: Math.max(0, durationProp(meta, 'busyTimeout', 800)),
    updateIntervalSec: updateIntervalMs / 1000,
    cleanupIntervalMs: durationProp(meta, cleanupRaw, 3_600_000),
    disableWAL: boolProp(meta, 'disableWAL', false),
    cacheTtlMs,
  };
}
