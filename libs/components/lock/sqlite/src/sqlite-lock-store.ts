// `lock.sqlite`: Tessera's embedded, durable default lock store on better-sqlite3 (Dapr has none).
// One table, created if absent:
//   key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL  (epoch milliseconds)
// A row whose expires_at has passed is a free lock: tryLock takes it over in the same statement
// that would insert a new one (INSERT .. ON CONFLICT DO UPDATE .. WHERE expired), unlock treats
// it as missing. Expired rows are removed by a periodic cleanup (cleanupInterval, default 1h).
//
// Concurrency: better-sqlite3 is synchronous, so each call runs to completion on the event loop;
// tryLock is one statement and unlock one IMMEDIATE transaction, which also keeps several
// processes sharing the file mutually exclusive (they wait up to busyTimeout for the write lock).
// Expiry uses this machine's clock, which every process sharing the file shares.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { LockStoreError, isLockStoreError } from '@tessera/spi';
import type { ComponentMetadata, LockFeature, LockStore, LockTryRequest, LockTryResponse, LockUnlockRequest, LockUnlockStatus } from '@tessera/spi';
import { parseSqliteLockMetadata } from './sqlite-lock-metadata';

interface Statements {
  /** named: key, owner, expires, now; changes = 1 when the lock was taken. */
  readonly take: Database.Statement;
  /** (key, now) -> { owner } of a live lock. */
  readonly holder: Database.Statement;
  /** (key) */
  readonly remove: Database.Statement;
  /** (now) */
  readonly removeExpired: Database.Statement;
}

class SqliteLockStore implements LockStore {
  private db: Database.Database | undefined;
  private st: Statements | undefined;
  private unlockTx: ((req: LockUnlockRequest, now: number) => LockUnlockStatus) | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const cfg = parseSqliteLockMetadata(this.meta);
    if (!cfg.inMemory) mkdirSync(dirname(resolve(cfg.filename)), { recursive: true });
    const db = new Database(cfg.filename, { timeout: cfg.busyTimeoutMs });
    try {
      for (const [name, value] of cfg.pragmas) db.pragma(`${name} = ${value}`);
      if (!cfg.inMemory && !cfg.disableWAL) db.pragma('journal_mode = WAL');
      const t = `"${cfg.tableName}"`;
      db.exec(`CREATE TABLE IF NOT EXISTS ${t} (key TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
      const st: Statements = {
        take: db.prepare(
          `INSERT INTO ${t} (key, owner, expires_at) VALUES (@key, @owner, @expires) ` +
            `ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE ${t}.expires_at <= @now`,
        ),
        holder: db.prepare(`SELECT owner FROM ${t} WHERE key = ? AND expires_at > ?`),
        remove: db.prepare(`DELETE FROM ${t} WHERE key = ?`),
        removeExpired: db.prepare(`DELETE FROM ${t} WHERE expires_at <= ?`),
      };
      this.st = st;
      this.unlockTx = (req, now) =>
        db
          .transaction((): LockUnlockStatus => {
            const row = st.holder.get(req.resourceId, now) as { owner: string } | undefined;
            if (!row) return 'LOCK_DOES_NOT_EXIST';
            if (row.owner !== req.lockOwner) return 'LOCK_BELONGS_TO_OTHERS';
            st.remove.run(req.resourceId);
            return 'SUCCESS';
          })
          .immediate();
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
    if (cfg.cleanupIntervalMs > 0) {
      this.cleanupTimer = setInterval(() => this.cleanup(), cfg.cleanupIntervalMs);
      this.cleanupTimer.unref();
    }
  }

  features(): readonly LockFeature[] {
    return [];
  }

  async tryLock(req: LockTryRequest): Promise<LockTryResponse> {
    return this.guard(() => {
      const now = Date.now();
      const r = this.statements().take.run({ key: req.resourceId, owner: req.lockOwner, expires: now + req.expiryInSeconds * 1000, now });
      return { success: r.changes === 1 };
    });
  }

  async unlock(req: LockUnlockRequest): Promise<LockUnlockStatus> {
    return this.guard(() => {
      if (!this.unlockTx) throw new LockStoreError('sqlite lock store is not initialized or already closed');
      return this.unlockTx(req, Date.now());
    });
  }

  async close(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    this.db?.close();
    this.db = undefined;
    this.st = undefined;
    this.unlockTx = undefined;
  }

  /** Removes expired rows; a busy or closed database waits for the next tick. */
  cleanup(): void {
    try {
      this.statements().removeExpired.run(Date.now());
    } catch {
      // the next interval retries
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (isLockStoreError(e)) throw e;
      throw new LockStoreError(`sqlite lock store: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private statements(): Statements {
    if (!this.st) throw new LockStoreError('sqlite lock store is not initialized or already closed');
    return this.st;
  }
}

/** Factory registered as `lock.sqlite` v1. Metadata is checked in init(). */
export function createSqliteLockStore(meta: ComponentMetadata): LockStore {
  return new SqliteLockStore(meta);
}
