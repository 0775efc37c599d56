// pubsub.kafka against a real broker. There is none by default: set KAFKA_BROKERS (host:port
// list, plain TCP, no auth) to run the conformance suite and the integration cases; otherwise
// they are registered as skipped with the reason in their titles. The unreachable-broker case
// needs no broker and always runs.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { describePubSubConformance } from '@tessera/conformance';
import type { ComponentMetadata, PubSub, PubSubMessage, PubSubSubscription } from '@tessera/spi';
import { createKafkaPubSub } from './kafka-pubsub';

const BROKERS = process.env['KAFKA_BROKERS'] ?? '';
const skipReason = BROKERS ? undefined : 'KAFKA_BROKERS not set';
if (skipReason) console.warn(`\n!!! pubsub.kafka broker tests SKIPPED: ${skipReason} (no Kafka broker on this machine)\n`);
const describeBroker = skipReason === undefined ? describe : describe.skip;
const brokerTitle = (t: string): string => (skipReason === undefined ? t : `${t} (skipped: ${skipReason})`);

const run = randomUUID().slice(0, 8);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const text = (m: PubSubMessage): string => Buffer.from(m.data).toString('utf8');
const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

function meta(properties: Record<string, string> = {}): ComponentMetadata {
  return { name: 'kafka', type: 'pubsub.kafka', version: 'v1', appId: 'app', properties: { brokers: BROKERS, authType: 'none', disableTls: 'true', initialOffset: 'newest', ...properties } };
}

async function open(properties: Record<string, string> = {}): Promise<PubSub> {
  const ps = createKafkaPubSub(meta(properties));
  await ps.init();
  return ps;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(25);
  }
}

describePubSubConformance('pubsub.kafka', () => open({ consumeRetryInterval: '200ms' }), {
  ...(skipReason !== undefined ? { skipReason } : {}),
  timeoutMs: 30_000,
  settleMs: 1500,
  subscribeSettleMs: 1000,
  carriesMetadata: true,
  carriesContentType: false,
  competingConsumers: true,
  fanOut: true,
  // consumeRetryEnabled (default): the handler is called again after consumeRetryInterval.
  redeliversOnHandlerError: { withinMs: 2000 },
  redeliversUnackedAfterClose: { withinMs: 30_000 },
  durableAcrossInstances: true,
  bulkPublish: true,
});

describeBroker(brokerTitle('pubsub.kafka protocol'), () => {
  const components: PubSub[] = [];
  const subs: PubSubSubscription[] = [];
  const make = async (properties: Record<string, string> = {}): Promise<PubSub> => {
    const ps = await open(properties);
    components.push(ps);
    return ps;
  };
  const topic = (what: string): string => `tessera-${run}-${what}`;

  afterAll(async () => {
    await Promise.allSettled(subs.map((s) => s.close()));
    await Promise.allSettled(components.map((c) => c.close()));
    const admin = new Kafka({ brokers: BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.includes(run));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('writes partitionKey as the record key and other metadata as headers, and delivers them with __key/__topic/__partition/__offset', async () => {
    const ps = await make();
    const t = topic('headers');
    const got: PubSubMessage[] = [];
    subs.push(await ps.subscribe({ topic: t, consumerGroup: `g-${run}-headers`, metadata: {} }, async (m) => void got.push(m)));
    await ps.publish({ topic: t, data: enc('v'), metadata: { partitionKey: 'key-1', correlationId: 'c-1' } });
    await until(() => got.length === 1, 30_000, 'delivery');
    expect(got[0]?.metadata).toMatchObject({ __key: 'key-1', __topic: t, __partition: '0', correlationId: 'c-1' });
    expect(got[0]?.metadata['partitionKey']).toBeUndefined();
    expect(Number(got[0]?.metadata['__offset'])).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('commits the offset only after the handler settled', async () => {
    const t = topic('commit');
    const group = `g-${run}-commit`;
    const ps = await make();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const offsets: string[] = [];
    subs.push(
      await ps.subscribe({ topic: t, consumerGroup: group, metadata: {} }, async (m) => {
        offsets.push(m.metadata['__offset'] ?? '');
        await gate;
      }),
    );
    await ps.publish({ topic: t, data: enc('held'), metadata: {} });
    await until(() => offsets.length === 1, 30_000, 'delivery');
    const admin = new Kafka({ brokers: BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const committed = async (): Promise<number> => {
        const [res] = await admin.fetchOffsets({ groupId: group, topics: [t] });
        return Number(res?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
      };
      const held = Number(offsets[0]);
      await sleep(2000);
      expect(await committed()).toBeLessThanOrEqual(held);
      release();
      const deadline = Date.now() + 15_000;
      while ((await committed()) !== held + 1 && Date.now() < deadline) await sleep(200);
      expect(await committed()).toBe(held + 1);
    } finally {
      release();
      await admin.disconnect();
    }
  }, 90_000);

  it('retries a failing handler with consumeRetryInterval, then commits and moves on when retries are exhausted', async () => {
    const ps = await make({ consumeRetryInterval: '100ms', backOffMaxRetries: '2' });
    const t = topic('retry');
    const calls = new Map<string, number>();
    subs.push(
      await ps.subscribe({ topic: t, consumerGroup: `g-${run}-retry`, metadata: {} }, async (m) => {
        calls.set(text(m), (calls.get(text(m)) ?? 0) + 1);
        if (text(m) === 'poison') throw new Error('always fails');
      }),
    );
    await ps.publish({ topic: t, data: enc('poison'), metadata: {} });
    await ps.publish({ topic: t, data: enc('next'), metadata: {} });
    await until(() => calls.get('next') === 1, 30_000, 'the next message');
    expect(calls.get('poison')).toBe(3);
  }, 60_000);

  it('does not retry with consumeRetryEnabled false', async () => {
    const ps = await make({ consumeRetryEnabled: 'false' });
    const t = topic('noretry');
    const calls = new Map<string, number>();
    subs.push(
      await ps.subscribe({ topic: t, consumerGroup: `g-${run}-noretry`, metadata: {} }, async (m) => {
        calls.set(text(m), (calls.get(text(m)) ?? 0) + 1);
        if (text(m) === 'fails') throw new Error('fails');
      }),
    );
    await ps.publish({ topic: t, data: enc('fails'), metadata: {} });
    await ps.publish({ topic: t, data: enc('next'), metadata: {} });
    await until(() => calls.get('next') === 1, 30_000, 'the next message');
    expect(calls.get('fails')).toBe(1);
  }, 60_000);

  it('keeps partition order for one key', async () => {
    const ps = await make();
    const t = topic('order');
    const got: string[] = [];
    subs.push(await ps.subscribe({ topic: t, consumerGroup: `g-${run}-order`, metadata: {} }, async (m) => void got.push(text(m))));
    for (let i = 0; i < 20; i++) await ps.publish({ topic: t, data: enc(String(i)), metadata: { partitionKey: 'same' } });
    await until(() => got.length === 20, 30_000, 'all messages');
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  }, 60_000);
});

describe('pubsub.kafka without a broker', () => {
  it('fails init with a backend error when no broker answers', async () => {
    const ps = createKafkaPubSub({ name: 'kafka', type: 'pubsub.kafka', version: 'v1', appId: 'app', properties: { brokers: '127.0.0.1:1', authType: 'none', disableTls: 'true' } });
    await expect(ps.init()).rejects.toMatchObject({ kind: 'tessera.pubsub-error', errorKind: 'backend' });
    await ps.close();
    await expect(ps.publish({ topic: 't', data: enc('x'), metadata: {} })).rejects.toMatchObject({ errorKind: 'closed' });
  }, 60_000);

  it('refuses bad metadata at init with the field name', async () => {
    const ps = createKafkaPubSub({ name: 'kafka', type: 'pubsub.kafka', version: 'v1', appId: 'app', properties: { brokers: 'h:1', authType: 'oidc' } });
    await expect(ps.init()).rejects.toMatchObject({ kind: 'tessera.component-config', field: 'authType' });
  });
});
