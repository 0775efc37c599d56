// lock.postgresql against the shared lock conformance suite (real PostgreSQL; skipped loudly when
// absent), plus mutual exclusion across separate pools, the table layout and metadata checks.
// Runs in tables of its own, dropped afterwards.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { describeLockConformance } from '@tessera/conformance';
import type { ComponentMetadata, LockStore } from '@tessera/spi';
import { postgresSkipReason, testPostgresUrl } from '@tessera/testing';
import { parsePostgresLockMetadata } from './pg-lock-metadata';
import { createPostgresLockStore } from './pg-lock-store';

const skipReason = postgresSkipReason();
const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
const tableName = `tessera_lock_conf_${suffix}`;

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'lockstore', type: 'lock.postgresql', version: 'v1', appId: 'app', properties });

async function open(properties: Record<string, string> = {}): Promise<LockStore> {
  const s = createPostgresLockStore(meta({ connectionString: testPostgresUrl(), tableName, ...properties }));
  await s.init();
  return s;
}

describeLockConformance('lock.postgresql', () => open(), skipReason === undefined ? {} : { skipReason });

(skipReason === undefined ? describe : describe.skip)('lock.postgresql specifics', () => {
  let sql: Client;
  beforeAll(async () => {
    sql = new Client({ connectionString: testPostgresUrl() });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.query(`DROP TABLE IF EXISTS ${tableName}`);
    await sql.end();
  });

  it('creates its table: key, owner, expiredate (server clock)', async () => {
    const s = await open();
    expect(await s.tryLock({ resourceId: 'lock||app||layout', lockOwner: 'o', expiryInSeconds: 30 })).toEqual({ success: true });
    const cols = await sql.query<{ column_name: string; data_type: string; is_nullable: string }>(
      'SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
      [tableName],
    );
    expect(cols.rows).toEqual([
      { column_name: 'key', data_type: 'text', is_nullable: 'NO' },
      { column_name: 'owner', data_type: 'text', is_nullable: 'NO' },
      { column_name: 'expiredate', data_type: 'timestamp with time zone', is_nullable: 'NO' },
    ]);
    const row = await sql.query<{ owner: string; secs: number }>(
      `SELECT owner, EXTRACT(EPOCH FROM expiredate - now())::float8 AS secs FROM ${tableName} WHERE key = $1`,
      ['lock||app||layout'],
    );
    expect(row.rows[0]?.owner).toBe('o');
    expect(row.rows[0]?.secs).toBeGreaterThan(25);
    expect(row.rows[0]?.secs).toBeLessThanOrEqual(30);
    await s.unlock({ resourceId: 'lock||app||layout', lockOwner: 'o' });
    await s.close();
  });

  it('is mutually exclusive across separate pools (separate processes alike)', async () => {
    const stores = await Promise.all([0, 1, 2].map(() => open({ maxConns: '8' })));
    for (let round = 0; round < 5; round++) {
      const key = `lock||pools||r${round}-${suffix}`;
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (stores[i % 3] as LockStore).tryLock({ resourceId: key, lockOwner: `o${i}`, expiryInSeconds: 30 })),
      );
      expect(results.filter((r) => r.success)).toHaveLength(1);
      const winner = results.findIndex((r) => r.success);
      expect(await (stores[(winner + 1) % 3] as LockStore).unlock({ resourceId: key, lockOwner: `o${winner}` })).toBe('SUCCESS');
    }
    await Promise.all(stores.map((s) => s.close()));
  });

  it('starts concurrently on a fresh table from several stores', async () => {
    const fresh = `${tableName}_fresh`;
    try {
      const stores = await Promise.all([0, 1, 2, 3].map(() => open({ tableName: fresh })));
      expect(await (stores[0] as LockStore).tryLock({ resourceId: 'k', lockOwner: 'o', expiryInSeconds: 5 })).toEqual({ success: true });
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await sql.query(`DROP TABLE IF EXISTS ${fresh}`);
    }
  });

  it('removes expired rows in cleanup', async () => {
    const s = (await open()) as LockStore & { cleanup(): Promise<void> };
    const short = `lock||cleanup||short-${suffix}`;
    await s.tryLock({ resourceId: short, lockOwner: 'o', expiryInSeconds: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    await s.cleanup();
    expect((await sql.query(`SELECT 1 FROM ${tableName} WHERE key = $1`, [short])).rowCount).toBe(0);
    await s.close();
  });

  it('fails init with a clear message when the server is unreachable', async () => {
    const s = createPostgresLockStore(meta({ connectionString: 'postgres://postgres@127.0.0.1:1/test', timeout: '1s' }));
    await expect(s.init()).rejects.toThrow(/postgresql lock store: failed to prepare table tessera_locks/);
    await s.close();
  });
});

describe('lock.postgresql metadata', () => {
  it('reads both connection string forms and the table name', () => {
    const a = parsePostgresLockMetadata(meta({ connectionString: 'postgres://u:p@db:5433/x?sslmode=disable' }));
    const b = parsePostgresLockMetadata(meta({ connectionString: 'host=db port=5433 user=u password=p dbname=x sslmode=disable' }));
    expect(a.pool).toMatchObject({ host: 'db', port: 5433, user: 'u', password: 'p', database: 'x' });
    expect(b.pool).toMatchObject({ host: 'db', port: 5433, user: 'u', password: 'p', database: 'x' });
    expect(a.tableName).toBe('tessera_locks');
    expect(a.cleanupIntervalMs).toBe(3_600_000);
    expect(parsePostgresLockMetadata(meta({ host: 'h', tableName: 'app.locks', cleanupInterval: '0' }))).toMatchObject({ tableName: 'app.locks' });
    expect(parsePostgresLockMetadata(meta({ host: 'h', cleanupInterval: '0' })).cleanupIntervalMs).toBeUndefined();
  });

  it('refuses bad metadata naming the field', () => {
    expect(() => parsePostgresLockMetadata(meta({}))).toThrow(/connectionString/);
    expect(() => parsePostgresLockMetadata(meta({ host: 'h', tableName: 'x;drop' }))).toThrow(/tableName/);
    expect(() => parsePostgresLockMetadata(meta({ host: 'h', timeout: '10ms' }))).toThrow(/timeout/);
    expect(() => parsePostgresLockMetadata(meta({ host: 'h', maxConns: 'many' }))).toThrow(/maxConns/);
  });
});
