// `state.sqlite` (alias `sqlite3`; spec/components.md 5.3) on better-sqlite3: Tessera's embedded,
// durable default state store. The table layout is Dapr's, so a database written by Dapr can be
// opened here and vice versa:
//   key TEXT PRIMARY KEY, value TEXT NOT NULL, is_binary BOOLEAN NOT NULL, etag TEXT NOT NULL,
//   expiration_time TIMESTAMP NULL, update_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
// Values that are valid UTF-8 JSON text are stored as that text (is_binary = 0); anything else is
// stored base64 with is_binary = 1. Times are UTC 'YYYY-MM-DD HH:MM:SS.SSS' and are compared
// with julianday(), which also reads the other formats SQLite knows. Expired rows are invisible
// to every read and removed by the periodic cleanup when cleanupInterval > 0.
//
// Concurrency: better-sqlite3 is synchronous, so each call runs to completion on the event loop;
// every single-key write is one conditional statement and multi() is one IMMEDIATE transaction,
// which also keeps other processes sharing the file consistent (they wait up to busyTimeout).
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { etagMismatch, evaluateStateQuery, isStateStoreError, parseTtl, StateStoreError } from '@tessera/spi';
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
import { parseSqliteMetadata } from './sqlite-metadata';
import type { SqliteStateMetadata } from './sqlite-metadata';
import { createStatements, migrate } from './sqlite-schema';
import type { Row, Statements } from './sqlite-schema';

const FEATURES: readonly StateFeature[] = ['ETAG', 'TRANSACTIONAL', 'QUERY_API', 'TTL', 'ACTOR'];
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** SQLite's own datetime text, in UTC with milliseconds. */
export function sqlTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** JSON text stays text; any other bytes go base64 with is_binary = 1. */
export function encodeValue(value: Buffer): { value: string; isBinary: 0 | 1 } {
  try {
    const text = UTF8.decode(value);
    JSON.parse(text);
    return { value: text, isBinary: 0 };
  } catch {
    return { value: value.toString('base64'), isBinary: 1 };
  }
}

function decodeValue(row: Pick<Row, 'value' | 'is_binary'>): Buffer {
  return Number(row.is_binary) ? Buffer.from(row.value, 'base64') : Buffer.from(row.value, 'utf8');
}

function globEscape(s: string): string {
  return s.replace(/[*?[]/g, (c) => `[${c}]`);
}

class SqliteStateStore implements StateStore {
  private cfg: SqliteStateMetadata | undefined;
  private db: Database.Database | undefined;
  private st: Statements | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const cfg = parseSqliteMetadata(this.meta);
    this.cfg = cfg;
    if (!cfg.inMemory) mkdirSync(dirname(resolve(cfg.filename)), { recursive: true });
    const db = new Database(cfg.filename, { timeout: cfg.busyTimeoutMs });
    try {
      for (const [name, value] of cfg.pragmas) db.pragma(`${name} = ${value}`);
      if (!cfg.inMemory && !cfg.disableWAL) db.pragma('journal_mode = WAL');
      migrate(db, cfg);
      this.st = createStatements(db, cfg);
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
    if (cfg.cleanupIntervalMs > 0) {
      this.cleanup();
      this.cleanupTimer = setInterval(() => this.cleanup(), cfg.cleanupIntervalMs);
      this.cleanupTimer.unref();
    }
  }

  features(): readonly StateFeature[] {
    return FEATURES;
  }

  async get(req: StoreGetRequest): Promise<StoreGetResponse | undefined> {
    return this.guard(() => this.getSync(req.key, sqlTime(Date.now())));
  }

  async set(req: StoreSetRequest): Promise<void> {
    this.guard(() => this.setSync(req, Date.now()));
  }

  async delete(req: StoreDeleteRequest): Promise<void> {
    this.guard(() => this.deleteSync(req, sqlTime(Date.now())));
  }

  async bulkGet(reqs: readonly StoreGetRequest[]): Promise<StoreBulkGetItem[]> {
    return this.guard(() => {
      const now = sqlTime(Date.now());
      return reqs.map((r) => ({ key: r.key, ...this.getSync(r.key, now) }));
    });
  }

  async bulkSet(reqs: readonly StoreSetRequest[]): Promise<void> {
    // Not atomic (as the contract allows): every item is tried, the first failure is reported.
    let first: unknown;
    for (const r of reqs) {
      try {
        await this.set(r);
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  async multi(req: StoreTransactionRequest): Promise<void> {
    const db = this.open();
    const now = Date.now();
    this.guard(() =>
      db
        .transaction(() => {
          for (const op of req.operations) {
            if (op.operation === 'upsert') this.setSync(op.request, now);
            else this.deleteSync(op.request, sqlTime(now));
          }
        })
        .immediate(),
    );
  }

  multiMaxSize(): number | undefined {
    return undefined;
  }

  async query(req: StoreQueryRequest): Promise<StoreQueryResponse> {
    return this.guard(() => {
      const rows = this.statements().queryPrefix.all(`${globEscape(req.keyPrefix)}*`, sqlTime(Date.now())) as Row[];
      const candidates = rows
        .filter((r) => r.key.startsWith(req.keyPrefix))
        .map((r) => ({ key: r.key, data: decodeValue(r), etag: r.etag }));
      return evaluateStateQuery(candidates, req.query);
    });
  }

  async ping(): Promise<void> {
    this.guard(() => this.open().prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    this.db?.close();
    this.db = undefined;
    this.st = undefined;
  }

  /** Removes expired rows; records the time in the metadata table. Failures wait for the next tick. */
  cleanup(): void {
    try {
      const db = this.open();
      const st = this.statements();
      const now = sqlTime(Date.now());
      db.transaction(() => {
        st.deleteExpired.run(now);
        st.setMeta.run(`last-cleanup-${this.cfg?.tableName ?? 'state'}`, now);
      }).immediate();
    } catch {
      // busy or closed: the next interval retries
    }
  }

  private getSync(key: string, now: string): StoreGetResponse | undefined {
    const row = this.statements().get.get(key, now) as (Row & { expires: string | null }) | undefined;
    if (!row) return undefined;
    const data = decodeValue(row);
    return row.expires ? { data, etag: row.etag, metadata: { ttlExpireTime: row.expires } } : { data, etag: row.etag };
  }

  private setSync(req: StoreSetRequest, nowMs: number): void {
    const st = this.statements();
    const ttl = parseTtl(req.metadata);
    const { value, isBinary } = encodeValue(req.value);
    const params = {
      key: req.key,
      value,
      isBinary,
      etag: randomUUID(),
      expires: ttl !== undefined && ttl > 0 ? sqlTime(nowMs + ttl * 1000) : null,
      now: sqlTime(nowMs),
    };
    if (req.etag !== undefined && req.etag !== '') {
      if (st.updateIfEtag.run({ ...params, expected: req.etag }).changes === 0) throw etagMismatch(req.key);
    } else if (req.options.concurrency === 'first-write') {
      if (st.insertIfAbsent.run(params).changes === 0) throw etagMismatch(req.key);
    } else {
      st.upsert.run(params);
    }
  }

  private deleteSync(req: StoreDeleteRequest, now: string): void {
    const st = this.statements();
    if (req.etag !== undefined && req.etag !== '') {
      if (st.deleteIfEtag.run(req.key, req.etag, now).changes === 0) throw etagMismatch(req.key);
    } else {
      st.delete.run(req.key);
    }
  }

  /** Runs a synchronous database call; driver errors become StateStoreError kind 'backend'. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (isStateStoreError(e)) throw e;
      throw new StateStoreError('backend', `sqlite state store: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private open(): Database.Database {
    if (!this.db) throw new StateStoreError('backend', 'sqlite state store is not initialized or already closed');
    return this.db;
  }

  private statements(): Statements {
    if (!this.st) throw new StateStoreError('backend', 'sqlite state store is not initialized or already closed');
    return this.st;
  }
}

/** Factory registered as `state.sqlite` / `state.sqlite3` v1. Metadata is checked in init(). */
export function createSqliteStateStore(meta: ComponentMetadata): StateStore {
  return new SqliteStateStore(meta);
}
