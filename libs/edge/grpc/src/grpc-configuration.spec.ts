// Get/Subscribe/UnsubscribeConfiguration (+Alpha1) on the gRPC edge over a real @grpc/grpc-js
// client: requests pass through to ConfigurationApi, the subscription is a server stream whose
// first message carries only the id, a client that cancels stops the API's iteration, close()
// ends open streams, errors carry Dapr's codes, and without a configuration block the RPCs answer
// UNIMPLEMENTED naming it.
import * as grpc from '@grpc/grpc-js';
import { ConfigurationErrors, DaprClient } from '@tessera/contracts';
import type {
  CallContext,
  ConfigurationApi,
  MetadataApi,
  RuntimeLifecycle,
  StateApi,
  SubscribeConfigurationRequest,
  SubscribeConfigurationResponse,
} from '@tessera/contracts';
import { GrpcEdge } from './grpc-edge';

type Client = InstanceType<typeof DaprClient>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

interface Open {
  req: SubscribeConfigurationRequest;
  ctx: CallContext;
  push(items: SubscribeConfigurationResponse['items']): void;
  returned: boolean;
}

const opened: Open[] = [];
const configuration: ConfigurationApi = {
  async get(req) {
    if (req.storeName !== 'cfg') throw ConfigurationErrors.notFound(req.storeName);
    return { items: { a: { value: '1', version: '2', metadata: { m: 'x' } } } };
  },
  subscribe(req, ctx) {
    return {
      [Symbol.asyncIterator]: () => {
        const queue: SubscribeConfigurationResponse[] = [];
        let wake: (() => void) | undefined;
        let started = false;
        const o: Open = { req, ctx, returned: false, push: (items) => (queue.push({ id: 'sub-1', items }), wake?.()) };
        ctx.signal?.addEventListener('abort', () => wake?.());
        return {
          async next(): Promise<IteratorResult<SubscribeConfigurationResponse>> {
            if (!started) {
              started = true;
              if (req.storeName !== 'cfg') throw ConfigurationErrors.notFound(req.storeName);
              opened.push(o);
              return { value: { id: 'sub-1', items: {} }, done: false };
            }
            for (;;) {
              const v = queue.shift();
              if (v) return { value: v, done: false };
              if (ctx.signal?.aborted) return { value: undefined, done: true };
              await new Promise<void>((r) => (wake = r));
            }
          },
          async return(): Promise<IteratorResult<SubscribeConfigurationResponse>> {
            o.returned = true;
            return { value: undefined, done: true };
          },
        };
      },
    };
  },
  async unsubscribe(req) {
    return req.id === 'sub-1' ? { ok: true, message: '' } : { ok: false, message: `failed to unsubscribe to configuration request ${req.id}: subscription with id ${req.id} does not exist` };
  },
  listComponents: async () => [],
};

const metadata: MetadataApi = { getMetadata: async () => ({ id: 'app1', runtimeVersion: 't', enabledFeatures: [], components: [], extended: {} }), setMetadata: async () => undefined };
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: () => undefined };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };
const base = { appId: 'app1', namespace: 'ns', maxBodySize: 1 << 20, enableApiLogging: false, state: {} as StateApi, metadata, lifecycle, logger };

function call<T>(fn: (cb: (e: grpc.ServiceError | null, r: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));
}

/** Collects a server stream's messages and how it ended. */
function watch(stream: grpc.ClientReadableStream<SubscribeConfigurationResponse>) {
  const got: SubscribeConfigurationResponse[] = [];
  const s = { got, ended: false, error: undefined as grpc.ServiceError | undefined };
  stream.on('data', (m: SubscribeConfigurationResponse) => got.push(m));
  stream.on('end', () => (s.ended = true));
  stream.on('error', (e: grpc.ServiceError) => (s.error = e));
  return s;
}

describe('gRPC configuration RPCs', () => {
  let edge: GrpcEdge;
  let client: Client;

  beforeAll(async () => {
    edge = new GrpcEdge({ ...base, configuration, apiToken: 'tok' });
    client = new DaprClient(`127.0.0.1:${await edge.listen('127.0.0.1', 0)}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await edge.close();
  });

  const md = (): grpc.Metadata => {
    const m = new grpc.Metadata();
    m.set('dapr-api-token', 'tok');
    return m;
  };

  it('GetConfiguration and its Alpha1 alias pass through', async () => {
    for (const rpc of ['getConfiguration', 'getConfigurationAlpha1'] as const) {
      const res = await call((cb) => client[rpc]({ storeName: 'cfg', keys: ['a'], metadata: {} }, md(), cb));
      expect(res).toEqual({ items: { a: { value: '1', version: '2', metadata: { m: 'x' } } } });
    }
    const e = await call((cb) => client.getConfiguration({ storeName: 'nope', keys: [], metadata: {} }, md(), cb)).then(() => undefined as never, (x: grpc.ServiceError) => x);
    expect([e.code, e.details]).toEqual([grpc.status.INVALID_ARGUMENT, 'configuration store nope not found']);
  });

  it.each(['subscribeConfiguration', 'subscribeConfigurationAlpha1'] as const)('%s: first message is the id alone, then the changes; cancel stops the API', async (rpc) => {
    opened.length = 0;
    const stream = client[rpc]({ storeName: 'cfg', keys: ['a'], metadata: { k: 'v' } }, md());
    const s = watch(stream);
    await until(() => s.got.length === 1, 'the id message');
    expect(s.got[0]).toEqual({ id: 'sub-1', items: {} });
    const o = opened[0] as Open;
    expect(o.req).toEqual({ storeName: 'cfg', keys: ['a'], metadata: { k: 'v' } });
    expect(o.ctx).toMatchObject({ appId: 'app1', namespace: 'ns' });
    o.push({ a: { value: 'changed', version: '3', metadata: {} } });
    await until(() => s.got.length === 2, 'the change');
    expect(s.got[1]).toEqual({ id: 'sub-1', items: { a: { value: 'changed', version: '3', metadata: {} } } });
    stream.cancel();
    await until(() => o.ctx.signal?.aborted === true, 'the API to see the cancel');
    await until(() => edge.streams.size === 0, 'the stream to be forgotten');
  });

  it('a subscription the API refuses ends with its status', async () => {
    const s = watch(client.subscribeConfiguration({ storeName: 'nope', keys: [], metadata: {} }, md()));
    await until(() => s.error !== undefined, 'the error');
    expect([s.error?.code, s.error?.details]).toEqual([grpc.status.INVALID_ARGUMENT, 'configuration store nope not found']);
  });

  it('the API token is required on the stream too', async () => {
    const s = watch(client.subscribeConfiguration({ storeName: 'cfg', keys: [], metadata: {} }));
    await until(() => s.error !== undefined, 'the error');
    expect(s.error?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('UnsubscribeConfiguration (+Alpha1) answers {ok, message}', async () => {
    expect(await call((cb) => client.unsubscribeConfiguration({ storeName: 'cfg', id: 'sub-1' }, md(), cb))).toEqual({ ok: true, message: '' });
    expect(await call((cb) => client.unsubscribeConfigurationAlpha1({ storeName: 'cfg', id: 'x' }, md(), cb))).toEqual({
      ok: false,
      message: 'failed to unsubscribe to configuration request x: subscription with id x does not exist',
    });
  });
});

describe('gRPC configuration streams on shutdown, and without the block', () => {
  it('close() ends open subscription streams (OK) instead of waiting for them', async () => {
    opened.length = 0;
    const edge = new GrpcEdge({ ...base, configuration });
    const client: Client = new DaprClient(`127.0.0.1:${await edge.listen('127.0.0.1', 0)}`, grpc.credentials.createInsecure());
    const s = watch(client.subscribeConfiguration({ storeName: 'cfg', keys: [], metadata: {} }));
    await until(() => s.got.length === 1, 'the id message');
    const started = Date.now();
    await edge.close();
    expect(Date.now() - started).toBeLessThan(1500);
    await until(() => s.ended || s.error !== undefined, 'the stream to end');
    expect(s.error).toBeUndefined();
    expect(opened[0]?.ctx.signal?.aborted).toBe(true);
    client.close();
  });

  it('without a configuration block every configuration RPC is UNIMPLEMENTED naming it', async () => {
    const edge = new GrpcEdge(base);
    const client: Client = new DaprClient(`127.0.0.1:${await edge.listen('127.0.0.1', 0)}`, grpc.credentials.createInsecure());
    try {
      const e = await call((cb) => client.getConfiguration({ storeName: 'cfg', keys: [], metadata: {} }, cb)).then(() => undefined as never, (x: grpc.ServiceError) => x);
      expect(e.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(e.details).toContain('configuration building block');
      const s = watch(client.subscribeConfiguration({ storeName: 'cfg', keys: [], metadata: {} }));
      await until(() => s.error !== undefined, 'the error');
      expect(s.error?.code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      client.close();
      await edge.close();
    }
  });
});
