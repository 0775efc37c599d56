// AppConfigurationDelivery: HTTP-API subscriptions delivered to the app over a (fake) app
// channel, as daprd posts them; resubscribing after the upstream stream breaks; stopping.
import { ApiError, GrpcCode, HTTPExtension_Verb, isApiError } from '@tessera/contracts';
import type {
  AppChannel,
  CallContext,
  ConfigurationApi,
  InternalInvokeRequest,
  InternalInvokeResponse,
  SubscribeConfigurationRequest,
  SubscribeConfigurationResponse,
} from '@tessera/contracts';
import { createInMemoryConfigurationStore } from '@tessera/configuration-in-memory';
import { AppConfigurationDelivery, goItems } from './app-delivery';
import { ConfigurationBlock } from './configuration.block';
import { ConfigurationStores } from './configuration-stores';

const ctx: CallContext = { appId: 'app', namespace: '' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

interface Posted {
  verb: string;
  method: string;
  contentType: string;
  body: unknown;
}

class FakeChannel implements AppChannel {
  readonly posted: Posted[] = [];
  status = 200;
  /** Answered first, one per call, before `status`. */
  readonly statuses: number[] = [];
  fail: Error | undefined;
  constructor(readonly protocol = 'http') {}
  healthy(): boolean {
    return true;
  }
  async invokeMethod(req: InternalInvokeRequest): Promise<InternalInvokeResponse> {
    const m = req.message;
    this.posted.push({
      verb: HTTPExtension_Verb[m?.httpExtension?.verb ?? 0] ?? '?',
      method: m?.method ?? '',
      contentType: m?.contentType ?? '',
      body: JSON.parse(Buffer.from(m?.data?.value ?? new Uint8Array()).toString('utf8')),
    });
    if (this.fail) throw this.fail;
    return { status: { code: this.statuses.shift() ?? this.status, message: '', details: [] }, headers: {}, trailers: {}, message: undefined };
  }
}

function logger(): { lines: string[]; info: (m: string) => void; warn: (m: string) => void; error: (m: string) => void } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`), error: (m) => lines.push(`error: ${m}`) };
}

function inProcess() {
  const mem = createInMemoryConfigurationStore();
  const block = new ConfigurationBlock(new ConfigurationStores([{ name: 'cfg', type: 't', version: 'v1', store: mem, scopes: [] }]));
  return { mem, block };
}

describe('AppConfigurationDelivery', () => {
  it('refuses without an app channel: 500 ERR_APP_CHANNEL_NIL, after checking the store as daprd does', async () => {
    const { block } = inProcess();
    const d = new AppConfigurationDelivery({ api: block, channel: undefined });
    await expect(d.subscribe({ storeName: 'nope', keys: [], metadata: {} }, ctx)).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_STORE_NOT_FOUND' });
    const none = new AppConfigurationDelivery({ api: new ConfigurationBlock(new ConfigurationStores()), channel: undefined });
    await expect(none.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED' });
    const e = await d.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx).catch((x: unknown) => x);
    expect(isApiError(e) ? [e.code, e.httpStatus, e.message] : e).toEqual([
      'ERR_APP_CHANNEL_NIL',
      500,
      'app channel is not initialized. cannot subscribe to configuration updates',
    ]);
    expect(block.subscriptions).toBe(0);
  });

  it('posts each change to POST /configuration/{store}/{key} with {"id","items"}', async () => {
    const { mem, block } = inProcess();
    const channel = new FakeChannel();
    const d = new AppConfigurationDelivery({ api: block, channel });
    const id = await d.subscribe({ storeName: 'cfg', keys: ['a', 'b'], metadata: {} }, ctx);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    mem.set('a', 'hello', '1', { m: 'x' });
    mem.set('b', 'world');
    mem.set('zzz', 'not watched');
    await until(() => channel.posted.length === 2, 'two posts');
    expect(channel.posted).toEqual([
      { verb: 'POST', method: 'configuration/cfg/a', contentType: 'application/json', body: { id, items: { a: { value: 'hello', version: '1', metadata: { m: 'x' } } } } },
      { verb: 'POST', method: 'configuration/cfg/b', contentType: 'application/json', body: { id, items: { b: { value: 'world' } } } },
    ]);
    await d.close();
  });

  it('an event of several keys is posted once per key, each with every item (as daprd)', async () => {
    const channel = new FakeChannel();
    const api = new ScriptedApi([[{ id: 'up-1', items: {} }, { id: 'up-1', items: { x: item('1'), y: item('2') } }]]);
    const d = new AppConfigurationDelivery({ api, channel });
    await d.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx);
    await until(() => channel.posted.length === 2, 'two posts');
    expect(channel.posted.map((p) => p.method)).toEqual(['configuration/cfg/x', 'configuration/cfg/y']);
    for (const p of channel.posted) expect(p.body).toEqual({ id: 'up-1', items: { x: { value: '1' }, y: { value: '2' } } });
    await d.close();
  });

  it('an app that answers non-200 or cannot be reached is logged; later changes still go out', async () => {
    const { mem, block } = inProcess();
    const channel = new FakeChannel();
    const log = logger();
    const d = new AppConfigurationDelivery({ api: block, channel, logger: log });
    await d.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx);
    channel.status = 500;
    mem.set('k', '1');
    await until(() => channel.posted.length === 1, 'first post');
    channel.status = 200;
    channel.fail = new Error('app is not in a healthy state');
    mem.set('k', '2');
    await until(() => channel.posted.length === 2, 'second post');
    channel.fail = undefined;
    mem.set('k', '3');
    await until(() => channel.posted.length === 3, 'third post');
    await until(() => log.lines.length >= 2, 'logs');
    expect(log.lines).toEqual([
      'error: error sending configuration item to the app: error sending configuration item to application, status 500',
      'error: error sending configuration item to the app: app is not in a healthy state',
    ]);
    await d.close();
  });

  it("the component's inbound resiliency policy retries a post the app refused", async () => {
    const { mem, block } = inProcess();
    const channel = new FakeChannel();
    channel.statuses.push(503, 500);
    const verdicts: unknown[] = [];
    const retryThrice = {
      async run<T>(fn: (s: AbortSignal) => Promise<T>, opts?: { isFailure?: (r: T) => unknown }): Promise<T> {
        let r = await fn(new AbortController().signal);
        for (let i = 0; i < 2 && opts?.isFailure?.(r); i++) {
          verdicts.push(opts.isFailure(r));
          r = await fn(new AbortController().signal);
        }
        return r;
      },
    };
    const stores: string[] = [];
    const log = logger();
    const d = new AppConfigurationDelivery({ api: block, channel, logger: log, inboundPolicy: (s) => (stores.push(s), retryThrice) });
    await d.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx);
    mem.set('k', '1');
    await until(() => channel.posted.length === 3, 'three attempts');
    await sleep(10);
    expect(verdicts).toEqual([{ status: 503 }, { status: 500 }]);
    expect(stores).toEqual(['cfg']);
    expect(log.lines).toEqual([]);
    await d.close();
  });

  it('gRPC apps: status 0 (OK) is success', async () => {
    const { mem, block } = inProcess();
    const channel = new FakeChannel('grpc');
    channel.status = 0;
    const log = logger();
    const d = new AppConfigurationDelivery({ api: block, channel, logger: log });
    await d.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx);
    mem.set('k', '1');
    await until(() => channel.posted.length === 1, 'post');
    await sleep(10);
    expect(log.lines).toEqual([]);
    await d.close();
  });

  it('unsubscribe(id) ends the subscription upstream and stops the posts', async () => {
    const { mem, block } = inProcess();
    const channel = new FakeChannel();
    const d = new AppConfigurationDelivery({ api: block, channel });
    const id = await d.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx);
    expect(await d.unsubscribe({ storeName: 'cfg', id }, ctx)).toEqual({ ok: true, message: '' });
    await until(() => d.active === 0 && block.subscriptions === 0 && mem.subscriptions === 0, 'the subscription to end');
    mem.set('k', 'after');
    await sleep(20);
    expect(channel.posted).toEqual([]);
    // an id this gateway does not deliver goes to the API as it is
    expect((await d.unsubscribe({ storeName: 'cfg', id: 'other' }, ctx)).ok).toBe(false);
  });

  it('errors of the API reach the caller of subscribe()', async () => {
    const { block } = inProcess();
    const d = new AppConfigurationDelivery({ api: block, channel: new FakeChannel() });
    const e = await d.subscribe({ storeName: 'nope', keys: [], metadata: {} }, ctx).catch((x: unknown) => x);
    expect(isApiError(e) && e.code).toBe('ERR_CONFIGURATION_STORE_NOT_FOUND');
    expect(d.active).toBe(0);
  });

  it('a retryable failure of the stream: subscribes again and keeps posting under the first id', async () => {
    const channel = new FakeChannel();
    const log = logger();
    const unavailable = new ApiError({ code: 'ERR_CONFIGURATION_SUBSCRIBE', message: 'configuration-svc is shutting down', httpStatus: 500, grpcCode: GrpcCode.UNAVAILABLE, retryable: true });
    const api = new ScriptedApi([
      [{ id: 'up-1', items: {} }, { id: 'up-1', items: { k: item('1') } }, unavailable],
      [unavailable], // still down
      [{ id: 'up-2', items: {} }, { id: 'up-2', items: { k: item('2') } }],
    ]);
    const d = new AppConfigurationDelivery({ api, channel, logger: log, retryBackoffMs: { initial: 5, max: 10 } });
    const id = await d.subscribe({ storeName: 'cfg', keys: ['k'], metadata: {} }, ctx);
    expect(id).toBe('up-1');
    await until(() => channel.posted.length === 2, 'posts from both upstream subscriptions');
    expect(channel.posted.map((p) => p.body)).toEqual([
      { id: 'up-1', items: { k: { value: '1' } } },
      { id: 'up-1', items: { k: { value: '2' } } },
    ]);
    expect(log.lines.some((l) => l.startsWith('warn: configuration subscription up-1 to store cfg was interrupted'))).toBe(true);
    expect(log.lines).toContain('info: configuration subscription up-1 to store cfg resumed (now up-2 upstream)');
    expect(await d.unsubscribe({ storeName: 'cfg', id }, ctx)).toEqual({ ok: true, message: '' });
    expect(api.unsubscribed).toEqual(['up-2']);
    await d.close();
  });

  it('a non-retryable failure stops the delivery and says so', async () => {
    const channel = new FakeChannel();
    const log = logger();
    const gone = new ApiError({ code: 'ERR_CONFIGURATION_STORE_NOT_FOUND', message: 'configuration store cfg not found', httpStatus: 400, grpcCode: GrpcCode.INVALID_ARGUMENT, retryable: false });
    const api = new ScriptedApi([[{ id: 'up-1', items: {} }, gone]]);
    const d = new AppConfigurationDelivery({ api, channel, logger: log });
    await d.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx);
    await until(() => d.active === 0, 'the delivery to stop');
    expect(log.lines).toEqual(['error: configuration subscription up-1 to store cfg failed; updates stop: configuration store cfg not found']);
  });

  it('close() stops every delivery and refuses new ones', async () => {
    const { mem, block } = inProcess();
    const d = new AppConfigurationDelivery({ api: block, channel: new FakeChannel() });
    await d.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx);
    await d.subscribe({ storeName: 'cfg', keys: ['x'], metadata: {} }, ctx);
    await d.close();
    await until(() => mem.subscriptions === 0, 'the component subscriptions to end');
    await expect(d.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_SUBSCRIBE' });
  });

  it("goItems is Go's omitempty encoding of the items", () => {
    expect(goItems({ a: item('v', '1', { m: 'x' }), b: item(''), c: item('c') })).toEqual({ a: { value: 'v', version: '1', metadata: { m: 'x' } }, b: {}, c: { value: 'c' } });
  });
});

function item(value: string, version = '', metadata: Record<string, string> = {}) {
  return { value, version, metadata };
}

/** A ConfigurationApi whose successive subscribe() calls play scripts of items and errors. */
class ScriptedApi implements ConfigurationApi {
  readonly unsubscribed: string[] = [];
  private n = 0;
  constructor(private readonly scripts: Array<Array<SubscribeConfigurationResponse | ApiError>>) {}
  async get(): Promise<never> {
    throw new Error('not used');
  }
  subscribe(_req: SubscribeConfigurationRequest, c: CallContext): AsyncIterable<SubscribeConfigurationResponse> {
    const script = this.scripts[this.n++] ?? [];
    return {
      async *[Symbol.asyncIterator]() {
        for (const step of script) {
          if (isApiError(step)) throw step;
          yield step;
        }
        await new Promise((r) => c.signal?.addEventListener('abort', r, { once: true }));
      },
    };
  }
  async unsubscribe(req: { id: string }) {
    this.unsubscribed.push(req.id);
    return { ok: true, message: '' };
  }
  async listComponents() {
    return [];
  }
}
