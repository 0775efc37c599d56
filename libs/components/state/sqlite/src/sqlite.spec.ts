import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describeStateConformance } from '@tessera/conformance';
import type { StateStore } from '@tessera/spi';
import { createSqliteStateStore } from './sqlite-state-store';

const dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = (properties: Record<string, string>) => ({ name: 'statestore', type: 'state.sqlite', version: 'v1', properties, appId: 'app' });
const features = ['ETAG', 'TRANSACTIONAL', 'QUERY_API', 'TTL', 'ACTOR'] as const;

async function open(properties: Record<string, string>): Promise<StateStore> {
  const store = createSqliteStateStore(meta(properties));
  await store.init();
  return store;
}

describeStateConformance('state.sqlite (file, WAL)', () => open({ connectionString: join(dir, 'conformance.db') }), {
  features,
  atomicTransactions: true,
});
describeStateConformance('state.sqlite (file::memory:)', () => open({ connectionString: 'file::memory:' }), {
  features,
  atomicTransactions: true,
});

const set = (s: StateStore, key: string, value: Buffer, metadata: Record<string, string> = {}) => s.set({ key, value, metadata, options: {} });
const get = (s: StateStore, key: string) => s.get({ key, metadata: {} });

describe('state.sqlite specifics', () => {
  it('creates Dapr\'s table layout exactly', async () => {
    const file = join(dir, 'layout.db');
    const store = await open({ connectionString: file });
    await store.close();
    const db = new Database(file, { readonly: true });
    const cols = db.pragma('table_info(state)') as Array<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>;
    expect(cols.map(({ name, type, notnull, dflt_value, pk }) => ({ name, type, notnull, dflt_value, pk }))).toEqual([
      { name: 'key', type: 'TEXT', notnull: 0, dflt_value: null, pk: 1 },
      { name: 'value', type: 'TEXT', notnull: 1, dflt_value: null, pk: 0 },
      { name: 'is_binary', type: 'BOOLEAN', notnull: 1, dflt_value: null, pk: 0 },
      { name: 'etag', type: 'TEXT', notnull: 1, dflt_value: null, pk: 0 },
      { name: 'expiration_time', type: 'TIMESTAMP', notnull: 0, dflt_value: null, pk: 0 },
      { name: 'update_time', type: 'TIMESTAMP', notnull: 1, dflt_value: 'CURRENT_TIMESTAMP', pk: 0 },
    ]);
    const metaCols = db.pragma('table_info(metadata)') as Array<{ name: string; type: string; pk: number }>;
    expect(metaCols.map((c) => [c.name, c.type, c.pk])).toEqual([['key', 'TEXT', 1], ['value', 'TEXT', 0]]);
    expect(db.prepare("SELECT value FROM metadata WHERE key = 'migrations'").get()).toEqual({ value: '1' });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('stores JSON as text and other bytes as base64 with is_binary = 1', async () => {
    const file = join(dir, 'encoding.db');
    const store = await open({ connectionString: file });
    await set(store, 'app||json', Buffer.from('{"a": [1, 2]}'));
    await set(store, 'app||bin', Buffer.from([0xff, 0x00, 0x41]));
    await set(store, 'app||text', Buffer.from('hello'));
    await store.close();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT key, value, is_binary FROM state ORDER BY key').all();
    expect(rows).toEqual([
      { key: 'app||bin', value: Buffer.from([0xff, 0x00, 0x41]).toString('base64'), is_binary: 1 },
      { key: 'app||json', value: '{"a": [1, 2]}', is_binary: 0 },
      { key: 'app||text', value: Buffer.from('hello').toString('base64'), is_binary: 1 },
    ]);
    db.close();
  });

  it('is durable across close and reopen, ETags included', async () => {
    const file = join(dir, 'nested', 'deeper', 'durable.db');
    const first = await open({ connectionString: file });
    expect(existsSync(file)).toBe(true);
    await set(first, 'app||j', Buffer.from('{"n":1}'));
    await set(first, 'app||b', Buffer.from([0x80, 0x81]));
    await set(first, 'app||t', Buffer.from('"t"'), { ttlInSeconds: '3600' });
    await first.multi?.({
      operations: [{ operation: 'upsert', request: { key: 'app||m', value: Buffer.from('true'), metadata: {}, options: {} } }],
      metadata: {},
    });
    const before = await get(first, 'app||j');
    await first.close();

    const second = await open({ connectionString: file });
    const after = await get(second, 'app||j');
    expect(after?.data.toString()).toBe('{"n":1}');
    expect(after?.etag).toBe(before?.etag);
    expect((await get(second, 'app||b'))?.data.equals(Buffer.from([0x80, 0x81]))).toBe(true);
    expect((await get(second, 'app||t'))?.metadata?.['ttlExpireTime']).toMatch(/Z$/);
    expect((await get(second, 'app||m'))?.data.toString()).toBe('true');
    await second.set({ key: 'app||j', value: Buffer.from('2'), etag: before?.etag, metadata: {}, options: {} });
    await second.close();
  });

  it('keeps two connections to one file consistent on ETags', async () => {
    const file = join(dir, 'shared.db');
    const [a, b] = [await open({ connectionString: file }), await open({ connectionString: file })];
    await set(a, 'app||k', Buffer.from('1'));
    const etag = (await get(b, 'app||k'))?.etag;
    await b.set({ key: 'app||k', value: Buffer.from('2'), etag, metadata: {}, options: {} });
    await expect(a.set({ key: 'app||k', value: Buffer.from('3'), etag, metadata: {}, options: {} })).rejects.toMatchObject({ errorKind: 'etag-mismatch' });
    expect((await get(a, 'app||k'))?.data.toString()).toBe('2');
    await Promise.all([a.close(), b.close()]);
  });

  it('honours tableName, metadataTableName and disableWAL', async () => {
    const file = join(dir, 'custom.db');
    const store = await open({ connectionString: file, tableName: 'my_state', metadataTableName: 'my_meta', disableWAL: 'true' });
    await set(store, 'app||k', Buffer.from('1'));
    await store.close();
    const db = new Database(file, { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables).toEqual(['my_meta', 'my_state']);
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
  });

  it('reads expiration times written in other SQLite time formats', async () => {
    const file = join(dir, 'foreign.db');
    await (await open({ connectionString: file })).close();
    const db = new Database(file);
    const ins = db.prepare('INSERT INTO state (key, value, is_binary, etag, expiration_time) VALUES (?, ?, 0, ?, ?)');
    ins.run('app||past', '1', 'e1', '2000-01-01T00:00:00Z');
    ins.run('app||future', '2', 'e2', '2999-01-01 10:00:00+02:00');
    ins.run('app||plain', '3', 'e3', null);
    db.close();
    const store = await open({ connectionString: file });
    expect(await get(store, 'app||past')).toBeUndefined();
    expect(await get(store, 'app||future')).toEqual({ data: Buffer.from('2'), etag: 'e2', metadata: { ttlExpireTime: '2999-01-01T08:00:00Z' } });
    expect(await get(store, 'app||plain')).toEqual({ data: Buffer.from('3'), etag: 'e3' });
    await expect(store.set({ key: 'app||past', value: Buffer.from('4'), etag: 'e1', metadata: {}, options: {} })).rejects.toMatchObject({ errorKind: 'etag-mismatch' });
    await store.set({ key: 'app||past', value: Buffer.from('5'), metadata: {}, options: { concurrency: 'first-write' } });
    expect((await get(store, 'app||past'))?.data.toString()).toBe('5');
    await store.close();
  });

  it('removes expired rows periodically when cleanupInterval > 0', async () => {
    const file = join(dir, 'cleanup.db');
    const store = await open({ connectionString: file, cleanupInterval: '200ms' });
    await set(store, 'app||short', Buffer.from('1'), { ttlInSeconds: '1' });
    await set(store, 'app||long', Buffer.from('2'));
    const db = new Database(file, { readonly: true });
    const count = () => (db.prepare('SELECT count(*) AS n FROM state').get() as { n: number }).n;
    expect(count()).toBe(2);
    const deadline = Date.now() + 4000;
    while (count() !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(count()).toBe(1);
    expect(db.prepare("SELECT value FROM metadata WHERE key = 'last-cleanup-state'").get()).toBeDefined();
    db.close();
    await store.close();
  }, 10_000);

  it('rejects bad metadata with ComponentConfigError at init', async () => {
    const bad = async (properties: Record<string, string>) => {
      const store = createSqliteStateStore(meta(properties));
      await expect(store.init()).rejects.toMatchObject({ kind: 'tessera.component-config' });
    };
    await bad({});
    await bad({ connectionString: ':memory:', tableName: 'state; DROP TABLE x' });
    await bad({ connectionString: ':memory:', busyTimeout: 'soon' });
    await bad({ connectionString: 'file:x.db?_pragma=journal_mode(WAL);x' });
  });

  it('accepts Dapr-style URI connection strings', async () => {
    const file = join(dir, 'uri.db');
    const store = await open({ connectionString: `file:${file}?_pragma=busy_timeout(5000)&_txlock=immediate`, busyTimeout: '3s', cleanupInterval: '1h' });
    await set(store, 'app||k', Buffer.from('1'));
    await store.close();
    expect(existsSync(file)).toBe(true);
  });
});
