// BindingsTransportClient -> BindingsTransportServer over loopback, with a fake in-memory
// BindingsApi behind the server: invoke, listInputBindings and listComponents cross intact with
// the caller's identity; the block's ApiErrors (details included) arrive unchanged; a reader
// streams its id then the events; settle reaches the service on the stream's own connection; a
// consumer that stops (break or ctx.signal) makes the service's iterator return; a service that
// ends the stream ends the loop; a lost connection or a service shutting down fails the loop
// retryably.
import { ApiError, BindingsErrors, errorInfo, GrpcCode, isApiError, resourceInfo } from '@tessera/contracts';
import type {
  BindingDelivery,
  BindingsApi,
  CallContext,
  InputBindingInfo,
  InvokeBindingRequest,
  InvokeBindingResponse,
  ReadBindingRequest,
  RegisteredComponent,
  SettleBindingEventRequest,
} from '@tessera/contracts';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { BindingsTransportClient, BindingsTransportServer } from './index';

const ctx: CallContext = { appId: 'orders', namespace: 'prod' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** One reader the fake opened: push() delivers an event, end() completes the stream. */
class FakeReader implements AsyncIterator<BindingDelivery> {
  readonly queue: BindingDelivery[] = [];
  returned = false;
  ended = false;
  private started = false;
  private waiter: ((r: IteratorResult<BindingDelivery>) => void) | undefined;
  private seq = 0;

  constructor(
    readonly id: string,
    readonly req: ReadBindingRequest,
    readonly ctx: CallContext,
  ) {}

  push(data: string, metadata: Record<string, string> = {}): string {
    const d: BindingDelivery = { readerId: this.id, deliveryId: `${this.id}-e${++this.seq}`, data: Buffer.from(data), metadata, contentType: 'application/json' };
    this.queue.push(d);
    this.wake();
    return d.deliveryId;
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  next(): Promise<IteratorResult<BindingDelivery>> {
    if (!this.started) {
      this.started = true;
      return Promise.resolve({ value: { readerId: this.id, deliveryId: '', data: Buffer.alloc(0), metadata: {}, contentType: '' }, done: false });
    }
    const d = this.queue.shift();
    if (d !== undefined) return Promise.resolve({ value: d, done: false });
    if (this.ended || this.returned) return Promise.resolve({ value: undefined, done: true });
    return new Promise((r) => (this.waiter = r));
  }

  return(): Promise<IteratorResult<BindingDelivery>> {
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

class FakeBindingsApi implements BindingsApi {
  readonly invoked: Array<{ req: InvokeBindingRequest; ctx: CallContext }> = [];
  readonly settled: Array<{ req: SettleBindingEventRequest; ctx: CallContext }> = [];
  readonly readers: FakeReader[] = [];
  readonly seen: CallContext[] = [];
  error: ApiError | undefined;

  async invoke(req: InvokeBindingRequest, c: CallContext): Promise<InvokeBindingResponse> {
    if (this.error) throw this.error;
    this.invoked.push({ req, ctx: c });
    return { data: Buffer.concat([Buffer.from('echo:'), req.data]), metadata: { operation: req.operation } };
  }

  async listInputBindings(c: CallContext): Promise<InputBindingInfo[]> {
    this.seen.push(c);
    return [
      { name: 'cron', route: '/cron' },
      { name: 'queue', route: 'queue' },
    ];
  }

  read(req: ReadBindingRequest, c: CallContext): AsyncIterable<BindingDelivery> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<BindingDelivery> => {
        if (this.error) {
          const e = this.error;
          return { next: () => Promise.reject(e) };
        }
        const r = new FakeReader(`reader-${this.readers.length + 1}`, req, c);
        this.readers.push(r);
        return r;
      },
    };
  }

  async settle(req: SettleBindingEventRequest, c: CallContext): Promise<void> {
    this.settled.push({ req, ctx: c });
  }

  async listComponents(c: CallContext): Promise<RegisteredComponent[]> {
    this.seen.push(c);
    return [{ name: 'cron', type: 'bindings.cron', version: 'v1', capabilities: [] }];
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

const text = (d: BindingDelivery): string => Buffer.from(d.data).toString();

describe('bindings transport', () => {
  let api: FakeBindingsApi;
  let server: BindingsTransportServer;
  let client: BindingsTransportClient;
  let port: number;

  beforeEach(async () => {
    api = new FakeBindingsApi();
    server = new BindingsTransportServer(api);
    ({ port } = await server.listen('127.0.0.1', 0));
    client = new BindingsTransportClient(`127.0.0.1:${port}`);
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  it('invoke: the request, its bytes and the caller identity cross; the response comes back', async () => {
    const req: InvokeBindingRequest = { name: 'http', data: Buffer.from([0, 1, 2, 255]), metadata: { path: '/x' }, operation: 'post' };
    const res = await client.invoke(req, ctx);
    expect(res).toEqual({ data: Buffer.from([...Buffer.from('echo:'), 0, 1, 2, 255]), metadata: { operation: 'post' } });
    expect(api.invoked[0]?.req).toEqual(req);
    expect(api.invoked[0]?.ctx).toMatchObject({ appId: 'orders', namespace: 'prod' });
  });

  it('listInputBindings and listComponents cross with the caller app id', async () => {
    expect(await client.listInputBindings(ctx)).toEqual([
      { name: 'cron', route: '/cron' },
      { name: 'queue', route: 'queue' },
    ]);
    expect(await client.listComponents(ctx)).toEqual([{ name: 'cron', type: 'bindings.cron', version: 'v1', capabilities: [] }]);
    expect(api.seen.map((c) => c.appId)).toEqual(['orders', 'orders']);
  });

  it("the block's errors arrive unchanged, details included (invoke, read)", async () => {
    api.error = BindingsErrors.notFound('nope');
    const e = await failureOf(client.invoke({ name: 'nope', data: Buffer.alloc(0), metadata: {}, operation: 'create' }, ctx));
    expect(e.toJSON()).toEqual(BindingsErrors.notFound('nope').toJSON());
    expect([e.code, e.message, e.httpStatus, e.grpcCode, e.retryable]).toEqual([
      'ERR_INVOKE_OUTPUT_BINDING',
      "error invoking output binding nope: couldn't find output binding nope",
      500,
      GrpcCode.INTERNAL,
      false,
    ]);
    api.error = new ApiError({
      code: 'ERR_INVOKE_OUTPUT_BINDING',
      message: 'input binding cron is not readable by app orders',
      httpStatus: 403,
      grpcCode: GrpcCode.PERMISSION_DENIED,
      details: [errorInfo('DAPR_BINDING_FORBIDDEN', { appID: 'orders' }), resourceInfo('bindings', 'cron')],
    });
    const r = await failureOf(client.read({ name: 'cron' }, ctx)[Symbol.asyncIterator]().next());
    expect([r.toJSON(), r.details]).toEqual([api.error.toJSON(), api.error.details]);
    expect(r.details).toHaveLength(2);
    expect(api.readers).toHaveLength(0);
  });

  it('read: the reader id first, then each event; settle reaches the service with ids, verdict and error on the same connection', async () => {
    const it = client.read({ name: 'queue' }, ctx)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ readerId: 'reader-1', deliveryId: '' });
    const reader = api.readers[0] as FakeReader;
    expect(reader.req).toEqual({ name: 'queue' });
    expect(reader.ctx).toMatchObject({ appId: 'orders', namespace: 'prod' });
    const e1 = reader.push('{"n":1}', { ttl: '5' });
    const e2 = reader.push('{"n":2}');
    const d1 = (await it.next()).value as BindingDelivery;
    expect(d1).toMatchObject({ readerId: 'reader-1', deliveryId: e1, metadata: { ttl: '5' }, contentType: 'application/json' });
    expect(text(d1)).toBe('{"n":1}');
    await client.settle({ readerId: 'reader-1', deliveryId: e1, ok: true, error: '' }, ctx);
    expect(text((await it.next()).value as BindingDelivery)).toBe('{"n":2}');
    await client.settle({ readerId: 'reader-1', deliveryId: e2, ok: false, error: 'app answered 500' }, ctx);
    expect(api.settled.map((s) => s.req)).toEqual([
      { readerId: 'reader-1', deliveryId: e1, ok: true, error: '' },
      { readerId: 'reader-1', deliveryId: e2, ok: false, error: 'app answered 500' },
    ]);
    expect(api.settled[1]?.ctx.appId).toBe('orders');
    expect(server.acceptedConnections).toBe(1);
    expect(reader.returned).toBe(false);
    await it.return?.();
  });

  it('the service ending the stream ends the loop', async () => {
    const got: string[] = [];
    const loop = (async () => {
      for await (const d of client.read({ name: 'cron' }, ctx)) got.push(d.deliveryId === '' ? `id:${d.readerId}` : text(d));
    })();
    await until(() => api.readers.length === 1, 'the reader');
    const reader = api.readers[0] as FakeReader;
    reader.push('tick 1');
    reader.push('tick 2');
    reader.end();
    await loop;
    expect(got).toEqual(['id:reader-1', 'tick 1', 'tick 2']);
  });

  it("a consumer that breaks out of the loop ends the service's iteration (return() is called)", async () => {
    for await (const d of client.read({ name: 'cron' }, ctx)) {
      expect(d.readerId).toBe('reader-1');
      break;
    }
    await until(() => api.readers[0]?.returned === true, "the service's iterator to return");
  });

  it("an aborted ctx.signal fails the loop as cancelled and ends the service's iteration", async () => {
    const ac = new AbortController();
    const it = client.read({ name: 'cron' }, { ...ctx, signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    const reader = api.readers[0] as FakeReader;
    const pending = it.next();
    ac.abort();
    const e = await failureOf(pending);
    expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_INTERNAL', GrpcCode.CANCELLED, false]);
    expect(e.message).toBe('failed reading input binding cron: context canceled');
    await until(() => reader.returned, "the service's iterator to return");
    expect(reader.ctx.signal?.aborted).toBe(true);
  });

  it('a lost connection fails the loop with a retryable UNAVAILABLE error after the events received', async () => {
    // the client talks through a TCP proxy; destroying it is the connection to bindings-svc breaking
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
    const viaProxy = new BindingsTransportClient(`127.0.0.1:${proxyPort}`);
    try {
      const got: string[] = [];
      let error: unknown;
      const loop = (async () => {
        try {
          for await (const d of viaProxy.read({ name: 'queue' }, ctx)) got.push(text(d));
        } catch (e) {
          error = e;
        }
      })();
      await until(() => api.readers.length === 1, 'the reader');
      const reader = api.readers[0] as FakeReader;
      reader.push('before');
      await until(() => got.length === 2, 'the first event');
      for (const s of proxySockets) s.destroy();
      await loop;
      expect(got).toEqual(['', 'before']);
      expect(isApiError(error)).toBe(true);
      const e = error as ApiError;
      expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_INTERNAL', GrpcCode.UNAVAILABLE, true]);
      expect(e.message).toMatch(new RegExp(`^failed reading input binding queue: bindings-svc at 127\\.0\\.0\\.1:${proxyPort} is unreachable: `));
      await until(() => reader.returned, "the service's iterator to return after the disconnect");
    } finally {
      await viaProxy.close();
      proxy.close();
    }
  });

  it('a service shutting down fails open readers retryably', async () => {
    const it = client.read({ name: 'cron' }, ctx)[Symbol.asyncIterator]();
    await it.next();
    await server.close(5000);
    const e = await failureOf(it.next());
    expect([e.code, e.message, e.grpcCode, e.retryable]).toEqual([
      'ERR_INTERNAL',
      'failed reading input binding cron: bindings-svc is shutting down',
      GrpcCode.UNAVAILABLE,
      true,
    ]);
    expect(api.readers[0]?.returned).toBe(true);
  });

  it('an unreachable bindings-svc reads like the block failing the operation', async () => {
    const dead = new BindingsTransportClient(`127.0.0.1:${await freePort()}`);
    try {
      const e = await failureOf(dead.invoke({ name: 'http', data: Buffer.alloc(0), metadata: {}, operation: 'get' }, ctx));
      expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_INVOKE_OUTPUT_BINDING', GrpcCode.UNAVAILABLE, true]);
      expect(e.message).toMatch(/^error invoking output binding http: bindings-svc at 127\.0\.0\.1:\d+ is unreachable: /);
      const s = await failureOf(dead.settle({ readerId: 'r', deliveryId: 'd', ok: true, error: '' }, ctx));
      expect([s.code, s.grpcCode]).toEqual(['ERR_INTERNAL', GrpcCode.UNAVAILABLE]);
    } finally {
      await dead.close();
    }
  });
});
