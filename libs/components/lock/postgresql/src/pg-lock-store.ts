// `lock.postgresql` / `lock.postgres`: Tessera's PostgreSQL lock store (Dapr has none). One table,
// created if absent:
//   key text PRIMARY KEY, owner text NOT NULL, expiredate timestamptz NOT NULL
// Every decision is one statement and uses the server's clock, so any number of processes on any
// machines agree:
// - tryLock: INSERT .. ON CONFLICT (key) DO UPDATE .. WHERE the held row has expired. Concurrent
//   inserts of one key serialise on the primary key; the losers see the winner's live row and
//   change nothing (rowCount 0).
// - unlock: a DELETE of the caller's live row and a look at the holder, in one statement.
// Expired rows are free locks; a periodic cleanup (cleanupInterval, default 1h) deletes them.
// One pg Pool per store; statements are named (prepared once per connection).
import { createHash } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { ClientConfig } from 'pg';
import { createIfAbsent } from '@tessera/common-postgres';
import { LockStoreError } from '@tessera/spi';
import type { ComponentMetadata, LockFeature, LockStore, LockTryRequest, LockTryResponse, LockUnlockRequest, LockUnlockStatus } from '@tessera/spi';
import { parsePostgresLockMetadata } from './pg-lock-metadata';


type Statement = { readonly name: string; readonly text: string };

function statements(table: string): { take: Statement; release: Statement; cleanup: Statement } {
  const id = createHash('sha1').update(table).digest('hex').slice(0, 10);
  return {
    take: {
      name: `tessera_lock_take_${id}`,
      text:
        `INSERT INTO ${table} AS l (key, owner, expiredate) VALUES ($1, $2, now() + $3::float8 * interval '1 second') ` +
        'ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expiredate = excluded.expiredate WHERE l.expiredate <= now()',
    },
    release: {
      name: `tessera_lock_release_${id}`,
      text:
        `WITH released AS (DELETE FROM ${table} WHERE key = $1 AND owner = $2 AND expiredate > now() RETURNING 1) ` +
        `SELECT EXISTS (SELECT 1 FROM released) AS released, (SELECT owner FROM ${table} WHERE key = $1 AND expiredate > now()) AS holder`,
    },
    cleanup: { name: `tessera_lock_cleanup_${id}`, text: `DELETE FROM ${table} WHERE expiredate <= now()` },
  };
}

/** Creates the table if absent; concurrent creators (other processes) are tolerated. */
async function migrate(config: ClientConfig, table: string): Promise<void> {
  const c = new Client(config);
  c.on('error', () => undefined);
  try {
    await c.connect();
    await createIfAbsent(c, `CREATE TABLE IF NOT EXISTS ${table} (key text NOT NULL PRIMARY KEY, owner text NOT NULL, expiredate timestamp with time zone NOT NULL)`);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export function createPostgresLockStore(meta: ComponentMetadata): LockStore {
  return new PostgresLockStore(meta);
}

class PostgresLockStore implements LockStore {
  private pool: Pool | undefined;
  private sql!: ReturnType<typeof statements>;
  private cleanupTimer: NodeJS.Timeout | undefined;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const s = parsePostgresLockMetadata(this.meta);
    this.sql = statements(s.tableName);
    try {
      await migrate(s.pool, s.tableName);
    } catch (e) {
      throw new LockStoreError(`postgresql lock store: failed to prepare table ${s.tableName}: ${messageOf(e)}`, { cause: e });
    }
    const pool = new Pool(s.pool);
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    this.pool = pool;
    if (s.cleanupIntervalMs !== undefined) {
      this.cleanupTimer = setInterval(() => void this.cleanup(), s.cleanupIntervalMs);
      this.cleanupTimer.unref();
    }
  }

  features(): readonly LockFeature[] {
    return [];
  }

  async tryLock(req: LockTryRequest): Promise<LockTryResponse> {
    try {
      const r = await this.db().query({ ...this.sql.take, values: [req.resourceId, req.lockOwner, req.expiryInSeconds] });
      return { success: r.rowCount === 1 };
    } catch (e) {
      throw new LockStoreError(`postgresql lock store: failed to take lock ${req.resourceId}: ${messageOf(e)}`, { cause: e });
    }
  }

  async unlock(req: LockUnlockRequest): Promise<LockUnlockStatus> {
    let row: { released: boolean; holder: string | null } | undefined;
    try {
      const r = await this.db().query<{ released: boolean; holder: string | null }>({ ...this.sql.release, values: [req.resourceId, req.lockOwner] });
      row = r.rows[0];
    } catch (e) {
      throw new LockStoreError(`postgresql lock store: failed to release lock ${req.resourceId}: ${messageOf(e)}`, { cause: e });
    }
    if (row?.released) return 'SUCCESS';
    return row?.holder === null || row?.holder === undefined ? 'LOCK_DOES_NOT_EXIST' : 'LOCK_BELONGS_TO_OTHERS';
  }

  /** Deletes expired rows; failures wait for the next interval. */
  async cleanup(): Promise<void> {
    try {
      await this.db().query(this.sql.cleanup);
    } catch {
      // the next interval retries
    }
  }

  async close(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    const p = this.pool;
    this.pool = undefined;
    await p?.end().catch(() => undefined);
  }

  private db(): Pool {
    if (!this.pool) throw new LockStoreError('postgresql lock store is not initialized or already closed');
    return this.pool;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
