// pubsub.redis against a real Redis (skipped loudly when unreachable): the shared pub/sub
// conformance suite, then what is Redis-specific, checked with a raw ioredis client: Dapr's entry
// layout (XRANGE fields), group and consumer names, trimming, the processing deadline, reclaim of
// idle pending entries and acknowledgement of vanished ones.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describePubSubConformance, PubSubRecorder } from '@tessera/conformance';
import { PubSubAbandonError } from '@tessera/spi';
import type { ComponentMetadata, PubSub, PubSubSubscription } from '@tessera/spi';
import { redisSkipReason, testRedisUrl } from '@tessera/testing';
import { createRedisPubSub } from './redis-pubsub';

const skipReason = redisSkipReason();
const url = new URL(testRedisUrl());
const redisHost = `${url.hostname}:${url.port || '6379'}`;
const auth: Record<string, string> = {
  ...(url.password ? { redisPassword: decodeURIComponent(url.password) } : {}),
  ...(url.username ? { redisUsername: decodeURIComponent(url.username) } : {}),
};

const meta = (properties: Record<string, string> = {}): ComponentMetadata => ({
  name: 'redis-pubsub',
  type: 'pubsub.redis',
  version: 'v1',
  properties: { redisHost, ...auth, processingTimeout: '1s', redeliverInterval: '300ms', ...properties },
  appId: 'app',
});

async function open(properties?: Record<string, string>): Promise<PubSub> {
  const ps = createRedisPubSub(meta(properties));
  await ps.init();
  return ps;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

// Conformance streams live under this prefix and are deleted at the end of the file.
const CONF_PREFIX = `tessera-redis-conf-${randomUUID().slice(0, 8)}-`;
afterAll(async () => {
  if (skipReason) return;
  const cleaner = new Redis({ host: url.hostname, port: Number(url.port || 6379), ...(url.password ? { password: decodeURIComponent(url.password) } : {}) });
  const keys = await cleaner.keys(`${CONF_PREFIX}*`);
  if (keys.length > 0) await cleaner.del(...keys);
  cleaner.disconnect();
});

describePubSubConformance('pubsub.redis', () => open(), {
  skipReason,
  topicPrefix: CONF_PREFIX,
  carriesMetadata: true,
  carriesContentType: true,
  competingConsumers: true,
  fanOut: true,
  // Dapr acks after a failed handler (the runtime already retried); no broker redelivery.
  redeliversOnHandlerError: false,
  // Abandoned entries stay pending and are reclaimed after processingTimeout (1 s here).
  redeliversUnackedAfterClose: { withinMs: 3000 },
  durableAcrossInstances: true,
  settleMs: 300,
});

const describeRedis = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`!!! pubsub.redis specific tests SKIPPED: ${skipReason}`);

describeRedis(`pubsub.redis specifics${skipReason ? ` — SKIPPED: ${skipReason}` : ''}`, () => {
  const run = randomUUID().slice(0, 8);
  const topicOf = (name: string): string => `tessera-pubsub-redis-${run}-${name}`;
  let raw: Redis;
  let ps: PubSub;
  const subs: PubSubSubscription[] = [];
  const topics: string[] = [];
  const subscribe = async (on: PubSub, topic: string, consumerGroup: string, rec: PubSubRecorder): Promise<PubSubSubscription> => {
    const sub = await on.subscribe({ topic, consumerGroup, metadata: {} }, rec.handler);
    subs.push(sub);
    return sub;
  };
  const topic = (name: string): string => {
    const t = topicOf(name);
    topics.push(t);
    return t;
  };
  const asRecord = (x: unknown): Record<string, unknown> => {
    if (!Array.isArray(x)) return x as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < x.length; i += 2) out[String(x[i])] = x[i + 1];
    return out;
  };
  const groupsOf = async (t: string): Promise<Array<Record<string, unknown>>> => ((await raw.xinfo('GROUPS', t)) as unknown[]).map(asRecord);
  const consumersOf = async (t: string, g: string): Promise<Array<Record<string, unknown>>> => ((await raw.xinfo('CONSUMERS', t, g)) as unknown[]).map(asRecord);
  const pendingCount = async (t: string, g: string): Promise<number> => Number(((await raw.xpending(t, g)) as unknown[])[0]);

  beforeAll(async () => {
    raw = new Redis({ host: url.hostname, port: Number(url.port || 6379), ...(url.password ? { password: decodeURIComponent(url.password) } : {}) });
    ps = await open();
  });

  afterAll(async () => {
    await Promise.allSettled(subs.map((s) => s.close()));
    await ps.close();
    if (topics.length > 0) await raw.del(...topics);
    raw.disconnect();
  });

  it("writes Dapr's layout: topic = stream key, fields data (exact bytes), metadata (JSON), contentType", async () => {
    const t = topic('layout');
    const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    await ps.publish({ topic: t, data: new Uint8Array(bytes), contentType: 'application/octet-stream', metadata: { ttlInSeconds: '30', traceparent: 'tp' } });
    await ps.publish({ topic: t, data: enc('{"a":1}'), metadata: {} });
    const entries = await raw.xrangeBuffer(t, '-', '+');
    expect(entries).toHaveLength(2);
    const fieldsOf = (i: number): Record<string, Buffer> => {
      const f = (entries[i] as [Buffer, Buffer[]])[1];
      const out: Record<string, Buffer> = {};
      for (let j = 0; j < f.length; j += 2) out[(f[j] as Buffer).toString()] = f[j + 1] as Buffer;
      return out;
    };
    const first = fieldsOf(0);
    expect(Object.keys(first)).toEqual(['data', 'metadata', 'contentType']);
    expect(first['data']?.equals(bytes)).toBe(true);
    expect(JSON.parse(first['metadata']?.toString() ?? '')).toEqual({ ttlInSeconds: '30', traceparent: 'tp' });
    expect(first['contentType']?.toString()).toBe('application/octet-stream');
    const second = fieldsOf(1);
    expect(Object.keys(second)).toEqual(['data']);
    expect(second['data']?.toString()).toBe('{"a":1}');
  });

  it('creates the group named after consumerGroup with MKSTREAM; each subscription reads under a consumer name of its own', async () => {
    const t = topic('group');
    const g = `app-${run}`;
    // A abandons what it gets, so the entry stays pending under A's consumer name after A closes.
    const a = new PubSubRecorder(async () => {
      throw new PubSubAbandonError();
    });
    const subA = await subscribe(ps, t, g, a);
    expect(await raw.type(t)).toBe('stream');
    expect((await groupsOf(t)).map((x) => x['name'])).toEqual([g]);
    await ps.publish({ topic: t, data: enc('first'), metadata: {} });
    await a.waitFor(1, 5000);
    await subA.close();
    const b = new PubSubRecorder();
    await subscribe(ps, t, g, b);
    await ps.publish({ topic: t, data: enc('second'), metadata: {} });
    await b.waitFor(1, 5000, (m) => m.text === 'second');
    const consumers = await consumersOf(t, g);
    expect(consumers).toHaveLength(2);
    for (const c of consumers) expect(c['name']).toMatch(new RegExp(`^${g}-[0-9a-f-]{36}$`));
    const [nameA] = consumers.filter((c) => Number(c['pending']) === 1).map((c) => c['name']);
    expect(nameA).toBeDefined();
    // B reclaims A's entry once it has been idle for processingTimeout (1 s).
    await b.waitFor(1, 5000, (m) => m.text === 'first');
    await sleep(200);
    expect(await pendingCount(t, g)).toBe(0);
  });

  it('joins an existing group (BUSYGROUP) and reads only what it has not yet delivered', async () => {
    const t = topic('busy');
    const g = `pre-${run}`;
    await raw.xadd(t, '*', 'data', 'before the group');
    await raw.xgroup('CREATE', t, g, '$');
    await raw.xadd(t, '*', 'data', 'after the group', 'metadata', '{"from":"dapr"}');
    const rec = new PubSubRecorder();
    await subscribe(ps, t, g, rec);
    await rec.waitFor(1, 5000);
    await sleep(300);
    expect(rec.messages.map((m) => [m.text, m.metadata, m.contentType])).toEqual([['after the group', { from: 'dapr' }, undefined]]);
  });

  it('acks after a handler error within processingTimeout: delivered once, nothing pending', async () => {
    const t = topic('fail-ack');
    const g = `g-${run}`;
    const rec = new PubSubRecorder(async () => {
      throw new Error('handler failed');
    });
    await subscribe(ps, t, g, rec);
    await ps.publish({ topic: t, data: enc('boom'), metadata: {} });
    await rec.waitFor(1, 5000);
    await sleep(1800);
    expect(rec.count()).toBe(1);
    expect(await pendingCount(t, g)).toBe(0);
  });

  it('leaves an entry pending when its handler failed after processingTimeout; it is reclaimed and run again', async () => {
    const t = topic('fail-late');
    const g = `g-${run}`;
    const rec = new PubSubRecorder(async (_m, nth) => {
      if (nth === 1) {
        await sleep(1200);
        throw new Error('too late');
      }
    });
    await subscribe(ps, t, g, rec);
    await ps.publish({ topic: t, data: enc('slow'), metadata: {} });
    await rec.waitFor(2, 6000);
    await sleep(500);
    expect(rec.count()).toBe(2);
    expect(await pendingCount(t, g)).toBe(0);
  });

  it('reclaims entries left pending by a dead consumer once idle for processingTimeout', async () => {
    const t = topic('reclaim');
    const g = `g-${run}`;
    await raw.xgroup('CREATE', t, g, '0', 'MKSTREAM');
    await raw.xadd(t, '*', 'data', 'orphan', 'metadata', '{"k":"v"}');
    await raw.xreadgroup('GROUP', g, 'dead-sidecar', 'COUNT', 10, 'STREAMS', t, '>');
    expect(await pendingCount(t, g)).toBe(1);
    const rec = new PubSubRecorder();
    const started = Date.now();
    await subscribe(ps, t, g, rec);
    await rec.waitFor(1, 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(rec.messages[0]).toMatchObject({ text: 'orphan', metadata: { k: 'v' } });
    await sleep(200);
    expect(await pendingCount(t, g)).toBe(0);
  });

  it('acks pending ids whose entries vanished from the stream, without calling the handler', async () => {
    const t = topic('vanished');
    const g = `g-${run}`;
    await raw.xgroup('CREATE', t, g, '0', 'MKSTREAM');
    const id = (await raw.xadd(t, '*', 'data', 'gone')) as string;
    await raw.xreadgroup('GROUP', g, 'dead-sidecar', 'COUNT', 10, 'STREAMS', t, '>');
    await raw.xdel(t, id);
    const rec = new PubSubRecorder();
    await subscribe(ps, t, g, rec);
    const deadline = Date.now() + 5000;
    while ((await pendingCount(t, g)) > 0 && Date.now() < deadline) await sleep(100);
    expect(await pendingCount(t, g)).toBe(0);
    expect(rec.count()).toBe(0);
  });

  it('close() leaves abandoned and undelivered entries pending in the group', async () => {
    const t = topic('close-pending');
    const g = `g-${run}`;
    const own = await open({ concurrency: '1', processingTimeout: '0' });
    const rec = new PubSubRecorder(async () => {
      throw new PubSubAbandonError();
    });
    const sub = await own.subscribe({ topic: t, consumerGroup: g, metadata: {} }, rec.handler);
    await own.publish({ topic: t, data: enc('abandoned'), metadata: {} });
    await rec.waitFor(1, 5000);
    await sub.close();
    await own.close();
    expect(await pendingCount(t, g)).toBe(1);
    const consumers = await consumersOf(t, g);
    expect(consumers.map((c) => [c['name'], Number(c['pending'])])).toEqual([[expect.stringMatching(new RegExp(`^${g}-`)), 1]]);
  });

  it('runs at most `concurrency` handlers at once and buffers at most queueDepth entries', async () => {
    const t = topic('concurrency');
    const own = await open({ concurrency: '2', queueDepth: '3' });
    let running = 0;
    let max = 0;
    const rec = new PubSubRecorder(async () => {
      running++;
      max = Math.max(max, running);
      await sleep(50);
      running--;
    });
    const sub = await own.subscribe({ topic: t, consumerGroup: `g-${run}`, metadata: {} }, rec.handler);
    const texts = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const s of texts) await own.publish({ topic: t, data: enc(s), metadata: {} });
    await rec.waitForAll(texts, 10_000);
    await sub.close();
    await own.close();
    expect(max).toBe(2);
    expect(rec.count()).toBe(20);
  });

  it('trims with MAXLEN ~ maxLenApprox', async () => {
    const t = topic('maxlen');
    const own = await open({ maxLenApprox: '10' });
    for (let i = 0; i < 400; i++) await own.publish({ topic: t, data: enc(`m${i}`), metadata: {} });
    await own.close();
    expect(await raw.xlen(t)).toBeLessThan(400);
  });

  it('fails init with a PubSubError when Redis is unreachable', async () => {
    const bad = createRedisPubSub({ ...meta({ redisHost: '127.0.0.1:1', dialTimeout: '300ms', redisMaxRetries: '0' }) });
    await expect(bad.init()).rejects.toMatchObject({ kind: 'tessera.pubsub-error', errorKind: 'backend', message: expect.stringMatching(/127\.0\.0\.1:1/) });
    await bad.close();
  });
});
