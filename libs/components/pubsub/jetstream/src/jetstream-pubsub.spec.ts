// pubsub.jetstream against a real NATS server with JetStream (NATS_URL, default
// nats://127.0.0.1:4222; skipped loudly when unreachable): the shared pub/sub conformance suite,
// then what is JetStream-specific, checked with a raw JetStream manager: headers as stored, stream
// creation and subject merging, durable consumer names, maxDeliver, concurrency.
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { describePubSubConformance, PubSubRecorder } from '@tessera/conformance';
import type { ComponentMetadata, PubSub, PubSubSubscription } from '@tessera/spi';
import { natsJetStreamSkipReason, testNatsUrl } from '@tessera/testing';
import { createJetStreamPubSub } from './jetstream-pubsub';

const NATS_URL = testNatsUrl();
const skipReason = natsJetStreamSkipReason(NATS_URL);
const run = randomUUID().slice(0, 8);
const STREAM = `tessera-conf-${run}`;

const meta = (properties: Record<string, string> = {}): ComponentMetadata => ({
  name: 'jetstream-pubsub',
  type: 'pubsub.jetstream',
  version: 'v1',
  properties: { natsURL: NATS_URL, streamName: STREAM, ...properties },
  appId: 'app',
});

async function open(properties?: Record<string, string>): Promise<PubSub> {
  const ps = createJetStreamPubSub(meta(properties));
  await ps.init();
  return ps;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

/** Streams this file created, deleted at the end. */
const createdStreams = new Set<string>([STREAM]);
let admin: { nc: NatsConnection; jsm: JetStreamManager } | undefined;
async function adminJsm(): Promise<JetStreamManager> {
  if (!admin) {
    const nc = await connect({ servers: NATS_URL });
    admin = { nc, jsm: await jetstreamManager(nc) };
  }
  return admin.jsm;
}

afterAll(async () => {
  if (!admin && skipReason) return;
  const jsm = await adminJsm();
  for (const s of createdStreams) await jsm.streams.delete(s).catch(() => undefined);
  await admin?.nc.close();
});

describePubSubConformance('pubsub.jetstream', () => open(), {
  skipReason,
  carriesMetadata: true,
  carriesContentType: true,
  competingConsumers: true,
  fanOut: true,
  redeliversOnHandlerError: { withinMs: 2000 },
  redeliversUnackedAfterClose: { withinMs: 3000 },
  durableAcrossInstances: true,
  wildcards: { separator: '.', single: '*', multi: '>' },
  settleMs: 300,
});

const describeNats = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`!!! pubsub.jetstream specific tests SKIPPED: ${skipReason}`);

describeNats(`pubsub.jetstream specifics${skipReason ? ` — SKIPPED: ${skipReason}` : ''}`, () => {
  let ps: PubSub;
  const subs: PubSubSubscription[] = [];
  const others: PubSub[] = [];
  const topic = (name: string): string => `tessera-js-${run}-${name}`;
  const subscribe = async (on: PubSub, t: string, consumerGroup: string, rec: PubSubRecorder): Promise<PubSubSubscription> => {
    const sub = await on.subscribe({ topic: t, consumerGroup, metadata: {} }, rec.handler);
    subs.push(sub);
    return sub;
  };
  const openOther = async (properties: Record<string, string>): Promise<PubSub> => {
    const c = await open(properties);
    others.push(c);
    return c;
  };

  beforeAll(async () => {
    ps = await open();
  });

  afterAll(async () => {
    await Promise.allSettled(subs.map((s) => s.close()));
    await Promise.allSettled([ps, ...others].map((c) => c.close()));
  });

  it('stores metadata as NATS headers (names exact) and the content type as Content-Type', async () => {
    const t = topic('headers');
    await ps.publish({ topic: t, data: enc('payload'), contentType: 'application/json', metadata: { 'x-Custom': 'one two', traceparent: 'tp' } });
    const jsm = await adminJsm();
    const stored = await jsm.streams.getMessage(STREAM, { last_by_subj: t });
    expect(stored?.subject).toBe(t);
    expect(Buffer.from(stored?.data ?? new Uint8Array()).toString()).toBe('payload');
    expect(stored?.header.get('x-Custom')).toBe('one two');
    expect(stored?.header.get('traceparent')).toBe('tp');
    expect(stored?.header.get('Content-Type')).toBe('application/json');
  });

  it('creates the stream on demand and merges subjects: a wildcard replaces the subjects it covers', async () => {
    const name = `tessera-auto-${run}`;
    createdStreams.add(name);
    const c = await openOther({ streamName: name });
    const jsm = await adminJsm();
    await expect(jsm.streams.info(name)).rejects.toThrow();
    await c.publish({ topic: `auto-${run}.a`, data: enc('a'), metadata: {} });
    expect((await jsm.streams.info(name)).config.subjects).toEqual([`auto-${run}.a`]);
    await c.publish({ topic: `auto-${run}.b`, data: enc('b'), metadata: {} });
    const rec = new PubSubRecorder();
    await subscribe(c, `auto-${run}.*`, 'g', rec);
    expect((await jsm.streams.info(name)).config.subjects).toEqual([`auto-${run}.*`]);
    await rec.waitFor(2, 5000);
    expect(rec.messages.map((m) => [m.topic, m.text]).sort()).toEqual([
      [`auto-${run}.a`, 'a'],
      [`auto-${run}.b`, 'b'],
    ]);
  });

  it('without streamName, uses the stream that already captures the subject', async () => {
    const name = `tessera-existing-${run}`;
    createdStreams.add(name);
    const jsm = await adminJsm();
    await jsm.streams.add({ name, subjects: [`existing-${run}.>`] });
    const c = await openOther({ streamName: '' });
    const rec = new PubSubRecorder();
    await subscribe(c, `existing-${run}.x`, 'g', rec);
    await c.publish({ topic: `existing-${run}.x`, data: enc('found'), metadata: {} });
    await rec.waitFor(1, 5000);
    expect((await jsm.streams.info(name)).state.messages).toBe(1);
    const names: string[] = [];
    for await (const ci of jsm.consumers.list(name)) names.push(ci.name);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(new RegExp(`^g-existing-${run}_x-[0-9a-f]{10}$`));
  });

  it('with autoCreateStream=false, refuses a missing stream at init and a subject the stream does not capture', async () => {
    const missing = createJetStreamPubSub(meta({ streamName: `tessera-missing-${run}`, autoCreateStream: 'false' }));
    await expect(missing.init()).rejects.toMatchObject({ kind: 'tessera.pubsub-error', errorKind: 'backend', message: expect.stringMatching(/does not exist/) });
    await missing.close();
    const name = `tessera-fixed-${run}`;
    createdStreams.add(name);
    await (await adminJsm()).streams.add({ name, subjects: [`fixed-${run}`] });
    const c = await openOther({ streamName: name, autoCreateStream: 'false' });
    await c.publish({ topic: `fixed-${run}`, data: enc('ok'), metadata: {} });
    const rec = new PubSubRecorder();
    await expect(c.subscribe({ topic: `other-${run}`, consumerGroup: 'g', metadata: {} }, rec.handler)).rejects.toMatchObject({
      errorKind: 'backend',
      message: expect.stringMatching(/does not capture subject/),
    });
    await expect(c.publish({ topic: `other-${run}`, data: enc('x'), metadata: {} })).rejects.toMatchObject({ errorKind: 'backend' });
  });

  it('names durable consumers after the group (or durableName / queueGroupName) and the topic', async () => {
    const t = topic('names');
    await subscribe(ps, t, 'app-a', new PubSubRecorder());
    await subscribe(ps, t, 'app-a', new PubSubRecorder());
    await subscribe(ps, t, 'app-b', new PubSubRecorder());
    const viaDurable = await openOther({ durableName: 'dur' });
    await subscribe(viaDurable, t, 'ignored', new PubSubRecorder());
    const viaQueue = await openOther({ queueGroupName: 'qg' });
    await subscribe(viaQueue, t, 'ignored', new PubSubRecorder());
    const jsm = await adminJsm();
    const found: Array<[string, string | undefined, string]> = [];
    for await (const ci of jsm.consumers.list(STREAM)) {
      if (ci.config.filter_subject === t) found.push([ci.name, ci.config.durable_name, ci.config.ack_policy]);
    }
    expect(found.sort()).toEqual([
      [`app-a-${t}`, `app-a-${t}`, 'explicit'],
      [`app-b-${t}`, `app-b-${t}`, 'explicit'],
      [`dur-${t}`, `dur-${t}`, 'explicit'],
      [`qg-${t}`, `qg-${t}`, 'explicit'],
    ]);
  });

  it('naks failed messages and stops after maxDeliver deliveries', async () => {
    const t = topic('maxdeliver');
    const c = await openOther({ maxDeliver: '3' });
    const rec = new PubSubRecorder(async () => {
      throw new Error('always fails');
    });
    await subscribe(c, t, 'g', rec);
    await c.publish({ topic: t, data: enc('poison'), metadata: {} });
    await rec.waitFor(3, 5000);
    await sleep(800);
    expect(rec.count()).toBe(3);
  });

  it('runs one handler at a time with concurrency=single, several with parallel', async () => {
    const measure = async (concurrency: string): Promise<number> => {
      const t = topic(`conc-${concurrency}`);
      const c = await openOther({ concurrency });
      let running = 0;
      let max = 0;
      const rec = new PubSubRecorder(async () => {
        running++;
        max = Math.max(max, running);
        await sleep(30);
        running--;
      });
      await subscribe(c, t, 'g', rec);
      const texts = Array.from({ length: 10 }, (_, i) => `m${i}`);
      await Promise.all(texts.map((s) => c.publish({ topic: t, data: enc(s), metadata: {} })));
      await rec.waitForAll(texts, 5000);
      return max;
    };
    expect(await measure('single')).toBe(1);
    expect(await measure('parallel')).toBeGreaterThan(1);
  });

  it('rejects publishing to a wildcard or malformed subject as a bad request', async () => {
    await expect(ps.publish({ topic: 'a.*', data: enc('x'), metadata: {} })).rejects.toMatchObject({ errorKind: 'bad-request' });
    await expect(ps.publish({ topic: 'a..b', data: enc('x'), metadata: {} })).rejects.toMatchObject({ errorKind: 'bad-request' });
    await expect(ps.publish({ topic: 'has space', data: enc('x'), metadata: {} })).rejects.toMatchObject({ errorKind: 'bad-request' });
  });

  it('fails init with a PubSubError when NATS is unreachable', async () => {
    const bad = createJetStreamPubSub(meta({ natsURL: 'nats://127.0.0.1:1' }));
    await expect(bad.init()).rejects.toMatchObject({ kind: 'tessera.pubsub-error', errorKind: 'backend', message: expect.stringMatching(/127\.0\.0\.1:1/) });
    await bad.close();
  });
});
