// Component metadata of `state.sqlite` (spec/components.md 5.3), parsed and checked once in init().
// Nothing here touches the database.
import { boolProp, ComponentConfigError, durationProp, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface SqliteStateMetadata {
  /** Path for better-sqlite3, or ':memory:'. */
  readonly filename: string;
  readonly inMemory: boolean;
  /** `_pragma=name(value)` parameters of a `file:` connection string, applied after opening. */
  readonly pragmas: ReadonlyArray<readonly [string, string]>;
  readonly tableName: string;
  readonly metadataTableName: string;
  readonly timeoutMs: number;
  readonly busyTimeoutMs: number;
  /** <= 0 disables the periodic removal of expired rows. */
  readonly cleanupIntervalMs: number;
  readonly disableWAL: boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function tableProp(meta: ComponentMetadata, name: string, fallback: string): string {
  const v = prop(meta, name) || fallback;
  if (!IDENTIFIER.test(v)) throw new ComponentConfigError(name, `a table name of letters, digits and underscores, got "${v}"`);
  return v;
}

/**
 * Accepts a plain file path, `:memory:`, or a SQLite URI as Dapr users write them
 * (`file:data.db?_pragma=busy_timeout(5000)`, `file::memory:`, `file:x?mode=memory`).
 */
export function parseConnectionString(cs: string): Pick<SqliteStateMetadata, 'filename' | 'inMemory' | 'pragmas'> {
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
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  if (path.startsWith('//')) path = path.slice(2); // file:///abs/path
  const pragmas = params.getAll('_pragma').map((p): [string, string] => {
    const m = /^([A-Za-z_]+)\(([\w.-]+)\)$/.exec(p);
    if (!m || m[1] === undefined || m[2] === undefined) throw new ComponentConfigError('connectionString', `_pragma as name(value), got "${p}"`);
    return [m[1], m[2]];
  });
  const inMemory = path === ':memory:' || path === '' || params.get('mode') === 'memory';
  return { filename: inMemory ? ':memory:' : path, inMemory, pragmas };
}

export function parseSqliteMetadata(meta: ComponentMetadata): SqliteStateMetadata {
  return {
    ...parseConnectionString(requiredProp(meta, 'connectionString')),
    tableName: tableProp(meta, 'tableName', 'state'),
    metadataTableName: tableProp(meta, 'metadataTableName', 'metadata'),
    timeoutMs: durationProp(meta, 'timeout', 20_000),
    busyTimeoutMs: Math.max(0, durationProp(meta, 'busyTimeout', 2_000)),
    cleanupIntervalMs: durationProp(meta, 'cleanupInterval', 0),
    disableWAL: boolProp(meta, 'disableWAL', false),
  };
}
