// Postgres-specific behaviour against a real server: Dapr's exact v1 table layout (so a Dapr
// sidecar and Tessera can share a database, both ways), xmin ETags, isbinary, expiredate and the
// cleanup, migrations next to existing Dapr tables, connection-string forms and the query API's
// Postgres-specific edges. The generic contract is covered by postgresql.spec.ts.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { postgresSkipReason, testPostgresUrl } from '@tessera/testing';
import type { ComponentMetadata, StateStore, StoreSetRequest } from '@tessera/spi';
import { createPostgresStateStore } from './pg-state-store';

const skipReason = postgresSkipReason();
const run = randomUUID().replace(/-/g, '').slice(0, 10);
const table = `tessera_pgspec_${run}`;
const metaTable = `tessera_pgspec_${run}_meta`;
const schema = `tessera_pgspec_schema_${run}`;

const meta = (properties: Record<string, string> = {}): ComponentMetadata => ({
  name: 'pg-spec',
  type: 'state.postgresql',
  version: 'v1',
  properties: { connectionString: testPostgresUrl(), tableName: table, metadataTableName: metaTable, ...properties },
  appId: 'app',
});

async function open(properties: Record<string, string> = {}): Promise<StateStore> {
  const s = createPostgresStateStore(meta(properties));
  await s.init();
  return s;
}

const errorKind = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'none',
    (e: { errorKind?: string; kind?: string }) => e.errorKind ?? e.kind ?? String(e),
  );

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const describePg = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`!!! state.postgresql component tests SKIPPED: ${skipReason}`);

describePg(`state.postgresql v1 component${skipReason ? ` — SKIPPED: ${skipReason}` : ''}`, () => {
  let store: StateStore;
  let raw: Client;
  const set = (key: string, value: Buffer | string, extra: Partial<StoreSetRequest> = {}): Promise<void> =>
    store.set({ key, value: Buffer.isBuffer(value) ? value : Buffer.from(value), metadata: {}, options: {}, ...extra });
  const row = async (key: string, t = table) =>
    (
      await raw.query<{ value: unknown; isbinary: boolean; xmin: string; insertdate: Date; updatedate: Date | null; expiredate: Date | null }>(
        `SELECT value, isbinary, xmin::text AS xmin, insertdate, updatedate, expiredate FROM ${t} WHERE key = $1`,
        [key],
      )
    ).rows[0];

  beforeAll(async () => {
    raw = new Client({ connectionString: testPostgresUrl() });
    await raw.connect();
    store = await open();
  });

  afterAll(async () => {
    await store?.close();
    await raw.query(`DROP TABLE IF EXISTS ${table}, ${metaTable}`);
    await raw.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await raw.end();
  });

  describe('layout', () => {
    it('creates Dapr’s v1 state table and metadata table, at migration level 2', async () => {
      const cols = await raw.query<{ column_name: string; data_type: string; is_nullable: string; column_default: string | null }>(
        `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
        [table],
      );
      expect(cols.rows.map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
        ['key', 'text', 'NO'],
        ['value', 'jsonb', 'NO'],
        ['isbinary', 'boolean', 'NO'],
        ['insertdate', 'timestamp with time zone', 'NO'],
        ['updatedate', 'timestamp with time zone', 'YES'],
        ['expiredate', 'timestamp with time zone', 'YES'],
      ]);
      expect(cols.rows[3]?.column_default).toMatch(/now\(\)/);
      const pk = await raw.query(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = $1::regclass AND i.indisprimary`,
        [table],
      );
      expect(pk.rows).toEqual([{ attname: 'key' }]);
      const metaCols = await raw.query(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
        [metaTable],
      );
      expect(metaCols.rows).toEqual([
        { column_name: 'key', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'value', data_type: 'text', is_nullable: 'NO' },
      ]);
      const level = await raw.query(`SELECT value FROM ${metaTable} WHERE key = 'migrations'`);
      expect(level.rows).toEqual([{ value: '2' }]);
    });

    it('stores JSON as jsonb with isbinary=false; the ETag is xmin and changes on write', async () => {
      const key = 'app||json';
      await set(key, '{"b":2,"a":[1,"x"]}');
      const r1 = await row(key);
      expect(r1).toMatchObject({ value: { a: [1, 'x'], b: 2 }, isbinary: false, updatedate: null, expiredate: null });
      const got = await store.get({ key, metadata: {} });
      expect(got?.etag).toBe(r1?.xmin);
      expect(JSON.parse(got?.data.toString() ?? 'null')).toEqual({ a: [1, 'x'], b: 2 });
      await set(key, '{"c":3}', { etag: got?.etag as string });
      const r2 = await row(key);
      expect(r2?.xmin).not.toBe(r1?.xmin);
      expect(r2?.updatedate).toBeInstanceOf(Date);
      expect(r2?.insertdate.getTime()).toBe(r1?.insertdate.getTime());
    });

    it('stores bytes as a base64 JSON string with isbinary=true', async () => {
      const key = 'app||bytes';
      const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
      await set(key, bytes);
      expect(await row(key)).toMatchObject({ value: bytes.toString('base64'), isbinary: true });
      expect((await store.get({ key, metadata: {} }))?.data.equals(bytes)).toBe(true);
    });

    it('writes expiredate for ttlInSeconds, reports ttlExpireTime, clears it with -1', async () => {
      const key = 'app||ttl';
      const before = Date.now();
      await set(key, '1', { metadata: { ttlInSeconds: '100' } });
      const exp = (await row(key))?.expiredate?.getTime() ?? 0;
      expect(exp).toBeGreaterThanOrEqual(before + 99_000);
      expect(exp).toBeLessThanOrEqual(Date.now() + 101_000);
      const got = await store.get({ key, metadata: {} });
      expect(got?.metadata?.['ttlExpireTime']).toBe(new Date(Math.floor(exp / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
      await set(key, '2', { metadata: { ttlInSeconds: '-1' } });
      expect((await row(key))?.expiredate).toBeNull();
      expect((await store.get({ key, metadata: {} }))?.metadata).toBeUndefined();
    });
  });

  describe('interop (Dapr writes, Tessera reads)', () => {
    it('reads rows inserted the way Dapr writes them', async () => {
      await raw.query(`INSERT INTO ${table} (key, value, isbinary) VALUES ($1, $2, false), ($3, $4, true)`, [
        'dapr||json',
        '{"from": "dapr"}',
        'dapr||bin',
        JSON.stringify(Buffer.from('\x01\x02binary').toString('base64')),
      ]);
      const json = await store.get({ key: 'dapr||json', metadata: {} });
      expect(JSON.parse(json?.data.toString() ?? 'null')).toEqual({ from: 'dapr' });
      expect(json?.etag).toBe((await row('dapr||json'))?.xmin);
      const bin = await store.get({ key: 'dapr||bin', metadata: {} });
      expect(bin?.data.equals(Buffer.from('\x01\x02binary'))).toBe(true);
      const bulk = await store.bulkGet?.([{ key: 'dapr||bin', metadata: {} }, { key: 'dapr||json', metadata: {} }]);
      expect(bulk?.[0]?.data?.equals(Buffer.from('\x01\x02binary'))).toBe(true);
      expect(bulk?.[1]?.etag).toBe(json?.etag);
    });

    it('treats expired rows as absent (get, bulkGet, query, ETag writes), lets first-write replace them', async () => {
      await raw.query(`INSERT INTO ${table} (key, value, isbinary, expiredate) VALUES ($1, '{"old":true}', false, now() - interval '1 minute')`, [
        'exp||gone',
      ]);
      const xmin = (await row('exp||gone'))?.xmin as string;
      expect(await store.get({ key: 'exp||gone', metadata: {} })).toBeUndefined();
      expect(await store.bulkGet?.([{ key: 'exp||gone', metadata: {} }])).toEqual([{ key: 'exp||gone' }]);
      expect((await store.query?.({ keyPrefix: 'exp||', query: {}, metadata: {} }))?.results).toEqual([]);
      expect(await errorKind(set('exp||gone', '1', { etag: xmin }))).toBe('etag-mismatch');
      expect(await errorKind(store.delete({ key: 'exp||gone', etag: xmin, metadata: {}, options: {} }))).toBe('etag-mismatch');
      await set('exp||gone', '{"new":true}', { options: { concurrency: 'first-write' } });
      expect(await row('exp||gone')).toMatchObject({ value: { new: true }, expiredate: null });
    });

    it('migrates a table Dapr left at level 1 (no expiredate) without touching its rows', async () => {
      const t = `${table}_old`;
      const m = `${table}_oldmeta`;
      try {
        await raw.query(`CREATE TABLE ${t} (key text NOT NULL PRIMARY KEY, value jsonb NOT NULL, isbinary boolean NOT NULL,
          insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), updatedate TIMESTAMP WITH TIME ZONE NULL)`);
        await raw.query(`CREATE TABLE ${m} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
        await raw.query(`INSERT INTO ${m} VALUES ('migrations', '1')`);
        await raw.query(`INSERT INTO ${t} (key, value, isbinary) VALUES ('k', '"kept"', false)`);
        const s = await open({ tableName: t, metadataTableName: m });
        try {
          expect((await s.get({ key: 'k', metadata: {} }))?.data.toString()).toBe('"kept"');
          await s.set({ key: 'k2', value: Buffer.from('1'), metadata: { ttlInSeconds: '60' }, options: {} });
          expect((await row('k2', t))?.expiredate).toBeInstanceOf(Date);
          expect((await raw.query(`SELECT value FROM ${m} WHERE key = 'migrations'`)).rows).toEqual([{ value: '2' }]);
        } finally {
          await s.close();
        }
      } finally {
        await raw.query(`DROP TABLE IF EXISTS ${t}, ${m}`);
      }
    });
  });

  describe('etags', () => {
    it('a non-numeric or out-of-range ETag is invalid (set, delete, multi)', async () => {
      const key = 'etag||syntax';
      await set(key, '1');
      for (const bad of ['abc', '-1', '1.5', '4294967296']) {
        expect(await errorKind(set(key, '2', { etag: bad }))).toBe('etag-invalid');
        expect(await errorKind(store.delete({ key, etag: bad, metadata: {}, options: {} }))).toBe('etag-invalid');
      }
      const tx = store.multi?.({
        operations: [
          { operation: 'upsert', request: { key: 'etag||tx', value: Buffer.from('1'), metadata: {}, options: {} } },
          { operation: 'delete', request: { key, etag: 'zz', metadata: {}, options: {} } },
        ],
        metadata: {},
      });
      expect(await errorKind(tx ?? Promise.resolve())).toBe('etag-invalid');
      expect(await row('etag||tx')).toBeUndefined();
      expect(JSON.parse((await store.get({ key, metadata: {} }))?.data.toString() ?? 'null')).toBe(1);
    });

    it('rolls a transaction back on a mid-way mismatch', async () => {
      await set('tx||a', '"a"');
      const outcome = await errorKind(
        store.multi?.({
          operations: [
            { operation: 'delete', request: { key: 'tx||a', metadata: {}, options: {} } },
            { operation: 'upsert', request: { key: 'tx||b', value: Buffer.from('"b"'), metadata: {}, options: {} } },
            { operation: 'upsert', request: { key: 'tx||c', value: Buffer.from('"c"'), etag: '1', metadata: {}, options: {} } },
          ],
          metadata: {},
        }) ?? Promise.resolve(),
      );
      expect(outcome).toBe('etag-mismatch');
      expect(await row('tx||a')).toMatchObject({ value: 'a' });
      expect(await row('tx||b')).toBeUndefined();
    });
  });

  describe('cleanup', () => {
    it('deletes expired rows periodically and records last-cleanup-<table>', async () => {
      const t = `${table}_gc`;
      const s = await open({ tableName: t, cleanupInterval: '300ms' });
      try {
        await raw.query(`INSERT INTO ${t} (key, value, isbinary, expiredate) VALUES
          ('gc||old', '1', false, now() - interval '1 second'), ('gc||live', '1', false, now() + interval '1 hour'), ('gc||forever', '1', false, NULL)`);
        let keys: string[] = [];
        for (let i = 0; i < 40; i++) {
          await sleep(100);
          keys = (await raw.query<{ key: string }>(`SELECT key FROM ${t} ORDER BY key`)).rows.map((r) => r.key);
          if (!keys.includes('gc||old')) break;
        }
        expect(keys).toEqual(['gc||forever', 'gc||live']);
        const last = await raw.query<{ value: string }>(`SELECT value FROM ${metaTable} WHERE key = $1`, [`last-cleanup-${t}`]);
        expect(Date.parse(last.rows[0]?.value ?? '')).toBeGreaterThan(Date.now() - 60_000);
      } finally {
        await s.close();
        await raw.query(`DROP TABLE IF EXISTS ${t}`);
      }
    });
  });

  describe('configuration', () => {
    it('accepts a key=value connection string and a schema-qualified table name', async () => {
      await raw.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      const u = new URL(testPostgresUrl());
      const kv = [
        `host=${u.hostname}`,
        `port=${u.port || '5432'}`,
        `user=${decodeURIComponent(u.username) || 'postgres'}`,
        ...(u.password ? [`password='${decodeURIComponent(u.password).replace(/['\\]/g, '\\$&')}'`] : []),
        `database=${u.pathname.slice(1) || 'postgres'}`,
        'application_name=tessera-spec',
      ].join(' ');
      const s = await open({ connectionString: kv, tableName: `${schema}.state`, metadataTableName: `${schema}.meta`, maxConns: '2', timeout: '5s' });
      try {
        await s.set({ key: 'schema||k', value: Buffer.from('{"in":"schema"}'), metadata: {}, options: {} });
        const r = await raw.query(`SELECT value FROM ${schema}.state WHERE key = 'schema||k'`);
        expect(r.rows).toEqual([{ value: { in: 'schema' } }]);
        await s.ping?.();
      } finally {
        await s.close();
      }
    });

    it('init fails with a backend error when Postgres is unreachable', async () => {
      const s = createPostgresStateStore(meta({ connectionString: 'host=127.0.0.1 port=1 user=x connect_timeout=2', timeout: '2s' }));
      expect(await errorKind(s.init())).toBe('backend');
    });

    it('features: ETAG, TRANSACTIONAL, TTL, QUERY_API', () => {
      expect([...store.features()].sort()).toEqual(['ETAG', 'QUERY_API', 'TRANSACTIONAL', 'TTL']);
    });
  });

  describe('query', () => {
    const q = (query: object, keyPrefix = 'q||') => store.query?.({ keyPrefix, query: query as never, metadata: {} });

    beforeAll(async () => {
      const docs: Array<[string, unknown]> = [
        ['n9', { n: 9, s: 'b' }],
        ['n10', { n: 10, s: 'a' }],
        ['n100', { n: 100, s: 'c' }],
        ['txt', { n: 'ten', s: "it's" }],
      ];
      for (const [k, v] of docs) await set(`q||${k}`, JSON.stringify(v));
      await set('q||bin', Buffer.from([0xff, 0xfe]));
    });

    const keys = async (query: object): Promise<string[]> => ((await q(query))?.results ?? []).map((r) => r.key);

    it('compares numbers numerically and only against numbers', async () => {
      expect(await keys({ filter: { GT: { n: 9 } }, sort: [{ key: 'n' }] })).toEqual(['q||n10', 'q||n100']);
      expect(await keys({ filter: { LTE: { n: 10 } }, sort: [{ key: 'n', order: 'DESC' }] })).toEqual(['q||n10', 'q||n9']);
      // Mixed types sort in jsonb order: strings before numbers.
      expect(await keys({ filter: { NEQ: { n: 9 } }, sort: [{ key: 'n' }] })).toEqual(['q||txt', 'q||n10', 'q||n100']);
    });

    it('treats values as data, never as SQL', async () => {
      expect(await keys({ filter: { EQ: { s: "it's" } } })).toEqual(['q||txt']);
      expect(await keys({ filter: { EQ: { s: "x' OR '1'='1" } } })).toEqual([]);
      expect(await keys({ filter: { EQ: { s: 'a' } } })).toEqual(['q||n10']);
    });

    it('returns binary rows decoded when unfiltered, and etags that match get()', async () => {
      const r = await q({ filter: {} });
      const bin = r?.results.find((x) => x.key === 'q||bin');
      expect(bin?.data.equals(Buffer.from([0xff, 0xfe]))).toBe(true);
      expect(bin?.etag).toBe((await store.get({ key: 'q||bin', metadata: {} }))?.etag);
    });

    it('rejects bad queries with kind query', async () => {
      expect(await errorKind(q({ filter: { EQ: { 'a b': 1 } } }) ?? Promise.resolve())).toBe('query');
      expect(await errorKind(q({ filter: { EQ: { s: 'nul\u0000' } } }) ?? Promise.resolve())).toBe('query');
      expect(await errorKind(q({ page: { limit: 1, token: 'x' } }) ?? Promise.resolve())).toBe('query');
    });
  });
});
