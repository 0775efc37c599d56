// PubSubTransportClient -> PubSubTransportServer over loopback, with a fake in-memory PubSubApi
// behind the server: publish, bulk publish and listComponents cross intact with the caller's
// identity; the block's rich ApiErrors arrive unchanged; a subscription streams its id then the
// broker messages; settle reaches the service on the stream's own connection; a consumer that
// stops (break or ctx.signal) makes the service's iterator return; a service that ends the stream
// ends the loop; a lost connection or a service shutting down fails the loop retryably.
import { ApiError, DeliveryVerdict, GrpcCode, isApiError, PubSubErrors } from '@tessera/contracts';
import type {
  BulkPublishRequest,
  BulkPublishResponse,
  CallContext,
  PublishEventRequest,
  PubSubApi,
  RegisteredComponent,
  SettleDeliveryRequest,
  TopicDelivery,
  TopicSubscribeRequest,
} from '@tessera/contracts';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { PubSubTransportClient, PubSubTransportServer } from './index';

const ctx: CallContext = { appId: 'orders', namespace: 'prod', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** One subscription the fake opened: push() delivers a message, end() completes the stream. */
class FakeSub implements AsyncIterator<TopicDelivery> {
  readonly queue: TopicDelivery[] = [];
  returned = false;
  ended = false;
  private started = false;
  private waiter: ((r: IteratorResult<TopicDelivery>) => void) | undefined;
  private seq = 0;

  constructor(
    readonly id: string,
    readonly req: TopicSubscribeRequest,
    readonly ctx: CallContext,
  ) {}

  push(data: string, metadata: Record<string, string> = {}): string {
    const d: TopicDelivery = {
      subscriptionId: this.id,
      deliveryId: `${this.id}-d${++this.seq}`,
      topic: this.req.topic,
      data: Buffer.from(data),
      contentType: 'application/cloudevents+json',
      metadata,
    };
    this.queue.push(d);
    this.wake();
    return d.deliveryId;
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  next(): Promise<IteratorResult<TopicDelivery>> {
    if (!this.started) {
      this.started = true;
      return Promise.resolve({ value: { subscriptionId: this.id, deliveryId: '', topic: '', data: Buffer.alloc(0), contentType: '', metadata: {} }, done: false });
    }
    const d = this.queue.shift();
    if (d !== undefined) return Promise.resolve({ value: d, done: false });
    if (this.ended || this.returned) return Promise.resolve({ value: undefined, done: true });
    return new Promise((r) => (this.waiter = r));
  }

  return(): Promise<IteratorResult<TopicDelivery>> {
    this.returned = true;
    this.wake();
    return Promise.resolve({ value: undefined, done: true });
  }

  private wake(): void {
    const w = this.waiter;
    if (w === undefined) return;
    this.waiter = undefined;
    const d = this.queue.shift();
    w(d !== undefined ? { value: d, done: false } : { value: undefined, done: true });
  }
}

class FakePubSubApi implements PubSubApi {
  readonly published: Array<{ req: PublishEventRequest; ctx: CallContext }> = [];
  readonly bulk: Array<{ req: BulkPublishRequest; ctx: CallContext }> = [];
  readonly settled: Array<{ req: SettleDeliveryRequest; ctx: CallContext }> = [];
  readonly subs: FakeSub[] = [];
  readonly seen: CallContext[] = [];
  error: ApiError | undefined;

  async publish(req: PublishEventRequest, c: CallContext): Promise<void> {
    if (this.error) throw this.error;
    this.published.push({ req, ctx: c });
  }

  async bulkPublish(req: BulkPublishRequest, c: CallContext): Promise<BulkPublishResponse> {
    if (this.error) throw this.error;
    this.bulk.push({ req, ctx: c });
    return { failedEntries: req.entries.filter((e) => e.metadata['fail'] === 'yes').map((e) => ({ entryId: e.entryId, error: `entry ${e.entryId} refused` })) };
  }

  subscribe(req: TopicSubscribeRequest, c: CallContext): AsyncIterable<TopicDelivery> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<TopicDelivery> => {
        if (this.error) {
          const e = this.error;
          return { next: () => Promise.reject(e) };
        }
        const sub = new FakeSub(`sub-${this.subs.length + 1}`, req, c);
        this.subs.push(sub);
        return sub;
      },
    };
  }

  async settle(req: SettleDeliveryRequest, c: CallContext): Promise<void> {
    this.settled.push({ req, ctx: c });
  }

  async listComponents(c: CallContext): Promise<RegisteredComponent[]> {
    this.seen.push(c);
    return [{ name: 'pubsub', type: 'pubsub.redis', version: 'v1', capabilities: ['SUBSCRIBE_WILDCARDS'] }];
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function failureOf(p: Promise<unknown>): Promise<ApiError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => {
      if (!isApiError(e)) throw e;
      return e;
    },
  );
}

const subReq: TopicSubscribeRequest = { pubsubName: 'pubsub', topic: 'orders', metadata: { rawPayload: 'false' }, deadLetterTopic: 'poison' };

describe('pub/sub transport', () => {
  let api: FakePubSubApi;
  let server: PubSubTransportServer;
  let client: PubSubTransportClient;
  let port: number;

  beforeEach(async () => {
    api = new FakePubSubApi();
    server = new PubSubTransportServer(api);
    ({ port } = await server.listen('127.0.0.1', 0));
    client = new PubSubTransportClient(`127.0.0.1:${port}`);
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  it('publish: the request and the caller identity cross intact', async () => {
    const req: PublishEventRequest = { pubsubName: 'pubsub', topic: 'orders', data: Buffer.from('{"id":1}'), dataContentType: 'application/json', metadata: { ttlInSeconds: '30' } };
    await expect(client.publish(req, ctx)).resolves.toBeUndefined();
    expect(api.published).toHaveLength(1);
    expect(api.published[0]?.req).toEqual(req);
    expect(Buffer.from(api.published[0]?.req.data ?? []).toString()).toBe('{"id":1}');
    expect(api.published[0]?.ctx).toMatchObject({ appId: 'orders', namespace: 'prod', traceparent: ctx.traceparent });
  });

  it('bulk publish: entries cross, failed entries come back', async () => {
    const req: BulkPublishRequest = {
      pubsubName: 'pubsub',
      topic: 'orders',
      metadata: { rawPayload: 'true' },
      entries: [
        { entryId: '1', event: Buffer.from('a'), contentType: 'text/plain', metadata: {} },
        { entryId: '2', event: Buffer.from([0, 1, 2, 255]), contentType: 'application/octet-stream', metadata: { fail: 'yes' } },
      ],
    };
    expect(await client.bulkPublish(req, ctx)).toEqual({ failedEntries: [{ entryId: '2', error: 'entry 2 refused' }] });
    expect(api.bulk[0]?.req).toEqual(req);
    expect(api.bulk[0]?.ctx.appId).toBe('orders');
  });

  it('listComponents crosses with the caller app id', async () => {
    expect(await client.listComponents(ctx)).toEqual([{ name: 'pubsub', type: 'pubsub.redis', version: 'v1', capabilities: ['SUBSCRIBE_WILDCARDS'] }]);
    expect(api.seen.at(-1)?.appId).toBe('orders');
  });

  it("the block's rich errors arrive unchanged (publish, bulk publish, subscribe)", async () => {
    const forbidden = PubSubErrors.forbidden('orders', 'pubsub', 'orders');
    expect(forbidden.details.length).toBeGreaterThan(0);
    api.error = forbidden;
    const e = await failureOf(client.publish({ pubsubName: 'pubsub', topic: 'orders', data: Buffer.alloc(0), dataContentType: '', metadata: {} }, ctx));
    expect(e.toJSON()).toEqual(forbidden.toJSON());
    expect([e.httpStatus, e.grpcCode, e.retryable, e.details]).toEqual([403, GrpcCode.PERMISSION_DENIED, false, forbidden.details]);
    api.error = PubSubErrors.notFoundBulk('nope', 'orders');
    const b = await failureOf(client.bulkPublish({ pubsubName: 'nope', topic: 't', entries: [], metadata: {} }, ctx));
    expect([b.toJSON(), b.httpStatus, b.grpcCode, b.details]).toEqual([api.error.toJSON(), 400, GrpcCode.NOT_FOUND, api.error.details]);
    api.error = PubSubErrors.subscribe('orders', 'pubsub', 'broker down', 'orders');
    const it = client.subscribe(subReq, ctx)[Symbol.asyncIterator]();
    const s = await failureOf(it.next());
    expect([s.toJSON(), s.retryable, s.details]).toEqual([api.error.toJSON(), true, api.error.details]);
    expect(api.subs).toHaveLength(0);
  });

  it('subscribe: the id first, then each message; settle reaches the service with ids, verdict and reason on the same connection', async () => {
    const it = client.subscribe(subReq, ctx)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({ subscriptionId: 'sub-1', deliveryId: '' });
    const sub = api.subs[0] as FakeSub;
    expect(sub.req).toEqual(subReq);
    expect(sub.ctx).toMatchObject({ appId: 'orders', namespace: 'prod' });
    const d1 = sub.push('{"a":1}', { 'x-broker': 'redis' });
    const d2 = sub.push('second');
    const m1 = (await it.next()).value as TopicDelivery;
    expect(m1).toMatchObject({ subscriptionId: 'sub-1', deliveryId: d1, topic: 'orders', contentType: 'application/cloudevents+json', metadata: { 'x-broker': 'redis' } });
    expect(Buffer.from(m1.data).toString()).toBe('{"a":1}');
    await client.settle({ subscriptionId: 'sub-1', deliveryId: d1, verdict: DeliveryVerdict.DELIVERY_VERDICT_SUCCESS, reason: '' }, ctx);
    const m2 = (await it.next()).value as TopicDelivery;
    expect(Buffer.from(m2.data).toString()).toBe('second');
    await client.settle({ subscriptionId: 'sub-1', deliveryId: d2, verdict: DeliveryVerdict.DELIVERY_VERDICT_DROP, reason: 'app said DROP' }, ctx);
    expect(api.settled.map((s) => s.req)).toEqual([
      { subscriptionId: 'sub-1', deliveryId: d1, verdict: DeliveryVerdict.DELIVERY_VERDICT_SUCCESS, reason: '' },
      { subscriptionId: 'sub-1', deliveryId: d2, verdict: DeliveryVerdict.DELIVERY_VERDICT_DROP, reason: 'app said DROP' },
    ]);
    expect(api.settled[0]?.ctx.appId).toBe('orders');
    expect(server.acceptedConnections).toBe(1);
    expect(sub.returned).toBe(false);
    await it.return?.();
  });

  it('the service ending the stream ends the loop', async () => {
    const got: string[] = [];
    const loop = (async () => {
      for await (const d of client.subscribe(subReq, ctx)) got.push(d.deliveryId === '' ? `id:${d.subscriptionId}` : Buffer.from(d.data).toString());
    })();
    await until(() => api.subs.length === 1, 'the subscription');
    const sub = api.subs[0] as FakeSub;
    sub.push('one');
    sub.push('two');
    sub.end();
    await loop;
    expect(got).toEqual(['id:sub-1', 'one', 'two']);
  });

  it("a consumer that breaks out of the loop ends the service's iteration (return() is called)", async () => {
    for await (const d of client.subscribe(subReq, ctx)) {
      expect(d.subscriptionId).toBe('sub-1');
      break;
    }
    await until(() => api.subs[0]?.returned === true, "the service's iterator to return");
  });

  it("an aborted ctx.signal fails the loop as cancelled and ends the service's iteration", async () => {
    const ac = new AbortController();
    const it = client.subscribe(subReq, { ...ctx, signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    const sub = api.subs[0] as FakeSub;
    const pending = it.next();
    ac.abort();
    const e = await failureOf(pending);
    expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_PUBSUB_PUBLISH_MESSAGE', GrpcCode.CANCELLED, false]);
    await until(() => sub.returned, "the service's iterator to return");
    expect(sub.ctx.signal?.aborted).toBe(true);
  });

  it('a lost connection fails the loop with a retryable UNAVAILABLE error after the messages received', async () => {
    // the client talks through a TCP proxy; destroying it is the connection to pubsub-svc breaking
    const proxySockets = new Set<Socket>();
    const proxy = createServer((down) => {
      const up = connect(port, '127.0.0.1');
      proxySockets.add(down).add(up);
      down.pipe(up).pipe(down);
      down.on('error', () => undefined);
      up.on('error', () => undefined);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const a = proxy.address();
    const proxyPort = typeof a === 'object' && a ? a.port : 0;
    const viaProxy = new PubSubTransportClient(`127.0.0.1:${proxyPort}`);
    try {
      const got: string[] = [];
      let error: unknown;
      const loop = (async () => {
        try {
          for await (const d of viaProxy.subscribe(subReq, ctx)) got.push(Buffer.from(d.data).toString());
        } catch (e) {
          error = e;
        }
      })();
      await until(() => api.subs.length === 1, 'the subscription');
      const sub = api.subs[0] as FakeSub;
      sub.push('before');
      await until(() => got.length === 2, 'the first message');
      for (const s of proxySockets) s.destroy();
      await loop;
      expect(got).toEqual(['', 'before']);
      expect(isApiError(error)).toBe(true);
      const e = error as ApiError;
      expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_PUBSUB_PUBLISH_MESSAGE', GrpcCode.UNAVAILABLE, true]);
      expect(e.message).toMatch(
        new RegExp(`^error when subscribing to topic orders in pubsub pubsub: pubsub-svc at 127\\.0\\.0\\.1:${proxyPort} is unreachable: `),
      );
      await until(() => sub.returned, "the service's iterator to return after the disconnect");
    } finally {
      await viaProxy.close();
      proxy.close();
    }
  });

  it('a service shutting down fails open subscriptions retryably', async () => {
    const it = client.subscribe(subReq, ctx)[Symbol.asyncIterator]();
    await it.next();
    await server.close(5000);
    const e = await failureOf(it.next());
    expect([e.code, e.message, e.grpcCode, e.retryable]).toEqual([
      'ERR_PUBSUB_PUBLISH_MESSAGE',
      'error when subscribing to topic orders in pubsub pubsub: pubsub-svc is shutting down',
      GrpcCode.UNAVAILABLE,
      true,
    ]);
    expect(api.subs[0]?.returned).toBe(true);
  });

  it('an unreachable pubsub-svc reads like the block failing the operation (publish, subscribe, settle)', async () => {
    const dead = new PubSubTransportClient(`127.0.0.1:${await freePort()}`);
    try {
      const e = await failureOf(dead.publish({ pubsubName: 'pubsub', topic: 'orders', data: Buffer.alloc(0), dataContentType: '', metadata: {} }, ctx));
      expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_PUBSUB_PUBLISH_MESSAGE', GrpcCode.UNAVAILABLE, true]);
      expect(e.message).toMatch(/^error when publish to topic orders in pubsub pubsub: pubsub-svc at 127\.0\.0\.1:\d+ is unreachable: /);
      const sub = await failureOf(dead.subscribe(subReq, ctx)[Symbol.asyncIterator]().next());
      expect([sub.code, sub.grpcCode, sub.retryable]).toEqual(['ERR_PUBSUB_PUBLISH_MESSAGE', GrpcCode.UNAVAILABLE, true]);
      expect(sub.message).toMatch(/^error when subscribing to topic orders in pubsub pubsub: pubsub-svc at 127\.0\.0\.1:\d+ is unreachable: /);
      const s = await failureOf(dead.settle({ subscriptionId: 's', deliveryId: 'd', verdict: DeliveryVerdict.DELIVERY_VERDICT_RETRY, reason: '' }, ctx));
      expect([s.code, s.grpcCode]).toEqual(['ERR_INTERNAL', GrpcCode.UNAVAILABLE]);
      expect(s.message).toMatch(/^failed to settle message d of subscription s: pubsub-svc at /);
    } finally {
      await dead.close();
    }
  });
});
