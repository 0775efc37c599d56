// AppBindingsDelivery over the real block with fake bindings and a fake app channel (HTTP and
// gRPC): discovery by OPTIONS / ListInputBindings, delivery shape, settling only on app success,
// the app's answer honoured (state saved, output bindings invoked), reading again after the
// stream breaks, pausing while the app is unhealthy, and a clean stop.
import { AppCallbackStatusError, BindingEventResponse_BindingEventConcurrency, HTTPExtension_Verb, InvokeErrors, isApiError } from '@tessera/contracts';
import type {
  AppCallbackMethod,
  AppChannel,
  BindingDelivery,
  BindingEventRequest,
  BindingEventResponse,
  BindingsApi,
  CallContext,
  InputBindingInfo,
  InternalInvokeRequest,
  InternalInvokeResponse,
  SaveStateRequest,
} from '@tessera/contracts';
import { ApiError, GrpcCode } from '@tessera/contracts';
import type { Binding, BindingInvokeRequest, BindingReadHandler, BindingReader } from '@tessera/spi';
import { AppBindingsDelivery, parseHttpAnswer } from './app-delivery';
import type { BindingsDeliveryPolicy } from './app-delivery';
import { BindingComponents } from './binding-components';
import type { BindingEntry } from './binding-components';
import { BindingsBlock } from './bindings.block';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

class FakeBinding implements Binding {
  readonly invoked: BindingInvokeRequest[] = [];
  handlers: BindingReadHandler[] = [];
  readers = 0;
  async init(): Promise<void> {
    return undefined;
  }
  operations(): readonly string[] {
    return ['create'];
  }
  async invoke(req: BindingInvokeRequest): Promise<undefined> {
    this.invoked.push(req);
    return undefined;
  }
  async read(handler: BindingReadHandler): Promise<BindingReader> {
    this.readers++;
    this.handlers.push(handler);
    return { close: async () => void (this.handlers = this.handlers.filter((h) => h !== handler)) };
  }
  emit(data: string, metadata: Record<string, string> = {}): Promise<Array<'ok' | string>> {
    return Promise.all(this.handlers.map((h) => h({ data: Buffer.from(data), metadata }).then(() => 'ok' as const, (e: Error) => e.message)));
  }
  async close(): Promise<void> {
    return undefined;
  }
}

interface HttpCall {
  verb: string;
  path: string;
  contentType: string;
  headers: Record<string, string>;
  body: string;
}

/** An HTTP app: answers OPTIONS per route, POSTs with `status`/`body` (or per-call overrides). */
class FakeHttpApp implements AppChannel {
  readonly protocol = 'http';
  readonly calls: HttpCall[] = [];
  options: Record<string, number> = {};
  status = 200;
  body = '';
  readonly answers: Array<{ status: number; body?: string } | Error> = [];
  hold: Promise<void> | undefined;
  healthy(): boolean {
    return true;
  }
  async invokeMethod(req: InternalInvokeRequest, ctx: CallContext): Promise<InternalInvokeResponse> {
    const m = req.message;
    const verb = HTTPExtension_Verb[m?.httpExtension?.verb ?? 0] ?? '?';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.metadata)) headers[k] = v.values[0] ?? '';
    this.calls.push({ verb, path: m?.method ?? '', contentType: m?.contentType ?? '', headers, body: Buffer.from(m?.data?.value ?? new Uint8Array()).toString() });
    if (verb === 'OPTIONS') return answer(this.options[m?.method ?? ''] ?? 404, '');
    if (this.hold) await this.hold;
    if (ctx.signal?.aborted) throw new Error('aborted');
    const next = this.answers.shift();
    if (next instanceof Error) throw next;
    return answer(next?.status ?? this.status, next?.body ?? this.body);
  }
  posts(): HttpCall[] {
    return this.calls.filter((c) => c.verb === 'POST');
  }
}

function answer(code: number, body: string): InternalInvokeResponse {
  return {
    status: { code, message: '', details: [] },
    headers: {},
    trailers: {},
    message: { data: { typeUrl: '', value: Buffer.from(body) }, contentType: 'application/json' },
  };
}

/** A gRPC app: ListInputBindings and OnBindingEvent through AppChannel.callback. */
class FakeGrpcApp implements AppChannel {
  readonly protocol = 'grpc';
  bindings: string[] | undefined = [];
  readonly events: BindingEventRequest[] = [];
  reply: Partial<BindingEventResponse> = {};
  failWith: number | undefined;
  healthy(): boolean {
    return true;
  }
  async invokeMethod(): Promise<InternalInvokeResponse> {
    throw new Error('not used for bindings');
  }
  async callback<Req, Res>(method: AppCallbackMethod<Req, Res>, req: Req): Promise<Res> {
    if (method.path.endsWith('/ListInputBindings')) {
      if (this.bindings === undefined) throw new AppCallbackStatusError(12, 'unimplemented', method.path);
      return { bindings: this.bindings } as Res;
    }
    if (method.path.endsWith('/OnBindingEvent')) {
      this.events.push(req as BindingEventRequest);
      if (this.failWith !== undefined) throw new AppCallbackStatusError(this.failWith, 'app failed', method.path);
      return { storeName: '', states: [], to: [], data: Buffer.alloc(0), concurrency: 0, ...this.reply } as Res;
    }
    throw new Error(`unexpected ${method.path}`);
  }
}

function entry(name: string, binding: Binding, over: Partial<BindingEntry> = {}): BindingEntry {
  return { name, type: 'bindings.fake', version: 'v1', binding, input: true, output: true, route: name, scopes: [], ...over };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('AppBindingsDelivery, HTTP app', () => {
  let delivery: AppBindingsDelivery | undefined;
  afterEach(async () => {
    await delivery?.close();
    delivery = undefined;
  });

  it('probes OPTIONS /{route}: 2xx and 405 subscribe, 404 does not; output-only and out-of-scope bindings are not probed', async () => {
    const app = new FakeHttpApp();
    app.options = { a: 204, b: 405, c: 404, routed: 200 };
    const fakes = { a: new FakeBinding(), b: new FakeBinding(), c: new FakeBinding(), d: new FakeBinding(), e: new FakeBinding(), f: new FakeBinding() };
    const block = new BindingsBlock(
      new BindingComponents([
        entry('a', fakes.a),
        entry('b', fakes.b),
        entry('c', fakes.c),
        entry('d', fakes.d, { input: false }),
        entry('e', fakes.e, { scopes: ['other'] }),
        entry('f', fakes.f, { route: 'routed' }),
      ]),
    );
    delivery = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet });
    await delivery.start();
    expect(app.calls.map((c) => `${c.verb} ${c.path}`)).toEqual(['OPTIONS a', 'OPTIONS b', 'OPTIONS c', 'OPTIONS routed']);
    expect(delivery.subscribed).toEqual(['a', 'b', 'f']);
    await until(() => fakes.a.readers + fakes.b.readers + fakes.f.readers === 3, 'the readers');
    expect(fakes.c.readers + fakes.d.readers + fakes.e.readers).toBe(0);
  });

  it('POSTs the raw event to /{route} with application/json and metadata headers; 200 settles ok', async () => {
    const app = new FakeHttpApp();
    app.options = { ticks: 200 };
    const cron = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('cron', cron, { route: 'ticks' })]));
    delivery = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet });
    await delivery.start();
    await until(() => cron.readers === 1, 'the reader');
    expect(await cron.emit('{"x":1}', { readTimeUTC: '2025-01-01', timeZone: 'UTC' })).toEqual(['ok']);
    const post = app.posts()[0] as HttpCall;
    expect(post).toEqual({ verb: 'POST', path: 'ticks', contentType: 'application/json', headers: { readtimeutc: '2025-01-01', timezone: 'UTC' }, body: '{"x":1}' });
  });

  it('a non-200 answer or an unreachable app fails the event back to the component', async () => {
    const app = new FakeHttpApp();
    app.options = { b: 200 };
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    delivery = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet });
    await delivery.start();
    await until(() => fake.readers === 1, 'the reader');
    app.answers.push({ status: 204 }, { status: 500, body: 'boom' }, InvokeErrors.appUnavailable('app1'));
    const [r204] = await fake.emit('1');
    expect(r204).toBe('fails to send binding event to http app channel, status code: 204 body: ');
    const [r500] = await fake.emit('2');
    expect(r500).toBe('fails to send binding event to http app channel, status code: 500 body: boom');
    const [down] = await fake.emit('3');
    expect(down).toMatch(/app1/);
    expect(await fake.emit('4')).toEqual(['ok']);
  });

  it('runs the POST under the inbound policy, non-200 counting as a failure', async () => {
    const app = new FakeHttpApp();
    app.options = { b: 200 };
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const seen: string[] = [];
    const retryOnce = {
      async run<T>(fn: (s: AbortSignal) => Promise<T>, o?: { isFailure?: (r: T) => unknown }): Promise<T> {
        const first = await fn(new AbortController().signal);
        if (o?.isFailure?.(first) === undefined) return first;
        return fn(new AbortController().signal);
      },
    };
    delivery = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet, inboundPolicy: (n) => (seen.push(n), retryOnce) });
    await delivery.start();
    await until(() => fake.readers === 1, 'the reader');
    app.answers.push({ status: 503 }, { status: 200 });
    expect(await fake.emit('x')).toEqual(['ok']);
    expect(app.posts()).toHaveLength(2);
    expect(seen).toEqual(['b']);
  });

  it("honours the app's answer: state saved into storeName for the app, data sent to each `to` binding (create)", async () => {
    const app = new FakeHttpApp();
    app.options = { in: 200 };
    const input = new FakeBinding();
    const out1 = new FakeBinding();
    const out2 = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('in', input), entry('out1', out1), entry('out2', out2)]));
    const saved: Array<{ req: SaveStateRequest; ctx: CallContext }> = [];
    const state = { saveState: async (req: SaveStateRequest, ctx: CallContext) => void saved.push({ req, ctx }) };
    delivery = new AppBindingsDelivery({ api: block, state, channel: app, appId: 'app1', namespace: '', logger: quiet });
    await delivery.start();
    await until(() => input.readers === 1, 'the reader');
    app.body = JSON.stringify({ storeName: 'statestore', state: [{ key: 'k1', value: { b: 1, a: 'x' } }, { key: 'k2', value: 'v', etag: '3' }], to: ['out1', 'out2'], data: { msg: 'hi' }, concurrency: 'parallel' });
    expect(await input.emit('e')).toEqual(['ok']);
    await until(() => saved.length === 1 && out1.invoked.length === 1 && out2.invoked.length === 1, 'the side effects');
    expect(saved[0]?.ctx.appId).toBe('app1');
    expect(saved[0]?.req.storeName).toBe('statestore');
    expect(saved[0]?.req.states.map((s) => [s.key, s.value.toString(), s.etag?.value])).toEqual([
      ['k1', '{"a":"x","b":1}', undefined],
      ['k2', '"v"', '3'],
    ]);
    for (const o of [out1, out2]) {
      expect(o.invoked[0]?.operation).toBe('create');
      expect(Buffer.from(o.invoked[0]?.data ?? []).toString()).toBe('{"msg":"hi"}');
    }
  });

  it('a failing `to` binding or state save is logged, the event still counts as delivered', async () => {
    const app = new FakeHttpApp();
    app.options = { in: 200 };
    const input = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('in', input)]));
    const errors: string[] = [];
    const state = { saveState: async () => Promise.reject(new Error('store down')) };
    delivery = new AppBindingsDelivery({ api: block, state, channel: app, appId: 'app1', namespace: '', logger: { ...quiet, error: (m: string) => void errors.push(m) } });
    await delivery.start();
    await until(() => input.readers === 1, 'the reader');
    app.body = JSON.stringify({ storeName: 's', state: [{ key: 'k', value: 1 }], to: ['missing'], data: 1 });
    expect(await input.emit('e')).toEqual(['ok']);
    await until(() => errors.length === 2, 'the logged failures');
    expect(errors.sort()).toEqual([
      "input binding in: error invoking output binding missing from the app's answer: error invoking output binding missing: couldn't find output binding missing",
      "input binding in: error saving the app's state to s: store down",
    ]);
  });

  it('close() lets a delivery in flight finish and settle, then ends the readers', async () => {
    const app = new FakeHttpApp();
    app.options = { b: 200 };
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    delivery = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet });
    await delivery.start();
    await until(() => fake.readers === 1, 'the reader');
    let release: () => void = () => undefined;
    app.hold = new Promise((r) => (release = r));
    const outcome = fake.emit('slow');
    await until(() => app.posts().length === 1, 'the post');
    const closed = delivery.close();
    await sleep(20);
    release();
    await closed;
    expect(await outcome).toEqual(['ok']);
    expect(fake.handlers).toHaveLength(0);
    expect(block.activeReaders).toBe(0);
  });

  it('no app channel: nothing is listed or read', async () => {
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    delivery = new AppBindingsDelivery({ api: block, channel: undefined, appId: 'app1', namespace: '' });
    await delivery.start();
    expect(delivery.subscribed).toEqual([]);
    expect(fake.readers).toBe(0);
  });
});

/** Up to 3 attempts, a failed result or a retryable error trying again (as runtime-core's policy). */
const threeAttempts: BindingsDeliveryPolicy = {
  async run<T>(fn: (s: AbortSignal) => Promise<T>, o?: { isFailure?: (r: T) => unknown }): Promise<T> {
    let last: { value: T } | { error: unknown } = { error: new Error('no attempt') };
    for (let i = 0; i < 3; i++) {
      try {
        const r = await fn(new AbortController().signal);
        last = { value: r };
        if (!o?.isFailure?.(r)) return r;
      } catch (e) {
        last = { error: e };
        if ((e as { retryable?: boolean }).retryable === false) break;
      }
    }
    if ('value' in last) return last.value;
    throw last.error;
  },
};

describe('AppBindingsDelivery while the app is unhealthy (pause / resume)', () => {
  let delivery: AppBindingsDelivery | undefined;
  afterEach(async () => {
    await delivery?.close();
    delivery = undefined;
  });

  async function reading(opts: { policy?: BindingsDeliveryPolicy } = {}): Promise<{ app: FakeHttpApp; fake: FakeBinding; block: BindingsBlock; d: AppBindingsDelivery }> {
    const app = new FakeHttpApp();
    app.options = { b: 200 };
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const d = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet, inboundPolicy: opts.policy ? () => opts.policy as BindingsDeliveryPolicy : undefined, retryBackoffMs: { initial: 5, max: 20 } });
    delivery = d;
    await d.start();
    await until(() => fake.readers === 1, 'the reader');
    return { app, fake, block, d };
  }

  it('lets the delivery in flight end without retrying it, fails it back (never acked), stops reading; resume() reads again', async () => {
    const { app, fake, block, d } = await reading({ policy: threeAttempts });
    let release: () => void = () => undefined;
    app.hold = new Promise((r) => (release = r));
    app.status = 500;
    const outcome = fake.emit('in flight');
    await until(() => app.posts().length === 1, 'the post');
    expect(d.pause()).toBe(1);
    expect(d.pause()).toBe(0);
    await sleep(20);
    expect(fake.handlers).toHaveLength(1); // still reading: a delivery in flight
    release();
    expect(await outcome).toEqual(['the input binding reader ended before the app answered']);
    expect(app.posts()).toHaveLength(1); // no policy retry while paused
    await until(() => fake.handlers.length === 0 && block.activeReaders === 0, 'the reader ended');
    app.hold = undefined;
    app.status = 200;
    expect(d.resume()).toBe(1);
    await until(() => fake.readers === 2 && fake.handlers.length === 1, 'reading again');
    expect(await fake.emit('after')).toEqual(['ok']);
    expect(app.posts().map((p) => p.body)).toEqual(['in flight', 'after']);
  });

  it('an idle binding stops reading at once; nothing reaches the app while paused', async () => {
    const { app, fake, d } = await reading();
    d.pause();
    await until(() => fake.handlers.length === 0, 'the reader ended');
    expect(await fake.emit('nobody')).toEqual([]);
    expect(app.posts()).toHaveLength(0);
    d.resume();
    await until(() => fake.handlers.length === 1, 'reading again');
    expect(await fake.emit('x')).toEqual(['ok']);
  });

  it('an event arriving while the reader drains waits; healthy again before it ended: delivered on the same reader', async () => {
    const { app, fake, d } = await reading();
    let release: () => void = () => undefined;
    app.hold = new Promise((r) => (release = r));
    const first = fake.emit('1');
    await until(() => app.posts().length === 1, 'the first post');
    d.pause();
    const second = fake.emit('2');
    await sleep(20);
    expect(app.posts()).toHaveLength(1); // waiting, not delivered
    d.resume();
    release();
    expect([await first, await second]).toEqual([['ok'], ['ok']]);
    expect(app.posts().map((p) => p.body)).toEqual(['1', '2']);
    expect(fake.readers).toBe(1);
  });

  it('paused before start(): the app is probed only once it is healthy; close() ends a waiting start()', async () => {
    const app = new FakeHttpApp();
    app.options = { b: 200 };
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    delivery = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet });
    expect(delivery.pause()).toBe(0);
    const starting = delivery.start();
    await sleep(20);
    expect(app.calls).toEqual([]);
    delivery.resume();
    await starting;
    expect(app.calls.map((c) => `${c.verb} ${c.path}`)).toEqual(['OPTIONS b']);
    await until(() => fake.readers === 1, 'the reader');

    const other = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet });
    other.pause();
    const waiting = other.start();
    await other.close();
    await waiting;
    expect(app.calls).toHaveLength(1);
  });
});

describe('AppBindingsDelivery, gRPC app', () => {
  let delivery: AppBindingsDelivery | undefined;
  afterEach(async () => {
    await delivery?.close();
    delivery = undefined;
  });

  it('ListInputBindings picks the bindings by name; OnBindingEvent gets name, data and metadata', async () => {
    const app = new FakeGrpcApp();
    app.bindings = ['b', 'ghost'];
    const a = new FakeBinding();
    const b = new FakeBinding();
    const warnings: string[] = [];
    const block = new BindingsBlock(new BindingComponents([entry('a', a), entry('b', b, { route: 'elsewhere' })]));
    delivery = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: { ...quiet, warn: (m: string) => void warnings.push(m) } });
    await delivery.start();
    expect(delivery.subscribed).toEqual(['b']);
    expect(warnings).toEqual(['input binding ghost: the app asked for it, but no such input binding is visible to app app1']);
    await until(() => b.readers === 1, 'the reader');
    expect(await b.emit('payload', { Key: 'V' })).toEqual(['ok']);
    expect(app.events).toHaveLength(1);
    expect([app.events[0]?.name, app.events[0]?.data.toString(), app.events[0]?.metadata]).toEqual(['b', 'payload', { Key: 'V' }]);
    expect(a.readers).toBe(0);
  });

  it('UNIMPLEMENTED ListInputBindings = no bindings; a non-OK OnBindingEvent fails the event back', async () => {
    const app = new FakeGrpcApp();
    app.bindings = undefined;
    const b = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', b)]));
    delivery = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet });
    await delivery.start();
    expect(delivery.subscribed).toEqual([]);
    await delivery.close();

    app.bindings = ['b'];
    app.failWith = GrpcCode.INTERNAL;
    delivery = new AppBindingsDelivery({ api: block, channel: app, appId: 'app1', namespace: '', logger: quiet });
    await delivery.start();
    await until(() => b.readers === 1, 'the reader');
    const [r] = await b.emit('x');
    expect(r).toMatch(/gRPC status 13: app failed/);
  });

  it('the gRPC answer: states saved as given, data to the `to` bindings one after the other', async () => {
    const app = new FakeGrpcApp();
    app.bindings = ['in'];
    app.reply = {
      storeName: 'store',
      states: [{ key: 'k', value: Buffer.from('raw'), etag: undefined, metadata: {}, options: undefined }],
      to: ['out'],
      data: Buffer.from('bytes as given'),
      concurrency: BindingEventResponse_BindingEventConcurrency.SEQUENTIAL,
    };
    const input = new FakeBinding();
    const out = new FakeBinding();
    const saved: SaveStateRequest[] = [];
    const block = new BindingsBlock(new BindingComponents([entry('in', input), entry('out', out)]));
    delivery = new AppBindingsDelivery({ api: block, state: { saveState: async (r) => void saved.push(r) }, channel: app, appId: 'app1', namespace: '', logger: quiet });
    await delivery.start();
    await until(() => input.readers === 1, 'the reader');
    await input.emit('e');
    await until(() => saved.length === 1 && out.invoked.length === 1, 'the side effects');
    expect(saved[0]?.states[0]?.value.toString()).toBe('raw');
    expect(Buffer.from(out.invoked[0]?.data ?? []).toString()).toBe('bytes as given');
  });
});

/** A BindingsApi whose read streams can be broken from the test (a bindings-svc going away). */
class FlakyApi implements BindingsApi {
  readonly opened: string[] = [];
  listFailures = 0;
  failOpen = 0;
  private pushers: Array<{ push: (d: BindingDelivery) => void; fail: (e: Error) => void }> = [];
  readonly settles: Array<{ readerId: string; deliveryId: string; ok: boolean }> = [];
  async invoke(): Promise<never> {
    throw new Error('unused');
  }
  async listInputBindings(): Promise<InputBindingInfo[]> {
    if (this.listFailures > 0) {
      this.listFailures--;
      throw new ApiError({ code: 'ERR_X', message: 'bindings-svc unreachable', httpStatus: 503, grpcCode: GrpcCode.UNAVAILABLE });
    }
    return [{ name: 'b', route: 'b' }];
  }
  read(req: { name: string }, ctx: CallContext): AsyncIterable<BindingDelivery> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        if (self.failOpen > 0) {
          self.failOpen--;
          throw new ApiError({ code: 'ERR_X', message: 'unreachable', httpStatus: 503, grpcCode: GrpcCode.UNAVAILABLE });
        }
        const readerId = `r${self.opened.length + 1}`;
        self.opened.push(readerId);
        yield { readerId, deliveryId: '', data: Buffer.alloc(0), metadata: {}, contentType: '' };
        const queue: BindingDelivery[] = [];
        let wake: (() => void) | undefined;
        let failed: Error | undefined;
        const me = { push: (d: BindingDelivery) => (queue.push(d), wake?.()), fail: (e: Error) => ((failed = e), wake?.()) };
        self.pushers.push(me);
        const onAbort = () => wake?.();
        ctx.signal?.addEventListener('abort', onAbort);
        try {
          for (;;) {
            if (failed) throw failed;
            if (ctx.signal?.aborted) return;
            const d = queue.shift();
            if (d) {
              yield { ...d, readerId };
              continue;
            }
            await new Promise<void>((r) => (wake = r));
          }
        } finally {
          self.pushers = self.pushers.filter((p) => p !== me);
          void req;
        }
      },
    };
  }
  push(data: string): void {
    for (const p of this.pushers) p.push({ readerId: '', deliveryId: String(Math.random()), data: Buffer.from(data), metadata: {}, contentType: '' });
  }
  breakStreams(): void {
    for (const p of this.pushers) p.fail(new ApiError({ code: 'ERR_X', message: 'connection reset', httpStatus: 503, grpcCode: GrpcCode.UNAVAILABLE }));
  }
  get liveStreams(): number {
    return this.pushers.length;
  }
  async settle(req: { readerId: string; deliveryId: string; ok: boolean }): Promise<void> {
    this.settles.push(req);
  }
  async listComponents(): Promise<never[]> {
    return [];
  }
}

describe('AppBindingsDelivery against a remote-like API', () => {
  it('retries the listing and the read with backoff, and reads again after the stream breaks', async () => {
    const api = new FlakyApi();
    api.listFailures = 2;
    api.failOpen = 1;
    const app = new FakeHttpApp();
    app.options = { b: 200 };
    const d = new AppBindingsDelivery({ api, channel: app, appId: 'app1', namespace: '', logger: quiet, retryBackoffMs: { initial: 5, max: 20 } });
    await d.start();
    await until(() => api.liveStreams === 1, 'the first stream');
    expect(api.opened).toEqual(['r1']);
    api.push('one');
    await until(() => api.settles.length === 1, 'the first settle');
    expect(api.settles[0]).toMatchObject({ readerId: 'r1', ok: true });

    api.breakStreams();
    await until(() => api.liveStreams === 1 && api.opened.length === 2, 'the second stream');
    api.push('two');
    await until(() => api.settles.length === 2, 'the second settle');
    expect(api.settles[1]).toMatchObject({ readerId: 'r2', ok: true });
    expect(app.posts().map((p) => p.body)).toEqual(['one', 'two']);

    await d.close();
    expect(api.liveStreams).toBe(0);
  });

  it('a non-retryable read failure stops that binding (logged)', async () => {
    const errors: string[] = [];
    const api: BindingsApi = {
      invoke: async () => Promise.reject(new Error('unused')),
      listInputBindings: async () => [{ name: 'gone', route: 'gone' }],
      read: () => ({
        [Symbol.asyncIterator]: () => ({ next: async () => Promise.reject(new ApiError({ code: 'ERR_INPUT_BINDING', message: "couldn't find input binding gone", httpStatus: 404, grpcCode: 5, retryable: false })) }),
      }),
      settle: async () => undefined,
      listComponents: async () => [],
    };
    const app = new FakeHttpApp();
    app.options = { gone: 200 };
    const d = new AppBindingsDelivery({ api, channel: app, appId: 'app1', namespace: '', logger: { ...quiet, error: (m: string) => void errors.push(m) } });
    await d.start();
    await until(() => errors.length === 1, 'the error');
    expect(errors[0]).toBe("input binding gone: reading failed; events stop: couldn't find input binding gone");
    await d.close();
  });
});

describe('parseHttpAnswer', () => {
  it('ignores bodies that are not a JSON object; marshals values and data as Go does', () => {
    expect(parseHttpAnswer(Buffer.from(''))).toBeUndefined();
    expect(parseHttpAnswer(Buffer.from('OK'))).toBeUndefined();
    expect(parseHttpAnswer(Buffer.from('[1]'))).toBeUndefined();
    const a = parseHttpAnswer(Buffer.from('{"to":["x"],"state":[{"key":"k"},{"value":1}]}'));
    expect(a?.data.toString()).toBe('null');
    expect(a?.states.map((s) => [s.key, s.value.toString()])).toEqual([['k', 'null']]);
    expect(a?.parallel).toBe(false);
    expect(isApiError(a)).toBe(false);
  });
});
