// configuration.redis against the shared conformance suite on a real Redis (skipped loudly when
// absent), plus what only this store does: Dapr's layout, non-string keys, and turning the
// server's keyspace notifications on by itself.
import { Redis } from 'ioredis';
import { describeConfigurationConformance } from '@tessera/conformance';
import type { ConfigurationStore, ConfigurationUpdateEvent } from '@tessera/spi';
import { redisSkipReason, testRedisUrl } from '@tessera/testing';
import { createRedisConfigurationStore } from './redis-configuration-store';
import { formatItemValue } from './redis-layout';

const url = new URL(testRedisUrl());
const skipReason = redisSkipReason();
const properties = {
  redisHost: `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`,
  ...(url.username ? { redisUsername: decodeURIComponent(url.username) } : {}),
  ...(url.password ? { redisPassword: decodeURIComponent(url.password) } : {}),
};

async function newStore(logs: string[] = []): Promise<ConfigurationStore> {
  const log = (level: string) => (m: string) => logs.push(`${level}: ${m}`);
  const store = createRedisConfigurationStore(
    { name: 'conformance', type: 'configuration.redis', version: 'v1', appId: '', properties },
    { logger: { info: log('info'), warn: log('warn'), error: log('error') } },
  );
  await store.init();
  return store;
}

function redis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
}

describeConfigurationConformance(
  'configuration.redis',
  () => newStore(),
  async () => {
    const r = redis();
    return {
      set: async (k, v, ver) => void (await r.set(k, formatItemValue(v, ver))),
      delete: async (k) => void (await r.del(k)),
      close: async () => void r.disconnect(),
    };
  },
  { skipReason, deleteEvent: 'empty' },
);

const describeRedis = skipReason === undefined ? describe : describe.skip;

describeRedis('configuration.redis specifics', () => {
  const run = `cfgredis_${Date.now().toString(36)}`;
  let r: Redis;
  let store: ConfigurationStore;
  const logs: string[] = [];

  beforeAll(async () => {
    r = redis();
    store = await newStore(logs);
  });

  afterAll(async () => {
    await store.close();
    const keys = await r.keys(`${run}*`);
    if (keys.length > 0) await r.del(...keys);
    r.disconnect();
  });

  it('reads what daprd writes: plain strings, value||version; skips other types and empty values', async () => {
    await r.set(`${run}_plain`, 'just a value');
    await r.set(`${run}_versioned`, 'v||7');
    await r.set(`${run}_empty`, '');
    await r.hset(`${run}_hash`, 'data', 'x');
    const got = await store.get({ keys: [`${run}_plain`, `${run}_versioned`, `${run}_empty`, `${run}_hash`, `${run}_missing`], metadata: {} });
    expect(got).toEqual({
      [`${run}_plain`]: { value: 'just a value', version: '', metadata: {} },
      [`${run}_versioned`]: { value: 'v', version: '7', metadata: {} },
    });
    const all = await store.get({ keys: [], metadata: {} });
    expect(all[`${run}_versioned`]).toEqual({ value: 'v', version: '7', metadata: {} });
    expect(all[`${run}_hash`]).toBeUndefined();
  });

  it('turns keyspace notifications on when the server has them off, keeping other flags', async () => {
    const original = ((await r.config('GET', 'notify-keyspace-events')) as string[])[1] ?? '';
    try {
      await r.config('SET', 'notify-keyspace-events', 'E$');
      const events: ConfigurationUpdateEvent[] = [];
      const id = await store.subscribe({ keys: [`${run}_ks`], metadata: {} }, async (e) => void events.push(e));
      const now = ((await r.config('GET', 'notify-keyspace-events')) as string[])[1] ?? '';
      for (const f of ['K', 'E', '$', 'g', 'x', 'e']) expect(now).toContain(f);
      expect(logs.some((l) => l.startsWith('info: configuration store conformance: turned on Redis keyspace notifications'))).toBe(true);
      await r.set(`${run}_ks`, 'on||1');
      const until = Date.now() + 5000;
      while (events.length === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
      expect(events[0]?.items).toEqual({ [`${run}_ks`]: { value: 'on', version: '1', metadata: {} } });
      await store.unsubscribe(id);
    } finally {
      await r.config('SET', 'notify-keyspace-events', original === '' ? 'KEA' : original);
    }
  });

  it('an expiring key is reported empty when it expires', async () => {
    const key = `${run}_ttl`;
    await r.set(key, 'short||1');
    const events: ConfigurationUpdateEvent[] = [];
    const id = await store.subscribe({ keys: [key], metadata: {} }, async (e) => void events.push(e));
    await r.pexpire(key, 50);
    const until = Date.now() + 5000;
    while (!events.some((e) => e.items[key]?.value === '') && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    expect(events.at(-1)?.items[key]).toEqual({ value: '', version: '', metadata: {} });
    await store.unsubscribe(id);
  });

  it('refuses to start when Redis is unreachable, naming the address', async () => {
    const bad = createRedisConfigurationStore({ name: 'x', type: 'configuration.redis', version: 'v1', appId: '', properties: { redisHost: '127.0.0.1:1', redisMaxRetries: '0', dialTimeout: '500ms' } });
    await expect(bad.init()).rejects.toThrow(/^redis store: error connecting to redis at 127\.0\.0\.1:1: /);
    await bad.close();
  });
});
