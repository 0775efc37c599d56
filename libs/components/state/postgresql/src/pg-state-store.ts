// `state.postgresql` / `state.postgres` v1 in Dapr's table layout (components.md 5.2): one row per
// key, jsonb value (binary as base64, pg-value.ts), ETag = the row's xmin, TTL as `expiredate`
// (expired rows are invisible and purged by a periodic cleanup shared with Dapr sidecars through
// the metadata table). One pg Pool per store. Hot path: get/set/delete are one named (prepared)
// statement each; multi() is BEGIN..COMMIT on one pooled client, rolled back on any error.
// Not here: v2 (bytea + uuid ETag), Azure AD / AWS IAM authentication.
import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import type { QueryArrayConfig, QueryArrayResult, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { StateStoreError, etagInvalid, etagMismatch, isStateStoreError, parseTtl } from '@tessera/spi';
import type {
  ComponentMetadata,
  StateFeature,
  StateStore,
  StoreBulkGetItem,
  StoreDeleteRequest,
  StoreGetRequest,
  StoreGetResponse,
  StoreQueryRequest,
  StoreQueryResponse,
  StoreSetRequest,
  StoreTransactionRequest,
} from '@tessera/spi';
import { parsePostgresMetadata } from './pg-metadata';
import type { PostgresStateSettings } from './pg-metadata';
import { migrate } from './pg-migrations';
import { buildQuery } from './pg-query';
import { decodeValue, encodeValue } from './pg-value';

const FEATURES: readonly StateFeature[] = Object.freeze(['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'] as const);
/** xmin is a 32-bit transaction id; Dapr parses ETags with strconv.ParseUint(s, 10, 32). */
const MAX_XID = 4294967295;

/** What both a Pool and a checked-out client offer; lets one code path serve set() and multi(). */
interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>>;
  query<R extends unknown[] = unknown[]>(config: QueryArrayConfig): Promise<QueryArrayResult<R>>;
}

type Statement = { readonly name: string; readonly text: string };
type GetRow = [value: string, isBinary: boolean, etag: string, expireDate: Date | null];
type BulkRow = [key: string, value: string, isBinary: boolean, etag: string, expireDate: Date | null];

export function createPostgresStateStore(meta: ComponentMetadata): StateStore {
  return new PostgresStateStore(meta);
}

class PostgresStateStore implements StateStore {
  private pool: Pool | undefined;
  private settings!: PostgresStateSettings;
  private sql!: ReturnType<typeof statements>;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private cleaning: Promise<void> | undefined;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const s = parsePostgresMetadata(this.meta);
    this.settings = s;
    this.sql = statements(s.tableName, s.metadataTableName);
    try {
      await migrate(s.pool, s.tableName, s.metadataTableName);
    } catch (e) {
      throw backendError(`postgresql store: failed to prepare tables ${s.tableName} / ${s.metadataTableName}`, e);
    }
    const pool = new Pool(s.pool);
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    this.pool = pool;
    if (s.cleanupIntervalMs !== undefined) {
      this.cleanupTimer = setInterval(() => void this.cleanupExpired(), s.cleanupIntervalMs);
      this.cleanupTimer.unref();
    }
  }

  features(): readonly StateFeature[] {
    return FEATURES;
  }

  async get(req: StoreGetRequest): Promise<StoreGetResponse | undefined> {
    let r: QueryArrayResult<GetRow>;
    try {
      r = await this.db().query<GetRow>({ ...this.sql.get, values: [req.key], rowMode: 'array' });
    } catch (e) {
      throw backendError(`failed to get key ${req.key}`, e);
    }
    const row = r.rows[0];
    if (row === undefined) return undefined;
    const data = decodeValue(row[0], row[1]);
    return row[3] ? { data, etag: row[2], metadata: { ttlExpireTime: rfc3339(row[3]) } } : { data, etag: row[2] };
  }

  async bulkGet(reqs: readonly StoreGetRequest[]): Promise<StoreBulkGetItem[]> {
    if (reqs.length === 0) return [];
    let r: QueryArrayResult<BulkRow>;
    try {
      r = await this.db().query<BulkRow>({ ...this.sql.bulkGet, values: [reqs.map((q) => q.key)], rowMode: 'array' });
    } catch (e) {
      throw backendError('failed to bulk get keys', e);
    }
    const found = new Map<string, BulkRow>();
    for (const row of r.rows) found.set(row[0], row);
    return reqs.map(({ key }): StoreBulkGetItem => {
      const row = found.get(key);
      if (!row) return { key };
      try {
        const data = decodeValue(row[1], row[2]);
        return row[4] ? { key, data, etag: row[3], metadata: { ttlExpireTime: rfc3339(row[4]) } } : { key, data, etag: row[3] };
      } catch (e) {
        return { key, error: errorMessage(e) };
      }
    });
  }

  set(req: StoreSetRequest): Promise<void> {
    return this.write(this.db(), req);
  }

  delete(req: StoreDeleteRequest): Promise<void> {
    return this.remove(this.db(), req);
  }

  /** All-or-nothing: BEGIN, each operation in order, COMMIT; ROLLBACK on the first error. */
  async multi(req: StoreTransactionRequest): Promise<void> {
    const ops = req.operations;
    if (ops.length === 0) return;
    for (const op of ops) {
      const etag = op.request.etag;
      if (etag && !isXid(etag)) throw etagInvalid(etag);
      if (op.operation === 'upsert') parseTtl(op.request.metadata);
    }
    if (ops.length === 1) {
      const op = ops[0] as (typeof ops)[number];
      return op.operation === 'upsert' ? this.write(this.db(), op.request) : this.remove(this.db(), op.request);
    }
    let client;
    try {
      client = await this.db().connect();
    } catch (e) {
      throw backendError('failed to start transaction', e);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      for (const op of ops) {
        if (op.operation === 'upsert') await this.write(client, op.request);
        else await this.remove(client, op.request);
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw isStateStoreError(e) ? e : backendError('transaction failed', e);
    } finally {
      client.release(broken);
    }
  }

  multiMaxSize(): number | undefined {
    return undefined;
  }

  async query(req: StoreQueryRequest): Promise<StoreQueryResponse> {
    const q = buildQuery(this.settings.tableName, req.keyPrefix, req.query);
    let r: QueryResult<{ key: string; value: string; isbinary: boolean; etag: string }>;
    try {
      r = await this.db().query({ text: q.text, values: q.values });
    } catch (e) {
      const code = String((e as { code?: unknown }).code ?? '');
      // Data exceptions (22xxx) come from values the query carried, e.g. \u0000 in a string.
      throw new StateStoreError(code.startsWith('22') ? 'query' : 'backend', `postgresql store: query failed: ${errorMessage(e)}`, { cause: e });
    }
    const results = r.rows.map((row) => {
      try {
        return { key: row.key, data: decodeValue(row.value, row.isbinary), etag: row.etag };
      } catch (e) {
        return { key: row.key, data: Buffer.alloc(0), etag: row.etag, error: errorMessage(e) };
      }
    });
    const full = q.limit !== undefined && results.length === q.limit;
    return full ? { results, token: String(q.offset + results.length) } : { results };
  }

  async ping(): Promise<void> {
    try {
      await this.db().query({ text: 'SELECT 1' });
    } catch (e) {
      throw backendError('postgresql store: ping failed', e);
    }
  }

  async close(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    await this.cleaning;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private db(): Pool {
    const p = this.pool;
    if (!p) throw new StateStoreError('backend', 'postgresql state store is not initialized (or already closed)');
    return p;
  }

  private async write(db: Queryable, req: StoreSetRequest): Promise<void> {
    const etag = req.etag;
    const hasEtag = etag !== undefined && etag !== '';
    if (hasEtag && !isXid(etag)) throw etagInvalid(etag);
    const ttl = parseTtl(req.metadata);
    const ttlParam = ttl !== undefined && ttl > 0 ? ttl : null;
    const { json, isBinary } = encodeValue(req.value);
    const firstWrite = req.options.concurrency === 'first-write';
    let rowCount: number | null;
    try {
      if (hasEtag) {
        rowCount = (await db.query({ ...this.sql.updateWithEtag, values: [req.key, json, isBinary, ttlParam, etag] })).rowCount;
      } else {
        const st = firstWrite ? this.sql.insertFirstWrite : this.sql.upsert;
        rowCount = (await db.query({ ...st, values: [req.key, json, isBinary, ttlParam] })).rowCount;
      }
    } catch (e) {
      throw backendError(`failed to set key ${req.key}`, e);
    }
    if (rowCount !== 1) {
      if (hasEtag || firstWrite) throw etagMismatch(req.key);
      throw new StateStoreError('backend', `failed to set key ${req.key}: no row was written`);
    }
  }

  private async remove(db: Queryable, req: StoreDeleteRequest): Promise<void> {
    const etag = req.etag;
    const hasEtag = etag !== undefined && etag !== '';
    if (hasEtag && !isXid(etag)) throw etagInvalid(etag);
    let rowCount: number | null;
    try {
      rowCount = hasEtag
        ? (await db.query({ ...this.sql.deleteWithEtag, values: [req.key, etag] })).rowCount
        : (await db.query({ ...this.sql.delete, values: [req.key] })).rowCount;
    } catch (e) {
      throw backendError(`failed to delete key ${req.key}`, e);
    }
    if (hasEtag && rowCount !== 1) throw etagMismatch(req.key);
  }

  /**
   * Deletes expired rows, at most once per interval across every sidecar sharing the metadata
   * table: the conditional upsert of `last-cleanup-<table>` is the election.
   */
  private cleanupExpired(): Promise<void> {
    if (this.cleaning || !this.pool) return this.cleaning ?? Promise.resolve();
    const pool = this.pool;
    const intervalMs = this.settings.cleanupIntervalMs ?? 0;
    this.cleaning = (async () => {
      try {
        const claim = await pool.query({ ...this.sql.claimCleanup, values: [`last-cleanup-${this.settings.tableName}`, Math.max(0, intervalMs - 100)] });
        if (claim.rowCount === 1) await pool.query({ ...this.sql.deleteExpired });
      } catch {
        // Best effort: the next tick tries again (a closed pool ends the loop anyway).
      } finally {
        this.cleaning = undefined;
      }
    })();
    return this.cleaning;
  }
}

function statements(table: string, metadataTable: string) {
  const id = createHash('sha1').update(`${table}\0${metadataTable}`).digest('hex').slice(0, 12);
  const st = (kind: string, text: string): Statement => ({ name: `tessera_state_${kind}_${id}`, text });
  const live = '(expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP)';
  const expire = `CURRENT_TIMESTAMP + $4::integer * interval '1 second'`;
  const upsert = `INSERT INTO ${table} AS t (key, value, isbinary, expiredate) VALUES ($1, $2::jsonb, $3, ${expire})
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary,
      updatedate = CURRENT_TIMESTAMP, expiredate = excluded.expiredate`;
  return {
    get: st('get', `SELECT value::text, isbinary, xmin::text, expiredate FROM ${table} WHERE key = $1 AND ${live}`),
    bulkGet: st('bulkget', `SELECT key, value::text, isbinary, xmin::text, expiredate FROM ${table} WHERE key = ANY($1::text[]) AND ${live}`),
    upsert: st('upsert', upsert),
    // first-write may only replace a row that has expired but not been purged yet.
    insertFirstWrite: st('insertfw', `${upsert} WHERE t.expiredate IS NOT NULL AND t.expiredate <= CURRENT_TIMESTAMP`),
    updateWithEtag: st(
      'update',
      `UPDATE ${table} SET value = $2::jsonb, isbinary = $3, updatedate = CURRENT_TIMESTAMP, expiredate = ${expire}
        WHERE key = $1 AND xmin = $5::xid AND ${live}`,
    ),
    delete: st('delete', `DELETE FROM ${table} WHERE key = $1`),
    deleteWithEtag: st('deleteetag', `DELETE FROM ${table} WHERE key = $1 AND xmin = $2::xid AND ${live}`),
    claimCleanup: st(
      'claimcleanup',
      `INSERT INTO ${metadataTable} AS m (key, value) VALUES ($1, now()::text)
        ON CONFLICT (key) DO UPDATE SET value = now()::text
        WHERE (EXTRACT('epoch' FROM now() - m.value::timestamp with time zone) * 1000)::bigint > $2`,
    ),
    deleteExpired: st('deleteexpired', `DELETE FROM ${table} WHERE expiredate IS NOT NULL AND expiredate < CURRENT_TIMESTAMP`),
  };
}

function isXid(etag: string): boolean {
  return /^\d{1,10}$/.test(etag) && Number(etag) <= MAX_XID;
}

/** Go's time.RFC3339 for a UTC instant: no fractional seconds. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function backendError(what: string, cause: unknown): StateStoreError {
  return new StateStoreError('backend', `${what}: ${errorMessage(cause)}`, { cause });
}
