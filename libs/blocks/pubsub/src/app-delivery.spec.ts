// AppPubSubDelivery over a real PubSubBlock on pubsub.in-memory and fake app channels (HTTP and
// gRPC): discovery, routing, verdicts and what they do to the message (ack, dead letter, back to
// the broker), the inbound retry policy, expiry, bulk batches, resubscribing after the stream
// breaks, pausing while the app is unhealthy, and streaming subscriptions.
import {
  ApiError,
  DeliveryVerdict,
  AppCallbackStatusError,
  GrpcCode,
  HTTPExtension_Verb,
  TopicEventResponse_TopicEventResponseStatus,
} from '@tessera/contracts';
import type {
  AppCallbackMethod,
  AppChannel,
  CallContext,
  InternalInvokeRequest,
  InternalInvokeResponse,
  PubSubApi,
  TopicDelivery,
} from '@tessera/contracts';
import { getEventListeners, getMaxListeners } from 'node:events';
import { createInMemoryPubSub } from '@tessera/pubsub-in-memory';
import type { PubSub } from '@tessera/spi';
import { AppPubSubDelivery } from './app-delivery';
import type { PubSubDeliveryPolicy } from './app-delivery';
import { PubSubBlock } from './pubsub.block';
import { PubSubComponents, parseTopicScopes } from './pubsub-components';
import { StreamingSubscriptions } from './streaming';
import type { SubscriptionSpec } from './subscriptions';

const APP = 'app1';
const ctx: CallContext = { appId: APP, namespace: '' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface Call {
  path: string;
  body: Record<string, unknown> | unknown[];
  headers: Record<string, string>;
  contentType: string;
}

/** An HTTP app: `/dapr/subscribe` answers `subscriptions`; every other POST is recorded and answered by `answer`. */
class HttpApp implements AppChannel {
  readonly protocol = 'http';
  readonly calls: Call[] = [];
  answer: (c: Call) => { status: number; body?: unknown } = () => ({ status: 200 });
  constructor(private readonly subscriptions: unknown) {}
  healthy(): boolean {
    return true;
  }
  async invokeMethod(req: InternalInvokeRequest): Promise<InternalInvokeResponse> {
    const m = req.message;
    if (m?.method === 'dapr/subscribe' && m.httpExtension?.verb === HTTPExtension_Verb.GET) return reply(200, this.subscriptions);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.metadata)) headers[k] = v.values[0] ?? '';
    const call: Call = { path: m?.method ?? '', body: JSON.parse(Buffer.from(m?.data?.value ?? Buffer.alloc(0)).toString()) as Call['body'], headers, contentType: m?.contentType ?? '' };
    this.calls.push(call);
    const a = this.answer(call);
    return reply(a.status, a.body);
  }
}

function reply(status: number, body?: unknown): InternalInvokeResponse {
  return {
    status: { code: status, message: '', details: [] },
    headers: {},
    trailers: {},
    message: { data: { typeUrl: '', value: Buffer.from(body === undefined ? '' : JSON.stringify(body)) }, contentType: 'application/json' },
  };
}

function block(pubsub: PubSub, metadata: Record<string, string> = {}): PubSubBlock {
  return new PubSubBlock(
    new PubSubComponents([{ name: 'ps', type: 'pubsub.in-memory', version: 'v1', pubsub, scopes: [], topics: parseTopicScopes(metadata), consumerId: undefined, nativeTtl: false }]),
  );
}

async function memory(): Promise<PubSub> {
  const m = createInMemoryPubSub({ name: 'ps', type: 'pubsub.in-memory', version: 'v1', properties: {}, appId: '' });
  await m.init();
  return m;
}

const publish = (api: PubSubApi, topic: string, data: unknown, metadata: Record<string, string> = {}) =>
  api.publish({ pubsubName: 'ps', topic, data: Buffer.from(JSON.stringify(data)), dataContentType: 'application/json', metadata }, ctx);

/** Retries up to `attempts` times, like a constant retry policy with no delay. */
const retries = (attempts: number): PubSubDeliveryPolicy => ({
  async run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        return await fn(new AbortController().signal);
      } catch (e) {
        last = e;
      }
    }
    throw last;
  },
});

describe('AppPubSubDelivery (HTTP app)', () => {
  const open: AppPubSubDelivery[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
  });
  function start(api: PubSubApi, app: AppChannel, declarative: SubscriptionSpec[] = [], policy?: PubSubDeliveryPolicy): AppPubSubDelivery {
    const d = new AppPubSubDelivery({ api, channel: app, appId: APP, namespace: '', declarative, inboundPolicy: policy ? () => policy : undefined, retryBackoffMs: { initial: 10, max: 50 } });
    open.push(d);
    return d;
  }

  it('reads /dapr/subscribe, delivers CloudEvents to the route with broker metadata as headers', async () => {
    const api = block(await memory());
    const app = new HttpApp([{ pubsubname: 'ps', topic: 'orders', route: '/orders' }]);
    const d = start(api, app);
    await d.start();
    await until(() => d.subscriptions()[0]?.live === true, 'subscribed');
    await publish(api, 'orders', { n: 1 }, { 'x-custom': 'yes' });
    await until(() => app.calls.length === 1, 'delivery');
    const c = app.calls[0] as Call;
    expect(c.path).toBe('orders');
    expect(c.contentType).toBe('application/cloudevents+json');
    expect(c.body).toMatchObject({ data: { n: 1 }, topic: 'orders', pubsubname: 'ps', source: APP, type: 'com.dapr.event.sent' });
    expect(c.headers['pubsubName']).toBe('ps');
    expect(c.headers['x-custom']).toBe('yes');
  });

  it('routes by rules, then the default; no match drops the event (to the dead-letter topic when set)', async () => {
    const api = block(await memory());
    const app = new HttpApp([
      { pubsubname: 'ps', topic: 't', routes: { rules: [{ match: 'event.data.kind == "a"', path: '/a' }] }, deadLetterTopic: 'dlq' },
      { pubsubname: 'ps', topic: 'dlq', route: '/dead' },
    ]);
    const d = start(api, app);
    await d.start();
    await until(() => d.subscriptions().every((s) => s.live), 'subscribed');
    await publish(api, 't', { kind: 'a' });
    await publish(api, 't', { kind: 'b' });
    await until(() => app.calls.length === 2, 'two deliveries');
    expect(app.calls.map((c) => [c.path, (c.body as { data: { kind: string } }).data.kind]).sort()).toEqual([
      ['a', 'a'],
      ['dead', 'b'],
    ]);
  });

  it('DROP and 404 dead-letter; RETRY is retried by the inbound policy, then dead-lettered', async () => {
    const api = block(await memory());
    const app = new HttpApp([
      { pubsubname: 'ps', topic: 'in', route: '/in', deadLetterTopic: 'dlq' },
      { pubsubname: 'ps', topic: 'dlq', route: '/dead' },
    ]);
    app.answer = (c) => {
      if (c.path !== 'in') return { status: 200 };
      const kind = (c.body as { data: { kind: string } }).data.kind;
      if (kind === 'drop') return { status: 200, body: { status: 'DROP' } };
      if (kind === 'missing') return { status: 404 };
      return { status: 200, body: { status: 'RETRY' } };
    };
    const d = start(api, app, [], retries(3));
    await d.start();
    await until(() => d.subscriptions().every((s) => s.live), 'subscribed');
    for (const kind of ['drop', 'missing', 'retry']) await publish(api, 'in', { kind });
    await until(() => app.calls.filter((c) => c.path === 'dead').length === 3, 'three dead letters');
    const attempts = (kind: string) => app.calls.filter((c) => c.path === 'in' && (c.body as { data: { kind: string } }).data.kind === kind).length;
    expect([attempts('drop'), attempts('missing'), attempts('retry')]).toEqual([1, 1, 3]);
  });

  it('an expired event is not delivered', async () => {
    const api = block(await memory());
    const app = new HttpApp([{ pubsubname: 'ps', topic: 'ttl', route: '/ttl' }]);
    const d = new AppPubSubDelivery({ api, channel: app, appId: APP, namespace: '', declarative: [], now: () => Date.now() + 120_000 });
    open.push(d);
    await d.start();
    await until(() => d.subscriptions()[0]?.live === true, 'subscribed');
    await publish(api, 'ttl', { old: true }, { ttlInSeconds: '60' });
    await publish(api, 'ttl', { fresh: true });
    await until(() => app.calls.length === 1, 'the fresh one');
    await sleep(50);
    expect(app.calls.map((c) => (c.body as { data: unknown }).data)).toEqual([{ fresh: true }]);
  });

  it('bulk subscriptions deliver batches and settle each entry by its status', async () => {
    const api = block(await memory());
    const app = new HttpApp([{ pubsubname: 'ps', topic: 'b', route: '/b', bulkSubscribe: { enabled: true, maxMessagesCount: 5, maxAwaitDurationMs: 100 }, deadLetterTopic: 'bdlq' }, { pubsubname: 'ps', topic: 'bdlq', route: '/dead' }]);
    app.answer = (c) => {
      if (c.path !== 'b') return { status: 200 };
      const entries = (c.body as { entries: Array<{ entryId: string; event: { data: { i: number } } }> }).entries;
      return { status: 200, body: { statuses: entries.map((e) => ({ entryId: e.entryId, status: e.event.data.i === 3 ? 'DROP' : 'SUCCESS' })) } };
    };
    const d = start(api, app);
    await d.start();
    await until(() => d.subscriptions().every((s) => s.live), 'subscribed');
    for (let i = 0; i < 7; i++) await publish(api, 'b', { i });
    await until(() => app.calls.filter((c) => c.path === 'b').reduce((n, c) => n + (c.body as { entries: unknown[] }).entries.length, 0) === 7, 'seven entries');
    await until(() => app.calls.some((c) => c.path === 'dead'), 'the dropped one dead-lettered');
    const batches = app.calls.filter((c) => c.path === 'b');
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches[0]?.body).toMatchObject({ type: 'com.dapr.event.sent.bulk', topic: 'b', pubsubname: 'ps' });
    expect(app.calls.filter((c) => c.path === 'dead').map((c) => (c.body as { data: { i: number } }).data.i)).toEqual([3]);
  });

  it('subscribes again after the stream breaks (pubsub-svc restarted)', async () => {
    const api = block(await memory());
    let failures = 2;
    const flaky: PubSubApi = {
      ...api,
      publish: api.publish.bind(api),
      settle: api.settle.bind(api),
      listComponents: api.listComponents.bind(api),
      bulkPublish: api.bulkPublish.bind(api),
      subscribe: (req, c) => {
        if (failures > 0) {
          failures--;
          return {
            [Symbol.asyncIterator]: () => ({
              next: () => Promise.reject(new ApiError({ code: 'ERR_INTERNAL', message: 'connection lost', httpStatus: 503, grpcCode: GrpcCode.UNAVAILABLE })),
            }),
          };
        }
        return api.subscribe(req, c);
      },
    };
    const app = new HttpApp([{ pubsubname: 'ps', topic: 'r', route: '/r' }]);
    const d = start(flaky, app);
    await d.start();
    await until(() => d.subscriptions()[0]?.live === true, 'subscribed after two failures');
    await publish(api, 'r', { ok: 1 });
    await until(() => app.calls.length === 1, 'delivery');
  });
});

/** An HTTP app whose deliveries answer 500 while `down`, and whose next delivery can be held. */
class GatedApp extends HttpApp {
  down = false;
  discovered = 0;
  /** Deliveries that reached the app (held ones included). */
  entered = 0;
  private gate: Promise<void> | undefined;
  constructor(subscriptions: unknown) {
    super(subscriptions);
    this.answer = () => ({ status: this.down ? 500 : 200 });
  }
  /** Holds the next delivery until the returned function is called. */
  holdNext(): () => void {
    let open: () => void = () => undefined;
    this.gate = new Promise<void>((r) => (open = r));
    return open;
  }
  override async invokeMethod(req: InternalInvokeRequest): Promise<InternalInvokeResponse> {
    if (req.message?.method === 'dapr/subscribe') this.discovered++;
    else {
      this.entered++;
      const g = this.gate;
      this.gate = undefined;
      if (g !== undefined) await g;
    }
    return super.invokeMethod(req);
  }
}

/** The API with every subscribe counted and every settle's verdict recorded. */
function recorded(api: PubSubBlock): { api: PubSubApi; settles: string[]; subscribes: () => number } {
  const settles: string[] = [];
  let subscribes = 0;
  return {
    api: {
      publish: api.publish.bind(api),
      bulkPublish: api.bulkPublish.bind(api),
      listComponents: api.listComponents.bind(api),
      subscribe: (req, c) => {
        subscribes++;
        return api.subscribe(req, c);
      },
      settle: (req, c) => {
        settles.push(DeliveryVerdict[req.verdict] ?? String(req.verdict));
        return api.settle(req, c);
      },
    },
    settles,
    subscribes: () => subscribes,
  };
}

const data = (c: Call): unknown => (c.body as { data: unknown }).data;

describe('AppPubSubDelivery while the app is unhealthy (pause / resume)', () => {
  const open: AppPubSubDelivery[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
  });
  function start(api: PubSubApi, app: AppChannel, policy?: PubSubDeliveryPolicy): AppPubSubDelivery {
    const d = new AppPubSubDelivery({ api, channel: app, appId: APP, namespace: '', declarative: [], inboundPolicy: policy ? () => policy : undefined, retryBackoffMs: { initial: 10, max: 50 } });
    open.push(d);
    return d;
  }
  const live = (d: AppPubSubDelivery, topic: string): boolean | undefined => d.subscriptions().find((s) => s.spec.topic === topic)?.live;

  it('lets the delivery in flight end, never settles its failure (no retry, no dead letter), closes the subscriptions; resume() subscribes again and the message comes back', async () => {
    const block0 = block(await memory());
    const rec = recorded(block0);
    const app = new GatedApp([
      { pubsubname: 'ps', topic: 't', route: '/t', deadLetterTopic: 'dlq' },
      { pubsubname: 'ps', topic: 'dlq', route: '/dead' },
    ]);
    const d = start(rec.api, app, retries(3));
    await d.start();
    await until(() => d.subscriptions().every((s) => s.live), 'subscribed');
    await publish(block0, 't', { n: 1 });
    await until(() => app.calls.length === 1, 'the first delivery');
    const release = app.holdNext();
    await publish(block0, 't', { n: 2 });
    await until(() => app.entered === 2, 'the second delivery in flight');
    app.down = true;
    expect(d.pause()).toBe(2);
    expect(d.pause()).toBe(0);
    await until(() => live(d, 'dlq') === false, 'the idle subscription closed');
    expect(live(d, 't')).toBe(true); // still open: a delivery in flight
    release();
    await until(() => live(d, 't') === false, 'the subscription closed');
    expect(app.entered).toBe(2); // the policy does not retry while paused
    expect(rec.settles).toEqual(['DELIVERY_VERDICT_SUCCESS']);
    app.down = false;
    expect(d.resume()).toBe(2);
    await until(() => d.subscriptions().every((s) => s.live), 'subscribed again');
    await until(() => app.calls.length === 3, 'the abandoned message delivered again');
    expect(app.calls.map((c) => [c.path, data(c)])).toEqual([
      ['t', { n: 1 }],
      ['t', { n: 2 }],
      ['t', { n: 2 }],
    ]);
    await sleep(30);
    expect(rec.settles).toEqual(['DELIVERY_VERDICT_SUCCESS', 'DELIVERY_VERDICT_SUCCESS']);
    expect(rec.subscribes()).toBe(4);
  });

  it('a message arriving while the subscription drains waits; healthy again before it closed: delivered on the same subscription', async () => {
    const block0 = block(await memory());
    const rec = recorded(block0);
    const app = new GatedApp([{ pubsubname: 'ps', topic: 'f', route: '/f' }]);
    const d = start(rec.api, app);
    await d.start();
    await until(() => live(d, 'f') === true, 'subscribed');
    const release = app.holdNext();
    await publish(block0, 'f', { n: 1 });
    await until(() => app.entered === 1, 'a delivery in flight');
    expect(d.pause()).toBe(1);
    await publish(block0, 'f', { n: 2 });
    await sleep(30);
    expect(app.entered).toBe(1); // held, not delivered
    expect(d.resume()).toBe(1);
    release();
    await until(() => app.calls.length === 2, 'both delivered');
    await until(() => rec.settles.length === 2, 'both settled');
    expect(rec.settles).toEqual(['DELIVERY_VERDICT_SUCCESS', 'DELIVERY_VERDICT_SUCCESS']);
    expect(rec.subscribes()).toBe(1);
    expect(live(d, 'f')).toBe(true);
  });

  it('paused before start(): /dapr/subscribe is read only once the app is healthy', async () => {
    const block0 = block(await memory());
    const app = new GatedApp([{ pubsubname: 'ps', topic: 's', route: '/s' }]);
    const d = start(block0, app);
    expect(d.pause()).toBe(0);
    let started = false;
    const starting = d.start().then(() => (started = true));
    await sleep(30);
    expect([started, app.discovered, d.subscriptions().length]).toEqual([false, 0, 0]);
    expect(d.resume()).toBe(0);
    await starting;
    expect(app.discovered).toBe(1);
    await until(() => live(d, 's') === true, 'subscribed');
    await publish(block0, 's', { n: 1 });
    await until(() => app.calls.length === 1, 'delivered');
  });

  it('close() while paused ends a start() that waits for the app', async () => {
    const app = new GatedApp([{ pubsubname: 'ps', topic: 's', route: '/s' }]);
    const d = start(block(await memory()), app);
    d.pause();
    const starting = d.start();
    await d.close();
    await starting;
    expect(app.discovered).toBe(0);
  });

  it('bulk: the batch not sent yet waits; after resume the entries are delivered, none dead-lettered', async () => {
    const block0 = block(await memory());
    const rec = recorded(block0);
    const app = new GatedApp([
      { pubsubname: 'ps', topic: 'b', route: '/b', bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 150 }, deadLetterTopic: 'bdlq' },
      { pubsubname: 'ps', topic: 'bdlq', route: '/dead' },
    ]);
    app.answer = (c) => {
      if (c.path !== 'b') return { status: 200 };
      const entries = (c.body as { entries: Array<{ entryId: string }> }).entries;
      return { status: 200, body: { statuses: entries.map((e) => ({ entryId: e.entryId, status: 'SUCCESS' })) } };
    };
    const d = start(rec.api, app);
    await d.start();
    await until(() => d.subscriptions().every((s) => s.live), 'subscribed');
    await publish(block0, 'b', { i: 1 });
    await publish(block0, 'b', { i: 2 });
    await sleep(20);
    d.pause();
    await until(() => d.subscriptions().every((s) => !s.live), 'closed');
    await sleep(200);
    expect(app.calls).toEqual([]);
    d.resume();
    const entries = (): number => app.calls.filter((c) => c.path === 'b').reduce((n, c) => n + (c.body as { entries: unknown[] }).entries.length, 0);
    await until(() => entries() === 2, 'both entries');
    expect(app.calls.filter((c) => c.path === 'dead')).toEqual([]);
    expect(rec.settles.every((v) => v === 'DELIVERY_VERDICT_SUCCESS')).toBe(true);
  });

  it('streaming subscriptions are not paused', async () => {
    const block0 = block(await memory());
    const app = new GatedApp([{ pubsubname: 'ps', topic: 'p', route: '/p' }]);
    const d = start(block0, app);
    await d.start();
    await until(() => live(d, 'p') === true, 'subscribed');
    const it = new StreamingSubscriptions({ api: block0 }).open({ pubsubName: 'ps', topic: 'stream', metadata: {} }, ctx)[Symbol.asyncIterator]();
    await it.next();
    d.pause();
    await until(() => live(d, 'p') === false, 'paused');
    await publish(block0, 'stream', { n: 1 });
    const ev = (await it.next()).value as { data: Buffer };
    expect(JSON.parse(ev.data.toString())).toEqual({ n: 1 });
    await it.return?.(undefined);
  });
});

/** The signal's listener warning limit, 0 = none (Node 20's getMaxListeners throws on a limit of 0). */
function listenerLimit(signal: AbortSignal): number {
  try {
    return getMaxListeners(signal);
  } catch {
    return 0;
  }
}

describe('AppPubSubDelivery under load', () => {
  /**
   * Holds every delivery to /busy, listening on the call's signal meanwhile as the real app
   * channel does, and records, per call, whether that signal's listeners passed the limit at
   * which Node prints "MaxListenersExceededWarning: Possible EventTarget memory leak".
   */
  class HoldingApp extends HttpApp {
    readonly held: Array<() => void> = [];
    readonly overLimit: string[] = [];
    override async invokeMethod(req: InternalInvokeRequest, c?: CallContext): Promise<InternalInvokeResponse> {
      const signal = c?.signal;
      if (req.message?.method === 'busy' && signal !== undefined) {
        const onAbort = (): void => undefined;
        signal.addEventListener('abort', onAbort);
        const max = listenerLimit(signal);
        const listeners = getEventListeners(signal, 'abort').length;
        if (max > 0 && listeners > max) this.overLimit.push(`${listeners} listeners, limit ${max}`);
        await new Promise<void>((r) => this.held.push(r));
        signal.removeEventListener('abort', onAbort);
      }
      return super.invokeMethod(req);
    }
  }

  it('many deliveries in flight on the shared stop signal stay under its listener warning limit', async () => {
    const api = block(await memory());
    const app = new HoldingApp([{ pubsubname: 'ps', topic: 'busy', route: '/busy' }]);
    const d = new AppPubSubDelivery({ api, channel: app, appId: APP, namespace: '', declarative: [] });
    try {
      await d.start();
      await until(() => d.subscriptions()[0]?.live === true, 'subscribed');
      for (let i = 0; i < 30; i++) await publish(api, 'busy', { i });
      await until(() => app.held.length === 30, 'thirty deliveries in flight');
      for (const release of app.held.splice(0)) release();
      await until(() => app.calls.length === 30, 'thirty answered');
      expect(app.overLimit).toEqual([]);
    } finally {
      for (const release of app.held.splice(0)) release();
      await d.close();
    }
  });
});

describe('AppPubSubDelivery (gRPC app)', () => {
  it('lists subscriptions with ListTopicSubscriptions and delivers OnTopicEvent; UNIMPLEMENTED drops', async () => {
    const api = block(await memory());
    const events: Array<{ path: string; id: string; data: string; topic: string }> = [];
    let unimplemented = false;
    const app: AppChannel = {
      protocol: 'grpc',
      healthy: () => true,
      invokeMethod: () => Promise.reject(new Error('not used')),
      callback: async <Req, Res>(method: AppCallbackMethod<Req, Res>, req: Req): Promise<Res> => {
        if (method.path.endsWith('/ListTopicSubscriptions')) {
          return { subscriptions: [{ pubsubName: 'ps', topic: 'g', metadata: {}, routes: { rules: [], default: '/g' }, deadLetterTopic: '', bulkSubscribe: undefined }] } as Res;
        }
        const r = req as unknown as { path: string; id: string; data: Buffer; topic: string };
        events.push({ path: r.path, id: r.id, data: r.data.toString(), topic: r.topic });
        if (unimplemented) throw new AppCallbackStatusError(12, 'no', method.path);
        return { status: TopicEventResponse_TopicEventResponseStatus.SUCCESS } as Res;
      },
    };
    const d = new AppPubSubDelivery({ api, channel: app, appId: APP, namespace: '', declarative: [] });
    await d.start();
    await until(() => d.subscriptions()[0]?.live === true, 'subscribed');
    await publish(api, 'g', { x: 1 });
    await until(() => events.length === 1, 'event');
    expect(events[0]).toMatchObject({ path: '/g', topic: 'g', data: '{"x":1}' });
    unimplemented = true;
    await publish(api, 'g', { x: 2 });
    await until(() => events.length === 2, 'second event');
    await d.close();
  });
});

describe('StreamingSubscriptions', () => {
  it('marks subscribed, hands out events, settles by the client status; a second one is refused', async () => {
    const api = block(await memory());
    const subs = new StreamingSubscriptions({ api });
    const s = subs.open({ pubsubName: 'ps', topic: 's', metadata: {}, deadLetterTopic: 'sdlq' }, ctx);
    const it = s[Symbol.asyncIterator]();
    expect((await it.next()).value?.id).toBe('');
    const dlq = api.subscribe({ pubsubName: 'ps', topic: 'sdlq', metadata: {}, deadLetterTopic: '' }, { ...ctx, appId: 'watcher' })[Symbol.asyncIterator]();
    await dlq.next();
    await publish(api, 's', { n: 1 });
    const ev = (await it.next()).value;
    expect(ev?.topic).toBe('s');
    expect(JSON.parse(ev?.data.toString() ?? '')).toEqual({ n: 1 });
    s.processed(ev?.id ?? '', TopicEventResponse_TopicEventResponseStatus.DROP);
    const dead = (await dlq.next()).value as TopicDelivery;
    expect(JSON.parse(dead.data.toString())).toMatchObject({ data: { n: 1 } });
    const second = subs.open({ pubsubName: 'ps', topic: 's', metadata: {} }, ctx)[Symbol.asyncIterator]();
    await expect(second.next()).rejects.toMatchObject({ message: 'already subscribed to pubsub "ps" topic "s"' });
    await it.return?.(undefined);
    await dlq.return?.();
    // closed: the topic can be subscribed again
    const third = subs.open({ pubsubName: 'ps', topic: 's', metadata: {} }, ctx)[Symbol.asyncIterator]();
    expect((await third.next()).value?.id).toBe('');
    await third.return?.(undefined);
  });

  it('refuses a topic the app already subscribes declaratively or programmatically', async () => {
    const api = block(await memory());
    const subs = new StreamingSubscriptions({ api, declared: (p, t) => p === 'ps' && t === 'taken' });
    const it = subs.open({ pubsubName: 'ps', topic: 'taken', metadata: {} }, ctx)[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ grpcCode: GrpcCode.ALREADY_EXISTS });
  });
});
