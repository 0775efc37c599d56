// Component metadata of `lock.sqlite` (Tessera's; Dapr has no SQLite lock store), parsed once in
// init(). The names follow `state.sqlite` so one connection string can serve both.
import { ComponentConfigError, boolProp, durationProp, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface SqliteLockSettings {
  /** Path for better-sqlite3, or ':memory:'. */
  readonly filename: string;
  readonly inMemory: boolean;
  /** `_pragma=name(value)` parameters of a `file:` connection string, applied after opening. */
  readonly pragmas: ReadonlyArray<readonly [string, string]>;
  readonly tableName: string;
  /** How long a writer waits for another process holding the file's write lock. */
  readonly busyTimeoutMs: number;
  /** <= 0 disables the periodic removal of expired rows. */
  readonly cleanupIntervalMs: number;
  readonly disableWAL: boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A plain path, `:memory:`, or a SQLite URI (`file:locks.db?_pragma=busy_timeout(5000)`, `file::memory:`). */
export function parseConnectionString(cs: string): Pick<SqliteLockSettings, 'filename' | 'inMemory' | 'pragmas'> {
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
  if (path.startsWith('//')) path = path.slice(2);
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  const pragmas = params.getAll('_pragma').map((p): [string, string] => {
    const m = /^([A-Za-z_]+)\(([\w.-]+)\)$/.exec(p);
    if (!m || m[1] === undefined || m[2] === undefined) throw new ComponentConfigError('connectionString', `_pragma as name(value), got "${p}"`);
    return [m[1], m[2]];
  });
  const inMemory = path === ':memory:' || path === '' || params.get('mode') === 'memory';
  return { filename: inMemory ? ':memory:' : path, inMemory, pragmas };
}

export function parseSqliteLockMetadata(meta: ComponentMetadata): SqliteLockSettings {
  const tableName = prop(meta, 'tableName') || 'locks';
  if (!IDENTIFIER.test(tableName)) throw new ComponentConfigError('tableName', `a table name of letters, digits and underscores, got "${tableName}"`);
  return {
    ...parseConnectionString(requiredProp(meta, 'connectionString')),
    tableName,
    busyTimeoutMs: Math.max(0, durationProp(meta, 'busyTimeout', 2_000)),
    cleanupIntervalMs: durationProp(meta, 'cleanupInterval', 3_600_000),
    disableWAL: boolProp(meta, 'disableWAL', false),
  };
}
