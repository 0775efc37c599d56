// Component metadata of `pubsub.sqlite` (Tessera's; Dapr has no SQLite pub/sub), parsed once in
// init(). Connection names follow `state.sqlite` / `lock.sqlite` so one file can serve them all.
import { ComponentConfigError, boolProp, durationProp, intProp, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface SqlitePubSubSettings {
  /** Path for better-sqlite3, or ':memory:'. */
  readonly filename: string;
  readonly inMemory: boolean;
  /** `_pragma=name(value)` parameters of a `file:` connection string, applied after opening. */
  readonly pragmas: ReadonlyArray<readonly [string, string]>;
  /** Prefix of the three tables: `<tableName>_messages`, `_groups`, `_deliveries`. */
  readonly tableName: string;
  /** How long a writer waits for another process holding the file's write lock. */
  readonly busyTimeoutMs: number;
  readonly disableWAL: boolean;
  /** PRAGMA synchronous: FULL (default: a resolved publish survives power loss), NORMAL, OFF, EXTRA. */
  readonly synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  /** How often a subscription looks for rows other processes wrote (same-process publishes wake it at once). */
  readonly pollIntervalMs: number;
  /** Lease of a message in flight; renewed while its process lives, so it only expires for a dead process. */
  readonly processingTimeoutMs: number;
  /** Delay before a message whose handler rejected is delivered again. */
  readonly redeliverIntervalMs: number;
  /** Deliveries after which a failing message is given up (0 = never). */
  readonly maxDeliver: number;
  /** Handlers one subscription runs at once. */
  readonly concurrency: number;
  /** How long a message stays in the table once every group acked it. */
  readonly retentionMs: number;
  /** How often acked, orphaned and expired rows are purged (<= 0 disables). */
  readonly cleanupIntervalMs: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

/** A plain path, `:memory:`, or a SQLite URI (`file:bus.db?_pragma=busy_timeout(5000)`, `file::memory:`). */
export function parseConnectionString(cs: string): Pick<SqlitePubSubSettings, 'filename' | 'inMemory' | 'pragmas'> {
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

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new ComponentConfigError(name, `a positive duration, got ${value} ms`);
  return value;
}

export function parseSqlitePubSubMetadata(meta: ComponentMetadata): SqlitePubSubSettings {
  const tableName = prop(meta, 'tableName') || 'pubsub';
  if (!IDENTIFIER.test(tableName)) throw new ComponentConfigError('tableName', `a table name of letters, digits and underscores, got "${tableName}"`);
  const sync = (prop(meta, 'synchronous') || 'FULL').toUpperCase();
  if (!(SYNCHRONOUS as readonly string[]).includes(sync)) throw new ComponentConfigError('synchronous', `one of ${SYNCHRONOUS.join(', ')}, got "${sync}"`);
  const concurrency = intProp(meta, 'concurrency', 10);
  if (concurrency < 1) throw new ComponentConfigError('concurrency', `an integer >= 1, got ${concurrency}`);
  const maxDeliver = intProp(meta, 'maxDeliver', 0);
  if (maxDeliver < 0) throw new ComponentConfigError('maxDeliver', `an integer >= 0 (0 = unlimited), got ${maxDeliver}`);
  return {
    ...parseConnectionString(requiredProp(meta, 'connectionString')),
    tableName,
    busyTimeoutMs: Math.max(0, durationProp(meta, 'busyTimeout', 2_000)),
    disableWAL: boolProp(meta, 'disableWAL', false),
    synchronous: sync as SqlitePubSubSettings['synchronous'],
    pollIntervalMs: positive('pollInterval', durationProp(meta, 'pollInterval', 500)),
    processingTimeoutMs: positive('processingTimeout', durationProp(meta, 'processingTimeout', 60_000)),
    redeliverIntervalMs: Math.max(0, durationProp(meta, 'redeliverInterval', 1_000)),
    maxDeliver,
    concurrency,
    retentionMs: Math.max(0, durationProp(meta, 'retention', 0)),
    cleanupIntervalMs: durationProp(meta, 'cleanupInterval', 60_000),
  };
}
