// PubSubBlock over pubsub.in-memory: daprd's validation order and errors, scopes, the envelope on
// the wire, rawPayload, bulk publish, and the subscribe/settle contract (SUCCESS acks, DROP and
// exhausted RETRY dead-letter, RETRY without a dead-letter topic fails back to the component, a
// stream that ends abandons what it has not settled).
import { DeliveryVerdict, isApiError } from '@tessera/contracts';
import type { CallContext, TopicDelivery } from '@tessera/contracts';
import { createInMemoryPubSub } from '@tessera/pubsub-in-memory';
import { isPubSubAbandon } from '@tessera/spi';
import type { PubSub, PubSubMessage, PubSubSubscribeRequest, PubSubHandler, PubSubSubscription } from '@tessera/spi';
import { PubSubBlock } from './pubsub.block';
import { PubSubComponents, parseTopicScopes } from './pubsub-components';

const ctx: CallContext = { appId: 'app1', namespace: '' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Records what the block hands the component and what the component's handler outcome was. */
class Spy implements PubSub {
  readonly published: Array<{ topic: string; data: Buffer; contentType?: string; metadata: Record<string, string> }> = [];
  readonly outcomes: Array<'resolved' | 'rejected' | 'abandoned'> = [];
  private handler: PubSubHandler | undefined;
  fail = false;
  failSubscribe = false;
  async init(): Promise<void> {
    // nothing to connect
  }
  features() {
    return [] as const;
  }
  async publish(req: { topic: string; data: Uint8Array; contentType?: string; metadata: Readonly<Record<string, string>> }): Promise<void> {
    if (this.fail) throw new Error('broker down');
    this.published.push({ topic: req.topic, data: Buffer.from(req.data), contentType: req.contentType, metadata: { ...req.metadata } });
  }
  async subscribe(_req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription> {
    if (this.failSubscribe) throw new Error('broker down');
    this.handler = handler;
    return { close: async () => undefined };
  }
  /** Delivers a message as a broker would; records how the handler settled. */
  deliver(m: PubSubMessage): Promise<void> {
    const h = this.handler;
    if (!h) throw new Error('no subscription');
    return h(m).then(
      () => void this.outcomes.push('resolved'),
      (e: unknown) => void this.outcomes.push(isPubSubAbandon(e) ? 'abandoned' : 'rejected'),
    );
  }
  async close(): Promise<void> {
    // nothing to release
  }
}

function components(pubsub: PubSub, metadata: Record<string, string> = {}, name = 'ps'): PubSubComponents {
  return new PubSubComponents([
    { name, type: 'pubsub.test', version: 'v1', pubsub, scopes: [], topics: parseTopicScopes(metadata), consumerId: undefined, nativeTtl: false },
  ]);
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return { code: e.code, status: e.httpStatus, message: e.message };
    throw e;
  }
  throw new Error('expected a rejection');
}

const pub = (pubsubName: string, topic: string, data = 'x', metadata: Record<string, string> = {}, dataContentType = 'text/plain') => ({
  pubsubName,
  topic,
  data: Buffer.from(data),
  dataContentType,
  metadata,
});

describe('PubSubBlock publish', () => {
  it('validates in daprd order: not configured, empty name, unknown, empty topic', async () => {
    const none = new PubSubBlock(new PubSubComponents());
    expect(await errorOf(none.publish(pub('ps', 't'), ctx))).toMatchObject({ code: 'ERR_PUBSUB_NOT_CONFIGURED', status: 400 });
    const b = new PubSubBlock(components(new Spy()));
    expect(await errorOf(b.publish(pub('', 't'), ctx))).toMatchObject({ code: 'ERR_PUBSUB_EMPTY', status: 404 });
    expect(await errorOf(b.publish(pub('nope', 't'), ctx))).toMatchObject({ code: 'ERR_PUBSUB_NOT_FOUND', status: 404, message: 'pubsub nope is not found' });
    expect(await errorOf(b.publish(pub('ps', ''), ctx))).toMatchObject({ code: 'ERR_TOPIC_NAME_EMPTY', status: 404 });
    expect(await errorOf(b.bulkPublish({ pubsubName: 'nope', topic: 't', entries: [], metadata: {} }, ctx))).toMatchObject({
      code: 'ERR_PUBSUB_NOT_FOUND',
      status: 400,
    });
  });

  it('applies publishingScopes, allowedTopics and protectedTopics (403 ERR_PUBSUB_FORBIDDEN)', async () => {
    const spy = new Spy();
    const b = new PubSubBlock(components(spy, { publishingScopes: 'app1=a,b;app2=', allowedTopics: 'a,b,c', protectedTopics: 'b' }));
    await b.publish(pub('ps', 'a'), ctx);
    await b.publish(pub('ps', 'b'), ctx);
    expect(await errorOf(b.publish(pub('ps', 'c'), ctx))).toMatchObject({ code: 'ERR_PUBSUB_FORBIDDEN', status: 403, message: 'topic c is not allowed for app id app1' });
    expect(await errorOf(b.publish(pub('ps', 'a'), { ...ctx, appId: 'app2' }))).toMatchObject({ code: 'ERR_PUBSUB_FORBIDDEN' });
    // app3 is unlisted: unrestricted except allowedTopics and protectedTopics
    await b.publish(pub('ps', 'c'), { ...ctx, appId: 'app3' });
    expect(await errorOf(b.publish(pub('ps', 'b'), { ...ctx, appId: 'app3' }))).toMatchObject({ code: 'ERR_PUBSUB_FORBIDDEN' });
    expect(await errorOf(b.publish(pub('ps', 'd'), { ...ctx, appId: 'app3' }))).toMatchObject({ code: 'ERR_PUBSUB_FORBIDDEN' });
    expect(spy.published.map((p) => p.topic)).toEqual(['a', 'b', 'c']);
  });

  it('wraps the data in a CloudEvent from the publishing app; rawPayload sends the bytes as they are', async () => {
    const spy = new Spy();
    const b = new PubSubBlock(components(spy));
    await b.publish(pub('ps', 'orders', '{"n":12345678901234567890}', {}, 'application/json'), { ...ctx, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const sent = spy.published[0];
    expect(sent?.contentType).toBe('application/cloudevents+json');
    const text = sent?.data.toString('utf8') ?? '';
    const ce = JSON.parse(text) as Record<string, unknown>;
    expect(ce).toMatchObject({
      specversion: '1.0',
      source: 'app1',
      type: 'com.dapr.event.sent',
      topic: 'orders',
      pubsubname: 'ps',
      datacontenttype: 'application/json',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(typeof ce['id']).toBe('string');
    expect(text).toContain('12345678901234567890'); // not rounded through a JS number
    await b.publish(pub('ps', 'raw', 'plain bytes', { rawPayload: 'true' }), ctx);
    expect(spy.published[1]?.data.toString('utf8')).toBe('plain bytes');
    expect(spy.published[1]?.metadata['rawPayload']).toBeUndefined();
    expect(await errorOf(b.publish(pub('ps', 't', 'x', { rawPayload: 'maybe' }), ctx))).toMatchObject({ code: 'ERR_PUBSUB_REQUEST_METADATA', status: 400 });
  });

  it('a broker failure is 500 ERR_PUBSUB_PUBLISH_MESSAGE naming topic and pubsub', async () => {
    const spy = new Spy();
    spy.fail = true;
    const b = new PubSubBlock(components(spy));
    expect(await errorOf(b.publish(pub('ps', 't'), ctx))).toMatchObject({
      code: 'ERR_PUBSUB_PUBLISH_MESSAGE',
      status: 500,
      message: 'error when publish to topic t in pubsub ps: broker down',
    });
  });

  it('refuses an event over maxMessageBytes', async () => {
    const b = new PubSubBlock(components(new Spy()), { maxMessageBytes: 1024 });
    expect(await errorOf(b.publish(pub('ps', 't', 'x'.repeat(2000)), ctx))).toMatchObject({ code: 'ERR_PUBSUB_PUBLISH_MESSAGE', status: 500 });
  });

  it('bulk publishes every entry, reporting the ones the broker refused', async () => {
    const spy = new Spy();
    const b = new PubSubBlock(components(spy));
    const entries = [1, 2, 3].map((i) => ({ entryId: `e${i}`, event: Buffer.from(`"v${i}"`), contentType: 'application/json', metadata: {} }));
    expect(await b.bulkPublish({ pubsubName: 'ps', topic: 't', entries, metadata: {} }, ctx)).toEqual({ failedEntries: [] });
    expect(spy.published).toHaveLength(3);
    spy.fail = true;
    const r = await b.bulkPublish({ pubsubName: 'ps', topic: 't', entries, metadata: {} }, ctx);
    expect(r.failedEntries.map((f) => f.entryId).sort()).toEqual(['e1', 'e2', 'e3']);
  });

  it("asks for the caller's signal only when the policy can use it (a pass-through policy does not make it)", async () => {
    // A context like the edges': the signal is made on first read.
    const ac = new AbortController();
    let reads = 0;
    const lazy: CallContext = {
      appId: 'app1',
      namespace: '',
      get signal() {
        reads++;
        return ac.signal;
      },
    };
    const seen: Array<AbortSignal | undefined> = [];
    const policyOf = (passThrough: boolean) => ({
      passThrough,
      run: <T>(fn: (s: AbortSignal) => Promise<T>, opts?: { readonly signal?: AbortSignal }) => {
        seen.push(opts?.signal);
        return fn(opts?.signal ?? new AbortController().signal);
      },
    });
    const entries = [{ entryId: 'e1', event: Buffer.from('"v"'), contentType: 'application/json', metadata: {} }];
    const spy = new Spy();
    const plain = new PubSubBlock(components(spy), { policyFor: () => policyOf(true) });
    await plain.publish(pub('ps', 't'), lazy);
    await plain.bulkPublish({ pubsubName: 'ps', topic: 't', entries, metadata: {} }, lazy);
    await new PubSubBlock(components(spy)).publish(pub('ps', 't'), lazy); // no policyFor: direct
    expect(reads).toBe(0);
    expect(seen).toEqual([undefined, undefined]);
    const retrying = new PubSubBlock(components(spy), { policyFor: () => policyOf(false) });
    await retrying.publish(pub('ps', 't'), lazy);
    await retrying.bulkPublish({ pubsubName: 'ps', topic: 't', entries, metadata: {} }, lazy);
    expect(seen.slice(2)).toEqual([ac.signal, ac.signal]);
    expect(spy.published).toHaveLength(5);
  });
});

describe('PubSubBlock subscribe and settle', () => {
  async function open(spy: Spy, deadLetterTopic = '', c: CallContext = ctx) {
    const b = new PubSubBlock(components(spy));
    const it = b.subscribe({ pubsubName: 'ps', topic: 't', metadata: {}, deadLetterTopic }, c)[Symbol.asyncIterator]();
    const first = await it.next();
    const id = (first.value as TopicDelivery).subscriptionId;
    return { b, it, id };
  }
  const msg = (s: string): PubSubMessage => ({ topic: 't', data: Buffer.from(s), contentType: 'text/plain', metadata: { k: 'v' } });

  it('first item is the subscription id; messages come through with their bytes, content type and metadata', async () => {
    const spy = new Spy();
    const { it, id } = await open(spy);
    expect(id).toMatch(/[0-9a-f-]{36}/);
    void spy.deliver(msg('hello'));
    const d = (await it.next()).value as TopicDelivery;
    expect({ topic: d.topic, data: Buffer.from(d.data).toString(), contentType: d.contentType, metadata: d.metadata }).toEqual({
      topic: 't',
      data: 'hello',
      contentType: 'text/plain',
      metadata: { k: 'v' },
    });
    expect(d.deliveryId).not.toBe('');
    await it.return?.();
  });

  it('SUCCESS acks; DROP acks; RETRY without a dead-letter topic fails back to the component', async () => {
    const spy = new Spy();
    const { b, it, id } = await open(spy);
    const verdicts = [DeliveryVerdict.DELIVERY_VERDICT_SUCCESS, DeliveryVerdict.DELIVERY_VERDICT_DROP, DeliveryVerdict.DELIVERY_VERDICT_RETRY];
    for (const v of verdicts) {
      const done = spy.deliver(msg(String(v)));
      const d = (await it.next()).value as TopicDelivery;
      await b.settle({ subscriptionId: id, deliveryId: d.deliveryId, verdict: v, reason: 'r' }, ctx);
      await done;
    }
    expect(spy.outcomes).toEqual(['resolved', 'resolved', 'rejected']);
    await it.return?.();
  });

  it('DROP and RETRY go to the dead-letter topic (the original message), then ack', async () => {
    const spy = new Spy();
    const { b, it, id } = await open(spy, 'poison');
    for (const v of [DeliveryVerdict.DELIVERY_VERDICT_DROP, DeliveryVerdict.DELIVERY_VERDICT_RETRY]) {
      const done = spy.deliver(msg('bad'));
      const d = (await it.next()).value as TopicDelivery;
      await b.settle({ subscriptionId: id, deliveryId: d.deliveryId, verdict: v, reason: 'r' }, ctx);
      await done;
    }
    expect(spy.outcomes).toEqual(['resolved', 'resolved']);
    expect(spy.published.map((p) => [p.topic, p.data.toString(), p.contentType, p.metadata])).toEqual([
      ['poison', 'bad', 'text/plain', { k: 'v' }],
      ['poison', 'bad', 'text/plain', { k: 'v' }],
    ]);
  });

  it('a failed dead-letter publish leaves the message unacked', async () => {
    const spy = new Spy();
    const { b, it, id } = await open(spy, 'poison');
    spy.fail = true;
    const done = spy.deliver(msg('bad'));
    const d = (await it.next()).value as TopicDelivery;
    await b.settle({ subscriptionId: id, deliveryId: d.deliveryId, verdict: DeliveryVerdict.DELIVERY_VERDICT_DROP, reason: 'r' }, ctx);
    await done;
    expect(spy.outcomes).toEqual(['rejected']);
  });

  it('settles only for the app that subscribed; unknown ids are ignored', async () => {
    const spy = new Spy();
    const { b, it, id } = await open(spy);
    const done = spy.deliver(msg('m'));
    const d = (await it.next()).value as TopicDelivery;
    await b.settle({ subscriptionId: id, deliveryId: d.deliveryId, verdict: DeliveryVerdict.DELIVERY_VERDICT_SUCCESS, reason: '' }, { ...ctx, appId: 'other' });
    await b.settle({ subscriptionId: 'nope', deliveryId: d.deliveryId, verdict: DeliveryVerdict.DELIVERY_VERDICT_SUCCESS, reason: '' }, ctx);
    await b.settle({ subscriptionId: id, deliveryId: '999', verdict: DeliveryVerdict.DELIVERY_VERDICT_SUCCESS, reason: '' }, ctx);
    expect(spy.outcomes).toEqual([]);
    await b.settle({ subscriptionId: id, deliveryId: d.deliveryId, verdict: DeliveryVerdict.DELIVERY_VERDICT_SUCCESS, reason: '' }, ctx);
    await done;
    expect(spy.outcomes).toEqual(['resolved']);
  });

  it('ending the stream abandons every unsettled message (never acked, never dead-lettered)', async () => {
    const spy = new Spy();
    const { it } = await open(spy, 'poison');
    const a = spy.deliver(msg('a'));
    const b2 = spy.deliver(msg('b'));
    await it.next(); // a handed out, b still queued
    await it.return?.();
    await Promise.all([a, b2]);
    expect(spy.outcomes).toEqual(['abandoned', 'abandoned']);
    expect(spy.published).toEqual([]);
  });

  it('ctx.signal abort ends the stream', async () => {
    const spy = new Spy();
    const ac = new AbortController();
    const { it } = await open(spy, '', { ...ctx, signal: ac.signal });
    const pending = it.next();
    ac.abort();
    expect((await pending).done).toBe(true);
  });

  it('subscriptionScopes forbid subscribing (the first next() rejects with 403)', async () => {
    const b = new PubSubBlock(components(new Spy(), { subscriptionScopes: 'app1=other' }));
    const it = b.subscribe({ pubsubName: 'ps', topic: 't', metadata: {}, deadLetterTopic: '' }, ctx)[Symbol.asyncIterator]();
    expect(await errorOf(it.next())).toMatchObject({ code: 'ERR_PUBSUB_FORBIDDEN', status: 403 });
  });

  it('a subscription the component cannot open is 500 ERR_PUBSUB_PUBLISH_MESSAGE worded as subscribing', async () => {
    const spy = new Spy();
    spy.failSubscribe = true;
    const b = new PubSubBlock(components(spy));
    const it = b.subscribe({ pubsubName: 'ps', topic: 't', metadata: {}, deadLetterTopic: '' }, ctx)[Symbol.asyncIterator]();
    expect(await errorOf(it.next())).toEqual({ code: 'ERR_PUBSUB_PUBLISH_MESSAGE', status: 500, message: 'error when subscribing to topic t in pubsub ps: broker down' });
  });

  it('end to end on pubsub.in-memory: consumer group = app id, at-least-once across a dropped stream', async () => {
    const mem = createInMemoryPubSub({ name: 'ps', type: 'pubsub.in-memory', version: 'v1', properties: {}, appId: '' });
    await mem.init();
    const b = new PubSubBlock(components(mem));
    const first = b.subscribe({ pubsubName: 'ps', topic: 'orders', metadata: {}, deadLetterTopic: '' }, ctx)[Symbol.asyncIterator]();
    await first.next();
    await b.publish(pub('ps', 'orders', 'one'), ctx);
    const got = (await first.next()).value as TopicDelivery;
    expect(JSON.parse(Buffer.from(got.data).toString())).toMatchObject({ data: 'one', topic: 'orders' });
    // the subscriber goes away without settling; a new subscription of the same app gets it again
    const second = b.subscribe({ pubsubName: 'ps', topic: 'orders', metadata: {}, deadLetterTopic: '' }, ctx)[Symbol.asyncIterator]();
    const id2 = ((await second.next()).value as TopicDelivery).subscriptionId;
    await first.return?.();
    const again = (await second.next()).value as TopicDelivery;
    expect(Buffer.from(again.data).equals(Buffer.from(got.data))).toBe(true);
    await b.settle({ subscriptionId: id2, deliveryId: again.deliveryId, verdict: DeliveryVerdict.DELIVERY_VERDICT_SUCCESS, reason: '' }, ctx);
    await second.return?.();
    await until(() => true, 'settled');
    await mem.close();
  });
});
