// Redis-specific behaviour against a real server: Dapr's exact data layout (so a Dapr sidecar and
// Tessera can share a database, both ways), TTL via EXPIRE/PERSIST, the ETag rules of the scripts
// and the legacy plain-string layout. The generic contract is covered by redis.spec.ts.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisSkipReason, testRedisUrl } from '@tessera/testing';
import type { ComponentMetadata, StateStore, StoreSetRequest } from '@tessera/spi';
import { createRedisStateStore } from './redis-state-store';

const skipReason = redisSkipReason();
const url = new URL(testRedisUrl());
const redisHost = `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`;
const auth: Record<string, string> = {
  ...(url.username ? { redisUsername: decodeURIComponent(url.username) } : {}),
  ...(url.password ? { redisPassword: decodeURIComponent(url.password) } : {}),
};

const meta = (properties: Record<string, string> = {}): ComponentMetadata => ({
  name: 'redis-spec',
  type: 'state.redis',
  version: 'v1',
  properties: { redisHost, ...auth, ...properties },
  appId: 'app',
});

async function open(properties: Record<string, string> = {}): Promise<StateStore> {
  const s = createRedisStateStore(meta(properties));
  await s.init();
  return s;
}

const errorKind = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'none',
    (e: { errorKind?: string; kind?: string }) => e.errorKind ?? e.kind ?? String(e),
  );

const describeRedis = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`!!! state.redis component tests SKIPPED: ${skipReason}`);

describeRedis(`state.redis component${skipReason ? ` — SKIPPED: ${skipReason}` : ''}`, () => {
  const prefix = `tessera-redis-spec-${randomUUID()}||`;
  let store: StateStore;
  let raw: Redis;
  const set = (key: string, value: Buffer | string, extra: Partial<StoreSetRequest> = {}): Promise<void> =>
    store.set({ key, value: Buffer.isBuffer(value) ? value : Buffer.from(value), metadata: {}, options: {}, ...extra });

  beforeAll(async () => {
    raw = new Redis(testRedisUrl());
    store = await open();
  });

  afterAll(async () => {
    await store?.close();
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    for (const db of [3]) {
      await raw.select(db);
      const k2 = await raw.keys(`${prefix}*`);
      if (k2.length > 0) await raw.del(...k2);
    }
    raw.disconnect();
  });

  describe('layout (Tessera writes, Dapr reads)', () => {
    it('stores a hash with data and version; version is the ETag and increments', async () => {
      const key = `${prefix}layout`;
      await set(key, '{"a":1}');
      expect(await raw.type(key)).toBe('hash');
      expect(await raw.hgetall(key)).toEqual({ data: '{"a":1}', version: '1' });
      expect((await store.get({ key, metadata: {} }))?.etag).toBe('1');
      await set(key, '{"a":2}');
      await set(key, '{"a":3}', { etag: '2' });
      expect(await raw.hgetall(key)).toEqual({ data: '{"a":3}', version: '3' });
      expect(await raw.pttl(key)).toBe(-1);
    });

    it('stores binary values as raw bytes', async () => {
      const key = `${prefix}binary`;
      const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
      await set(key, bytes);
      expect((await raw.hgetBuffer(key, 'data'))?.equals(bytes)).toBe(true);
    });

    it('marks first-write records with first-write=0; they then need their ETag', async () => {
      const key = `${prefix}first-write`;
      await set(key, '"v1"', { options: { concurrency: 'first-write' } });
      expect(await raw.hgetall(key)).toEqual({ data: '"v1"', version: '1', 'first-write': '0' });
      expect(await errorKind(set(key, '"v2"'))).toBe('etag-mismatch');
      expect(await errorKind(set(key, '"v2"', { options: { concurrency: 'first-write' } }))).toBe('etag-mismatch');
      await set(key, '"v2"', { etag: '1' });
      expect(await raw.hgetall(key)).toEqual({ data: '"v2"', version: '2', 'first-write': '0' });
      await store.delete({ key, metadata: {}, options: {} });
      expect(await raw.exists(key)).toBe(0);
    });

    it('first-write without an ETag rejects an existing last-write record', async () => {
      const key = `${prefix}first-write-existing`;
      await set(key, '1');
      expect(await errorKind(set(key, '2', { options: { concurrency: 'first-write' } }))).toBe('etag-mismatch');
      expect(await raw.hgetall(key)).toEqual({ data: '1', version: '1' });
    });
  });

  describe('interop (Dapr writes, Tessera reads)', () => {
    it('reads a hash written by hand in Dapr layout, with its version as ETag', async () => {
      const key = `${prefix}dapr-hash`;
      await raw.hset(key, 'data', '{"from":"dapr"}', 'version', '41');
      const got = await store.get({ key, metadata: {} });
      expect(got?.data.toString()).toBe('{"from":"dapr"}');
      expect(got?.etag).toBe('41');
      expect(await errorKind(set(key, '{}', { etag: '40' }))).toBe('etag-mismatch');
      await set(key, '{"from":"tessera"}', { etag: '41' });
      expect(await raw.hgetall(key)).toEqual({ data: '{"from":"tessera"}', version: '42' });
    });

    it('honours a first-write record written by Dapr', async () => {
      const key = `${prefix}dapr-first-write`;
      await raw.hset(key, 'data', '"x"', 'version', '3', 'first-write', '0');
      expect(await errorKind(set(key, '"y"'))).toBe('etag-mismatch');
      await set(key, '"y"', { etag: '3' });
      expect(await raw.hget(key, 'version')).toBe('4');
    });

    it('reads a legacy plain-string key (no ETag); a write converts it to the hash layout', async () => {
      const key = `${prefix}legacy`;
      await raw.set(key, 'legacy-value');
      const got = await store.get({ key, metadata: {} });
      expect(got?.data.toString()).toBe('legacy-value');
      expect(got?.etag).toBeUndefined();
      const bulk = await store.bulkGet?.([{ key, metadata: {} }, { key: `${prefix}nope`, metadata: {} }]);
      expect(bulk?.[0]?.data?.toString()).toBe('legacy-value');
      expect(bulk?.[1]).toEqual({ key: `${prefix}nope` });
      expect(await errorKind(set(key, 'x', { etag: '1' }))).toBe('etag-mismatch');
      expect(await errorKind(set(key, 'x', { options: { concurrency: 'first-write' } }))).toBe('etag-mismatch');
      await set(key, 'now-a-hash');
      expect(await raw.hgetall(key)).toEqual({ data: 'now-a-hash', version: '1' });
    });

    it('reports a hash that lacks data or version as an error, not as missing', async () => {
      const key = `${prefix}broken`;
      await raw.hset(key, 'something', 'else');
      expect(await errorKind(store.get({ key, metadata: {} }))).toBe('backend');
      const bulk = await store.bulkGet?.([{ key, metadata: {} }]);
      expect(bulk?.[0]?.error).toMatch(/data.*version/);
    });
  });

  describe('etag handling', () => {
    it('a non-integer ETag is invalid on set (as Dapr) and a mismatch on delete', async () => {
      const key = `${prefix}etag-syntax`;
      await set(key, '1');
      expect(await errorKind(set(key, '2', { etag: 'abc' }))).toBe('etag-invalid');
      expect(await errorKind(store.delete({ key, etag: 'abc', metadata: {}, options: {} }))).toBe('etag-mismatch');
      expect(await errorKind(store.delete({ key: `${prefix}absent`, etag: '1', metadata: {}, options: {} }))).toBe('etag-mismatch');
      await store.delete({ key, etag: '1', metadata: {}, options: {} });
      expect(await raw.exists(key)).toBe(0);
    });

    it('an empty ETag means none', async () => {
      const key = `${prefix}etag-empty`;
      await set(key, '1', { etag: '' });
      await set(key, '2', { etag: '' });
      expect(await raw.hget(key, 'version')).toBe('2');
      await store.delete({ key, etag: '', metadata: {}, options: {} });
      expect(await raw.exists(key)).toBe(0);
    });

    it('strong consistency works without replicas (WAIT is skipped)', async () => {
      const key = `${prefix}strong`;
      await set(key, '1', { options: { consistency: 'strong' } });
      expect(await raw.hget(key, 'version')).toBe('1');
    });
  });

  describe('ttl', () => {
    it('ttlInSeconds sets EXPIRE; -1 PERSISTs; a write without TTL keeps the current one', async () => {
      const key = `${prefix}ttl`;
      await set(key, '1', { metadata: { ttlInSeconds: '100' } });
      const pttl = await raw.pttl(key);
      expect(pttl).toBeGreaterThan(95_000);
      expect(pttl).toBeLessThanOrEqual(100_000);
      await set(key, '2');
      expect(await raw.pttl(key)).toBeGreaterThan(95_000);
      await set(key, '3', { metadata: { ttlInSeconds: '-1' } });
      expect(await raw.pttl(key)).toBe(-1);
    });

    it('rejects a malformed ttlInSeconds before writing', async () => {
      const key = `${prefix}ttl-bad`;
      expect(await errorKind(set(key, '1', { metadata: { ttlInSeconds: 'soon' } }))).toBe('backend');
      expect(await raw.exists(key)).toBe(0);
    });

    it('applies the store-level ttlInSeconds default; -1 on the request overrides it', async () => {
      const withDefault = await open({ ttlInSeconds: '50' });
      try {
        const a = `${prefix}ttl-default-a`;
        const b = `${prefix}ttl-default-b`;
        await withDefault.set({ key: a, value: Buffer.from('1'), metadata: {}, options: {} });
        await withDefault.set({ key: b, value: Buffer.from('1'), metadata: { ttlInSeconds: '-1' }, options: {} });
        expect(await raw.pttl(a)).toBeGreaterThan(45_000);
        expect(await raw.pttl(b)).toBe(-1);
      } finally {
        await withDefault.close();
      }
    });

    it('applies TTL inside transactions too', async () => {
      const key = `${prefix}ttl-multi`;
      await store.multi?.({
        operations: [{ operation: 'upsert', request: { key, value: Buffer.from('1'), metadata: { ttlInSeconds: '100' }, options: {} } }],
        metadata: {},
      });
      expect(await raw.pttl(key)).toBeGreaterThan(95_000);
    });
  });

  describe('transactions', () => {
    it('has no rollback: on an ETag mismatch the other operations still apply (Dapr semantics)', async () => {
      const [a, b] = [`${prefix}tx-a`, `${prefix}tx-b`];
      await set(a, '1');
      const outcome = await errorKind(
        store.multi?.({
          operations: [
            { operation: 'upsert', request: { key: b, value: Buffer.from('b'), metadata: {}, options: {} } },
            { operation: 'upsert', request: { key: a, value: Buffer.from('2'), etag: '99', metadata: {}, options: {} } },
          ],
          metadata: {},
        }) ?? Promise.resolve(),
      );
      expect(outcome).toBe('etag-mismatch');
      expect(await raw.hgetall(b)).toEqual({ data: 'b', version: '1' });
      expect(await raw.hgetall(a)).toEqual({ data: '1', version: '1' });
    });

    it('rejects a malformed ETag before sending anything', async () => {
      const key = `${prefix}tx-invalid`;
      const outcome = await errorKind(
        store.multi?.({
          operations: [
            { operation: 'upsert', request: { key, value: Buffer.from('x'), metadata: {}, options: {} } },
            { operation: 'upsert', request: { key, value: Buffer.from('y'), etag: 'zz', metadata: {}, options: {} } },
          ],
          metadata: {},
        }) ?? Promise.resolve(),
      );
      expect(outcome).toBe('etag-invalid');
      expect(await raw.exists(key)).toBe(0);
    });
  });

  describe('hot path', () => {
    it('get is one HGETALL, set one EVALSHA, bulkGet one pipelined round of HGETALLs', async () => {
      const key = `${prefix}hot`;
      await set(key, '1'); // loads the script on this connection (EVAL once)
      // MONITOR sees every client of the shared server; under heavy traffic from other suites
      // ioredis' monitor connection can fail with "Command queue state error" (its own parser
      // race). Such an attempt is discarded and measured again; the count itself is never relaxed.
      for (let attempt = 1; ; attempt++) {
        const monitor = await raw.monitor();
        let broken: Error | undefined;
        monitor.on('error', (e: Error) => (broken = e));
        const seen: string[] = [];
        // Commands a script runs show up with source "lua"; only client commands are round trips.
        monitor.on('monitor', (_time: string, args: string[], source: string) => {
          if (source !== 'lua' && args.some((a) => a.startsWith(prefix))) seen.push(String(args[0]).toLowerCase());
        });
        await new Promise((r) => setTimeout(r, 50));
        await store.get({ key, metadata: {} });
        await set(key, '2');
        await store.bulkGet?.([{ key, metadata: {} }, { key: `${prefix}hot-2`, metadata: {} }]);
        await new Promise((r) => setTimeout(r, 100));
        monitor.disconnect();
        if (broken !== undefined && attempt < 3) continue;
        expect(broken).toBeUndefined();
        expect(seen).toEqual(['hgetall', 'evalsha', 'hgetall', 'hgetall']);
        return;
      }
    });
  });

  describe('connection', () => {
    it('uses redisDB', async () => {
      const s3 = await open({ redisDB: '3' });
      const key = `${prefix}db3`;
      try {
        await s3.set({ key, value: Buffer.from('in-db-3'), metadata: {}, options: {} });
        expect(await raw.exists(key)).toBe(0);
        const r3 = new Redis(testRedisUrl(), { db: 3 });
        try {
          expect(await r3.hget(key, 'data')).toBe('in-db-3');
        } finally {
          r3.disconnect();
        }
      } finally {
        await s3.close();
      }
    });

    it('init fails fast with a backend error when Redis is unreachable', async () => {
      const s = createRedisStateStore(meta({ redisHost: '127.0.0.1:1', dialTimeout: '1s' }));
      const started = Date.now();
      expect(await errorKind(s.init())).toBe('backend');
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('ping answers; features are ETAG, TRANSACTIONAL, TTL (no QUERY_API without RediSearch)', async () => {
      await store.ping?.();
      expect([...store.features()].sort()).toEqual(['ETAG', 'TRANSACTIONAL', 'TTL']);
      expect(store.query).toBeUndefined();
    });
  });
});
