// ConfigurationTransportClient -> ConfigurationTransportServer over loopback, with a fake
// ConfigurationApi behind the server: messages and errors cross intact, subscriptions stream
// (first item = id), cancel and unsubscribe end them on the server, a server that goes away fails
// them retryably. The conformance suite through this transport, on real stores and the block,
// runs in apps/runtime-e2e (configuration-remote-conformance.spec.ts).
import { ApiError, ConfigurationErrors, GrpcCode, isApiError } from '@tessera/contracts';
import type {
  CallContext,
  ConfigurationApi,
  GetConfigurationRequest,
  GetConfigurationResponse,
  RegisteredComponent,
  SubscribeConfigurationRequest,
  SubscribeConfigurationResponse,
  UnsubscribeConfigurationRequest,
  UnsubscribeConfigurationResponse,
} from '@tessera/contracts';
import { createServer } from 'node:net';
import { ConfigurationTransportClient, ConfigurationTransportServer } from './index';

const ctx: CallContext = { appId: 'orders', namespace: 'prod' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** One open subscription of the fake: push() sends a change, end() completes the stream. */
interface FakeSub {
  readonly id: string;
  readonly req: SubscribeConfigurationRequest;
  readonly ctx: CallContext;
  push(items: SubscribeConfigurationResponse['items']): void;
  end(): void;
  stopped: boolean;
}

class FakeConfigurationApi implements ConfigurationApi {
  readonly subs: FakeSub[] = [];
  readonly seen: CallContext[] = [];
  getError: ApiError | undefined;
  subscribeError: ApiError | undefined;

  async get(req: GetConfigurationRequest, c: CallContext): Promise<GetConfigurationResponse> {
    this.seen.push(c);
    if (this.getError) throw this.getError;
    return { items: Object.fromEntries(req.keys.map((k) => [k, { value: `value of ${k}`, version: '3', metadata: { from: 'fake' } }])) };
  }

  subscribe(req: SubscribeConfigurationRequest, c: CallContext): AsyncIterable<SubscribeConfigurationResponse> {
    const { subs } = this;
    const refusal = (): ApiError | undefined => this.subscribeError;
    return {
      async *[Symbol.asyncIterator]() {
        const refused = refusal();
        if (refused) throw refused;
        const queue: SubscribeConfigurationResponse[] = [];
        let wake: (() => void) | undefined;
        let ended = false;
        const sub: FakeSub = {
          id: `sub-${subs.length + 1}`,
          req,
          ctx: c,
          stopped: false,
          push: (items) => {
            queue.push({ id: sub.id, items });
            wake?.();
          },
          end: () => {
            ended = true;
            wake?.();
          },
        };
        subs.push(sub);
        c.signal?.addEventListener('abort', () => wake?.(), { once: true });
        try {
          yield { id: sub.id, items: {} };
          for (;;) {
            const next = queue.shift();
            if (next) {
              yield next;
              continue;
            }
            if (ended || c.signal?.aborted) return;
            await new Promise<void>((r) => (wake = r));
          }
        } finally {
          sub.stopped = true;
        }
      },
    };
  }

  async unsubscribe(req: UnsubscribeConfigurationRequest): Promise<UnsubscribeConfigurationResponse> {
    const sub = this.subs.find((s) => s.id === req.id && !s.stopped);
    if (!sub) return { ok: false, message: ConfigurationErrors.unsubscribe(req.id, `subscription with id ${req.id} does not exist`).message };
    sub.end();
    return { ok: true, message: '' };
  }

  async listComponents(c: CallContext): Promise<RegisteredComponent[]> {
    this.seen.push(c);
    return [{ name: 'cfg', type: 'configuration.redis', version: 'v1', capabilities: [] }];
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

describe('configuration transport', () => {
  let api: FakeConfigurationApi;
  let server: ConfigurationTransportServer;
  let client: ConfigurationTransportClient;

  beforeEach(async () => {
    api = new FakeConfigurationApi();
    server = new ConfigurationTransportServer(api);
    const { port } = await server.listen('127.0.0.1', 0);
    client = new ConfigurationTransportClient(`127.0.0.1:${port}`);
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  it('get: items with version and metadata cross, and the caller identity with them', async () => {
    expect(await client.get({ storeName: 'cfg', keys: ['a', 'b'], metadata: { x: 'y' } }, ctx)).toEqual({
      items: {
        a: { value: 'value of a', version: '3', metadata: { from: 'fake' } },
        b: { value: 'value of b', version: '3', metadata: { from: 'fake' } },
      },
    });
    expect(api.seen[0]).toMatchObject({ appId: 'orders', namespace: 'prod' });
  });

  it("the block's errors arrive as they were thrown", async () => {
    api.getError = ConfigurationErrors.notFound('nope');
    const e = await client.get({ storeName: 'nope', keys: [], metadata: {} }, ctx).then(() => undefined as never, (x: unknown) => x as ApiError);
    expect(e.toJSON()).toEqual(ConfigurationErrors.notFound('nope').toJSON());
    expect([e.httpStatus, e.grpcCode, e.retryable]).toEqual([400, GrpcCode.INVALID_ARGUMENT, false]);
    api.subscribeError = ConfigurationErrors.notConfigured();
    const it = client.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED', httpStatus: 500 });
  });

  it('subscribe: the id first, then each change; unsubscribe completes the stream', async () => {
    const it = client.subscribe({ storeName: 'cfg', keys: ['a'], metadata: { pgNotifyChannel: 'c' } }, ctx)[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: { id: 'sub-1', items: {} }, done: false });
    const sub = api.subs[0] as FakeSub;
    expect(sub.req).toEqual({ storeName: 'cfg', keys: ['a'], metadata: { pgNotifyChannel: 'c' } });
    expect(sub.ctx).toMatchObject({ appId: 'orders', namespace: 'prod' });
    sub.push({ a: { value: '1', version: '1', metadata: {} } });
    sub.push({ a: { value: '2', version: '2', metadata: { m: 'n' } } });
    expect(await it.next()).toEqual({ value: { id: 'sub-1', items: { a: { value: '1', version: '1', metadata: {} } } }, done: false });
    expect(await it.next()).toEqual({ value: { id: 'sub-1', items: { a: { value: '2', version: '2', metadata: { m: 'n' } } } }, done: false });
    expect(await client.unsubscribe({ storeName: 'cfg', id: 'sub-1' }, ctx)).toEqual({ ok: true, message: '' });
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(await client.unsubscribe({ storeName: 'cfg', id: 'sub-1' }, ctx)).toEqual({
      ok: false,
      message: 'failed to unsubscribe to configuration request sub-1: subscription with id sub-1 does not exist',
    });
  });

  it('a consumer that stops, or whose signal aborts, ends the subscription in the service', async () => {
    for await (const r of client.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)) {
      expect(r.id).toBe('sub-1');
      break;
    }
    await until(() => api.subs[0]?.stopped === true, 'the first subscription to stop');
    const ac = new AbortController();
    const it = client.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, { ...ctx, signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    ac.abort();
    await expect(it.next()).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_SUBSCRIBE', grpcCode: GrpcCode.CANCELLED });
    await until(() => api.subs[1]?.stopped === true, 'the second subscription to stop');
  });

  it('a service shutting down fails open subscriptions retryably, worded as the block would', async () => {
    const it = client.subscribe({ storeName: 'cfg', keys: ['a', 'b'], metadata: {} }, ctx)[Symbol.asyncIterator]();
    await it.next();
    await server.close(5000);
    const e = await it.next().then(
      () => undefined,
      (x: unknown) => (isApiError(x) ? x : undefined),
    );
    expect([e?.code, e?.message, e?.grpcCode, e?.retryable]).toEqual([
      'ERR_CONFIGURATION_SUBSCRIBE',
      'failed to subscribe [a b] from Configuration store cfg: configuration-svc is shutting down',
      GrpcCode.UNAVAILABLE,
      true,
    ]);
    expect(api.subs[0]?.stopped).toBe(true);
  });

  it('listComponents crosses with the caller app id', async () => {
    expect(await client.listComponents(ctx)).toEqual([{ name: 'cfg', type: 'configuration.redis', version: 'v1', capabilities: [] }]);
    expect(api.seen.at(-1)?.appId).toBe('orders');
  });

  it('an unreachable configuration-svc reads like the block failing the operation', async () => {
    const dead = new ConfigurationTransportClient(`127.0.0.1:${await freePort()}`);
    try {
      const e = await dead.get({ storeName: 'cfg', keys: ['a'], metadata: {} }, ctx).then(() => undefined as never, (x: unknown) => x as ApiError);
      expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_CONFIGURATION_GET', GrpcCode.UNAVAILABLE, true]);
      expect(e.message).toMatch(/^failed to get \[a\] from Configuration store cfg: configuration-svc at 127\.0\.0\.1:\d+ is unreachable: /);
      const it = dead.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)[Symbol.asyncIterator]();
      await expect(it.next()).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_SUBSCRIBE', grpcCode: GrpcCode.UNAVAILABLE });
    } finally {
      await dead.close();
    }
  });
});
