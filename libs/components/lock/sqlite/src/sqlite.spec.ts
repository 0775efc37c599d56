// lock.sqlite against the shared lock conformance suite (file with WAL, and in memory), plus its
// table layout, sharing one file between store instances, and the metadata checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describeLockConformance } from '@tessera/conformance';
import type { LockStore } from '@tessera/spi';
import { parseSqliteLockMetadata } from './sqlite-lock-metadata';
import { createSqliteLockStore } from './sqlite-lock-store';

const dir = mkdtempSync(join(tmpdir(), 'tessera-lock-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = (properties: Record<string, string>) => ({ name: 'lockstore', type: 'lock.sqlite', version: 'v1', properties, appId: 'app' });

async function open(properties: Record<string, string>): Promise<LockStore> {
  const s = createSqliteLockStore(meta(properties));
  await s.init();
  return s;
}

describeLockConformance('lock.sqlite (file, WAL)', () => open({ connectionString: join(dir, 'conformance.db') }));
describeLockConformance('lock.sqlite (file::memory:)', () => open({ connectionString: 'file::memory:' }));

describe('lock.sqlite specifics', () => {
  it('creates its table: key, owner, expires_at (epoch ms)', async () => {
    const file = join(dir, 'layout.db');
    const s = await open({ connectionString: file, tableName: 'my_locks' });
    expect(await s.tryLock({ resourceId: 'lock||app||r', lockOwner: 'o', expiryInSeconds: 10 })).toEqual({ success: true });
    await s.close();
    const db = new Database(file, { readonly: true });
    const cols = db.pragma('table_info(my_locks)') as Array<{ name: string; type: string; notnull: number; pk: number }>;
    expect(cols.map((c) => [c.name, c.type, c.notnull, c.pk])).toEqual([
      ['key', 'TEXT', 1, 1],
      ['owner', 'TEXT', 1, 0],
      ['expires_at', 'INTEGER', 1, 0],
    ]);
    const row = db.prepare('SELECT key, owner, expires_at FROM my_locks').get() as { key: string; owner: string; expires_at: number };
    expect(row.key).toBe('lock||app||r');
    expect(row.owner).toBe('o');
    expect(row.expires_at - Date.now()).toBeGreaterThan(8_000);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('is mutually exclusive across store instances sharing one file', async () => {
    const file = join(dir, 'shared.db');
    const stores = await Promise.all([0, 1, 2].map(() => open({ connectionString: file })));
    for (let round = 0; round < 5; round++) {
      const key = `lock||shared||r${round}`;
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (stores[i % 3] as LockStore).tryLock({ resourceId: key, lockOwner: `o${i}`, expiryInSeconds: 30 })));
      expect(results.filter((r) => r.success)).toHaveLength(1);
      const winner = results.findIndex((r) => r.success);
      expect(await (stores[(winner + 1) % 3] as LockStore).unlock({ resourceId: key, lockOwner: `o${winner}` })).toBe('SUCCESS');
    }
    await Promise.all(stores.map((s) => s.close()));
  });

  it('keeps locks across a restart of the store (durable)', async () => {
    const file = join(dir, 'durable.db');
    const a = await open({ connectionString: file });
    expect(await a.tryLock({ resourceId: 'k', lockOwner: 'o', expiryInSeconds: 60 })).toEqual({ success: true });
    await a.close();
    const b = await open({ connectionString: file });
    expect(await b.tryLock({ resourceId: 'k', lockOwner: 'x', expiryInSeconds: 60 })).toEqual({ success: false });
    expect(await b.unlock({ resourceId: 'k', lockOwner: 'o' })).toBe('SUCCESS');
    await b.close();
  });

  it('removes expired rows in cleanup', async () => {
    const file = join(dir, 'cleanup.db');
    const s = (await open({ connectionString: file, cleanupInterval: '0' })) as LockStore & { cleanup(): void };
    await s.tryLock({ resourceId: 'short', lockOwner: 'o', expiryInSeconds: 1 });
    await s.tryLock({ resourceId: 'long', lockOwner: 'o', expiryInSeconds: 60 });
    await new Promise((r) => setTimeout(r, 1100));
    s.cleanup();
    await s.close();
    const db = new Database(file, { readonly: true });
    expect((db.prepare('SELECT key FROM locks').all() as Array<{ key: string }>).map((r) => r.key)).toEqual(['long']);
    db.close();
  });

  it('fails calls after close() with a LockStoreError', async () => {
    const s = await open({ connectionString: ':memory:' });
    await s.close();
    await expect(s.tryLock({ resourceId: 'k', lockOwner: 'o', expiryInSeconds: 1 })).rejects.toMatchObject({ kind: 'tessera.lock-store-error' });
    await expect(s.unlock({ resourceId: 'k', lockOwner: 'o' })).rejects.toMatchObject({ kind: 'tessera.lock-store-error' });
  });

  it('checks its metadata', () => {
    expect(parseSqliteLockMetadata(meta({ connectionString: 'file:x.db?_pragma=busy_timeout(100)' }))).toMatchObject({
      filename: 'x.db',
      pragmas: [['busy_timeout', '100']],
      tableName: 'locks',
      cleanupIntervalMs: 3_600_000,
    });
    expect(() => parseSqliteLockMetadata(meta({}))).toThrow(/connectionString/);
    expect(() => parseSqliteLockMetadata(meta({ connectionString: ':memory:', tableName: 'x; drop' }))).toThrow(/tableName/);
  });
});
