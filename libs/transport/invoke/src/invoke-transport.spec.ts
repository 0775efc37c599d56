// InvokeTransportClient -> InvokeTransportServer over loopback, against a fake LocalInvokeApi:
// byte-exact round trips of Dapr's internal invocation messages, the caller identity the callee
// sees, errors both ways, reconnection after the remote gateway restarts, and the per-address
// connection pool (reuse, idle close, close()).
import {
  ApiError,
  GrpcCode,
  HTTPExtension_Verb,
  InternalInvokeRequest,
  InternalInvokeResponse,
  InvokeErrors,
  isApiError,
} from '@tessera/contracts';
import { GRPC_PROXY_CONTENT_TYPE, proxyStreamOf, withProxyStream } from '@tessera/contracts';
import type { CallContext, CallerIdentity, GrpcProxyFrame, LocalInvokeApi } from '@tessera/contracts';
import { createServer } from 'node:net';
import { InvokeTransportClient, InvokeTransportServer } from './index';

/** Not valid UTF-8, with NULs: must come back exactly. */
const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x80, 0x00]);

type Handler = (req: InternalInvokeRequest, caller: CallerIdentity, ctx: CallContext) => Promise<InternalInvokeResponse>;

const okResponse = (body: Buffer = BINARY): InternalInvokeResponse => ({
  status: { code: 200, message: 'OK', details: [] },
  headers: { 'content-type': { values: ['application/octet-stream'] } },
  trailers: {},
  message: { data: { typeUrl: '', value: body }, contentType: 'application/octet-stream' },
});

type StreamHandler = (req: InternalInvokeRequest, input: AsyncIterable<Uint8Array>, ctx: CallContext) => AsyncIterable<GrpcProxyFrame>;

class FakeLocalInvokeApi implements LocalInvokeApi {
  readonly calls: Array<{ req: InternalInvokeRequest; caller: CallerIdentity; ctx: CallContext }> = [];
  handler: Handler = async () => okResponse();
  /** Default: echo each input message back, upper-cased, between headers and an OK status. */
  streamHandler: StreamHandler = async function* (_req, input) {
    yield { kind: { $case: 'headers', value: { metadata: { 'x-h': { values: ['1'] } } } } };
    for await (const m of input) yield { kind: { $case: 'message', value: Buffer.from(Buffer.from(m).toString().toUpperCase()) } };
    yield { kind: { $case: 'status', value: { code: 0, message: '', trailers: { 'x-t': { values: ['2'] } } } } };
  };
  callLocal(req: InternalInvokeRequest, caller: CallerIdentity, ctx: CallContext): Promise<InternalInvokeResponse> {
    this.calls.push({ req, caller, ctx });
    return this.handler(req, caller, ctx);
  }
  callLocalStream(req: InternalInvokeRequest, caller: CallerIdentity, input: AsyncIterable<Uint8Array>, ctx: CallContext): AsyncIterable<GrpcProxyFrame> {
    this.calls.push({ req, caller, ctx });
    return this.streamHandler(req, input, ctx);
  }
}

function proxyRequest(path = '/test.Echo/Chat'): InternalInvokeRequest {
  return {
    ver: 1,
    metadata: { 'x-custom': { values: ['yes'] }, 'x-bin': { values: [BINARY.toString('base64')] } },
    message: { method: path, data: undefined, contentType: GRPC_PROXY_CONTENT_TYPE, httpExtension: { verb: HTTPExtension_Verb.NONE, querystring: '' } },
    actor: undefined,
  };
}

async function* messages(...texts: string[]): AsyncGenerator<Uint8Array> {
  for (const t of texts) yield Buffer.from(t);
}

/** Frames as readable tuples: ['headers', {...}], ['message', 'text'], ['status', code, message, trailers]. */
function readable(f: GrpcProxyFrame): unknown[] {
  const k = f.kind;
  if (k?.$case === 'headers') return ['headers', k.value.metadata];
  if (k?.$case === 'message') return ['message', k.value.toString()];
  if (k?.$case === 'status') return ['status', k.value.code, k.value.message, k.value.trailers];
  return ['?'];
}

async function collectFrames(it: AsyncIterable<GrpcProxyFrame>): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const f of it) out.push(readable(f));
  return out;
}

function request(method = 'orders/42', body: Buffer = BINARY): InternalInvokeRequest {
  return {
    ver: 1,
    metadata: {
      'x-multi': { values: ['a', 'b', ''] },
      'content-type': { values: ['application/octet-stream'] },
      traceparent: { values: ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'] },
    },
    message: {
      method,
      data: { typeUrl: '', value: body },
      contentType: 'application/octet-stream',
      httpExtension: { verb: HTTPExtension_Verb.POST, querystring: 'a=1&a=2&b=%C3%A9' },
    },
    actor: undefined,
  };
}

const ctx: CallContext = { appId: 'caller-app', namespace: 'prod', trustDomain: 'corp.example' };

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('invoke transport', () => {
  let api: FakeLocalInvokeApi;
  let server: InvokeTransportServer;
  let client: InvokeTransportClient;
  let address: string;
  let port: number;

  beforeEach(async () => {
    api = new FakeLocalInvokeApi();
    server = new InvokeTransportServer(api);
    ({ port } = await server.listen('127.0.0.1', 0));
    address = `127.0.0.1:${port}`;
    client = new InvokeTransportClient();
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  describe('round trip', () => {
    it('request and response byte-exact: binary bodies, multi-valued metadata, headers and trailers', async () => {
      const resp: InternalInvokeResponse = {
        status: { code: 201, message: 'Created', details: [{ typeUrl: 'type.googleapis.com/x.Y', value: BINARY }] },
        headers: { 'set-cookie': { values: ['a=1', 'b=2'] }, 'x-empty': { values: [] } },
        trailers: { 'grpc-status': { values: ['0'] } },
        message: { data: { typeUrl: 'type.googleapis.com/google.protobuf.BytesValue', value: BINARY }, contentType: 'application/x-binary' },
      };
      api.handler = async () => resp;
      const req = request();
      const res = await client.callLocal(address, req, ctx, 'callee');
      const got = api.calls[0]?.req;
      expect(got).toEqual(req);
      expect(Buffer.from(InternalInvokeRequest.encode(got as InternalInvokeRequest).finish())).toEqual(Buffer.from(InternalInvokeRequest.encode(req).finish()));
      expect(Buffer.compare(got?.message?.data?.value ?? Buffer.alloc(0), BINARY)).toBe(0);
      expect(got?.metadata['x-multi']?.values).toEqual(['a', 'b', '']);
      expect(Buffer.from(InternalInvokeResponse.encode(res).finish())).toEqual(Buffer.from(InternalInvokeResponse.encode(resp).finish()));
      expect(Buffer.compare(res.message?.data?.value ?? Buffer.alloc(0), BINARY)).toBe(0);
      expect(res.headers['set-cookie']?.values).toEqual(['a=1', 'b=2']);
      expect(res.status).toEqual(resp.status);
    });

    it('a non-2xx app answer is a response, not an error', async () => {
      api.handler = async () => ({ ...okResponse(Buffer.from('{"error":"nope"}')), status: { code: 404, message: 'Not Found', details: [] } });
      const res = await client.callLocal(address, request(), ctx);
      expect(res.status?.code).toBe(404);
      expect(res.message?.data?.value.toString()).toBe('{"error":"nope"}');
    });

    it('an empty body and a 4 MiB body', async () => {
      const big = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 131) & 0xff;
      api.handler = async (r) => okResponse(r.message?.data?.value ?? Buffer.alloc(0));
      const [a, b] = await Promise.all([
        client.callLocal(address, request('empty', Buffer.alloc(0)), ctx),
        client.callLocal(address, request('big', big), ctx),
      ]);
      expect(a.message?.data?.value.length).toBe(0);
      expect(Buffer.compare(b.message?.data?.value ?? Buffer.alloc(0), big)).toBe(0);
    });
  });

  describe('caller identity', () => {
    it('app id, namespace and trust domain of the caller, also in ctx', async () => {
      await client.callLocal(address, request(), { ...ctx, traceparent: '00-1-2-01' });
      const c = api.calls[0];
      expect(c?.caller).toEqual({ appId: 'caller-app', namespace: 'prod', trustDomain: 'corp.example' });
      expect(c?.ctx).toMatchObject({ appId: 'caller-app', namespace: 'prod', trustDomain: 'corp.example', traceparent: '00-1-2-01' });
    });

    it("no trust domain is Dapr's default, 'public'", async () => {
      await client.callLocal(address, request(), { appId: 'a', namespace: '' });
      expect(api.calls[0]?.caller).toEqual({ appId: 'a', namespace: '', trustDomain: 'public' });
      expect(api.calls[0]?.ctx.trustDomain).toBeUndefined();
    });

    it('the deadline reaches the callee as a deadline and an AbortSignal', async () => {
      await client.callLocal(address, request(), { ...ctx, deadline: Date.now() + 5000 });
      const c = api.calls[0]?.ctx;
      expect(c?.deadline).toBeGreaterThan(Date.now() + 4000);
      expect(c?.signal?.aborted).toBe(false);
    });
  });

  describe('errors', () => {
    it("the callee's ApiError crosses intact (access denied)", async () => {
      const denied = InvokeErrors.denied('caller-app', '/orders/42', 'POST');
      api.handler = async () => {
        throw denied;
      };
      const e = await rejection(client.callLocal(address, request(), ctx));
      expect([e.code, e.message, e.httpStatus, e.grpcCode, e.retryable]).toEqual([
        'ERR_DIRECT_INVOKE',
        denied.message,
        403,
        GrpcCode.PERMISSION_DENIED,
        false,
      ]);
    });

    it('any other failure of the callee is ERR_INTERNAL, reported there', async () => {
      const seen: Array<[unknown, string]> = [];
      const reporting = new InvokeTransportServer(api, { onInternalError: (err, m) => seen.push([err, m]) });
      const { port: p2 } = await reporting.listen('127.0.0.1', 0);
      try {
        const boom = new Error('app channel exploded');
        api.handler = async () => {
          throw boom;
        };
        const e = await rejection(client.callLocal(`127.0.0.1:${p2}`, request(), ctx));
        expect([e.code, e.message, e.grpcCode]).toEqual(['ERR_INTERNAL', 'gateway failed to serve CallLocal: app channel exploded', GrpcCode.INTERNAL]);
        expect(seen).toEqual([[boom, 'CallLocal']]);
      } finally {
        await client.close();
        await reporting.close(0);
      }
    });

    it('a gateway that cannot be reached: ERR_DIRECT_INVOKE, UNAVAILABLE, retryable', async () => {
      const dead = `127.0.0.1:${await freePort()}`;
      const e = await rejection(client.callLocal(dead, request(), ctx, 'target-app'));
      expect(isApiError(e)).toBe(true);
      expect([e.code, e.httpStatus, e.grpcCode, e.retryable]).toEqual(['ERR_DIRECT_INVOKE', 500, GrpcCode.UNAVAILABLE, true]);
      expect(e.message).toMatch(new RegExp(`^failed to invoke, id: target-app, err: gateway at ${dead} is unreachable: .*ECONNREFUSED`));
      // without a target app id, the address names the target
      const e2 = await rejection(client.callLocal(dead, request(), ctx));
      expect(e2.message).toMatch(new RegExp(`^failed to invoke, id: ${dead}, err: gateway at ${dead} is unreachable: `));
      expect(e2.grpcCode).toBe(GrpcCode.UNAVAILABLE);
    });

    it('a deadline that passes: ERR_DIRECT_INVOKE, DEADLINE_EXCEEDED; the callee is aborted', async () => {
      let aborted: unknown;
      api.handler = (_r, _c, c) =>
        new Promise(() => c.signal?.addEventListener('abort', () => (aborted = c.signal?.reason), { once: true }));
      const e = await rejection(client.callLocal(address, request(), { ...ctx, deadline: Date.now() + 80 }, 'callee'));
      expect([e.code, e.message, e.grpcCode, e.retryable]).toEqual([
        'ERR_DIRECT_INVOKE',
        'failed to invoke, id: callee, err: context deadline exceeded',
        GrpcCode.DEADLINE_EXCEEDED,
        true,
      ]);
      await until(() => aborted !== undefined);
      expect(isApiError(aborted) && aborted.grpcCode).toBe(GrpcCode.DEADLINE_EXCEEDED);
    });

    it('an invalid address is refused without a connection', async () => {
      const e = await rejection(client.callLocal('no-port', request(), ctx, 'x'));
      expect([e.code, e.retryable]).toEqual(['ERR_DIRECT_INVOKE', false]);
      expect(e.message).toBe("failed to invoke, id: x, err: invalid gateway address 'no-port', expected host:port");
      expect(client.size).toBe(0);
    });
  });

  describe('connection pool', () => {
    it('100 calls to one gateway share one connection', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => client.callLocal(address, request(`m${i}`), ctx)));
      for (let i = 50; i < 100; i++) await client.callLocal(address, request(`m${i}`), ctx);
      expect(api.calls).toHaveLength(100);
      expect(server.acceptedConnections).toBe(1);
      expect(server.openConnections).toBe(1);
      expect(client.size).toBe(1);
      expect(client.connectionsOpened(address)).toBe(1);
    });

    it('one connection per remote address', async () => {
      const api2 = new FakeLocalInvokeApi();
      const server2 = new InvokeTransportServer(api2);
      const { port: port2 } = await server2.listen('127.0.0.1', 0);
      try {
        const a2 = `127.0.0.1:${port2}`;
        await Promise.all(Array.from({ length: 20 }, (_, i) => client.callLocal(i % 2 ? address : a2, request(), ctx)));
        expect([api.calls.length, api2.calls.length]).toEqual([10, 10]);
        expect([server.acceptedConnections, server2.acceptedConnections, client.size]).toEqual([1, 1, 2]);
      } finally {
        await client.close();
        await server2.close(0);
      }
    });

    it('reconnects by itself after the remote gateway restarts on the same port', async () => {
      await client.callLocal(address, request(), ctx);
      await server.close(0);
      const down = await rejection(client.callLocal(address, request(), ctx, 'callee'));
      expect([down.code, down.grpcCode, down.retryable]).toEqual(['ERR_DIRECT_INVOKE', GrpcCode.UNAVAILABLE, true]);

      api = new FakeLocalInvokeApi();
      server = new InvokeTransportServer(api);
      await server.listen('127.0.0.1', port);
      const t0 = Date.now();
      let res: InternalInvokeResponse | undefined;
      while (res === undefined && Date.now() - t0 < 3000) {
        res = await client.callLocal(address, request(), ctx).catch(() => sleep(20).then(() => undefined));
      }
      expect(res?.status?.code).toBe(200);
      expect(Date.now() - t0).toBeLessThan(2500);
      expect(client.size).toBe(1);
      expect(client.connectionsOpened(address)).toBe(2);
      expect(server.acceptedConnections).toBe(1);
    });

    it('an idle connection is closed; the next call opens a new one', async () => {
      await client.close();
      client = new InvokeTransportClient({ idleTimeoutMs: 100 });
      await client.callLocal(address, request(), ctx);
      expect(server.openConnections).toBe(1);
      await until(() => client.size === 0 && server.openConnections === 0, 1000);
      await client.callLocal(address, request(), ctx);
      expect([client.size, server.acceptedConnections]).toEqual([1, 2]);
    });

    it('a connection with a call in flight is not idle', async () => {
      await client.close();
      client = new InvokeTransportClient({ idleTimeoutMs: 50 });
      let release!: () => void;
      api.handler = () => new Promise((r) => (release = () => r(okResponse())));
      const p = client.callLocal(address, request(), ctx);
      await sleep(200);
      expect(client.size).toBe(1);
      release();
      await expect(p).resolves.toMatchObject({ status: { code: 200 } });
      expect(server.acceptedConnections).toBe(1);
    });

    it('close() closes every connection and fails what is in flight; later calls fail at once', async () => {
      api.handler = () => new Promise(() => undefined);
      const p = rejection(client.callLocal(address, request(), ctx, 'callee'));
      await until(() => api.calls.length === 1);
      await client.close();
      const e = await p;
      expect([e.code, e.grpcCode]).toEqual(['ERR_DIRECT_INVOKE', GrpcCode.UNAVAILABLE]);
      expect(e.message).toBe(`failed to invoke, id: callee, err: gateway at ${address} is unreachable: the client is closed`);
      await until(() => server.openConnections === 0);
      expect(client.size).toBe(0);
      const later = await rejection(client.callLocal(address, request(), ctx, 'callee'));
      expect(later.message).toContain('the client is closed');
      expect(api.calls).toHaveLength(1);
    });
  });

  describe('proxied gRPC streams', () => {
    it('ProxyStream: the opening request and the caller identity reach the callee; every message goes both ways in order with headers and status', async () => {
      const frames = await collectFrames(client.proxyStream(address, proxyRequest(), messages('a', 'b', 'c'), ctx, 'callee'));
      expect(frames).toEqual([
        ['headers', { 'x-h': { values: ['1'] } }],
        ['message', 'A'],
        ['message', 'B'],
        ['message', 'C'],
        ['status', 0, '', { 'x-t': { values: ['2'] } }],
      ]);
      expect(api.calls[0]?.req).toEqual(proxyRequest());
      expect(api.calls[0]?.caller).toEqual({ appId: 'caller-app', namespace: 'prod', trustDomain: 'corp.example' });
    });

    it('binary messages and a 1 MiB message cross unchanged', async () => {
      const big = Buffer.alloc(1024 * 1024, 7);
      const seen: Buffer[] = [];
      api.streamHandler = async function* (_req, input) {
        for await (const m of input) {
          seen.push(Buffer.from(m));
          yield { kind: { $case: 'message', value: Buffer.from(m) } };
        }
      };
      async function* input(): AsyncGenerator<Uint8Array> {
        yield BINARY;
        yield big;
        yield Buffer.alloc(0);
      }
      const out: Buffer[] = [];
      for await (const f of client.proxyStream(address, proxyRequest(), input(), ctx)) if (f.kind?.$case === 'message') out.push(f.kind.value);
      expect(seen.map((b) => b.length)).toEqual([BINARY.length, big.length, 0]);
      expect(Buffer.compare(seen[0] as Buffer, BINARY)).toBe(0);
      expect(out.map((b) => b.length)).toEqual([BINARY.length, big.length, 0]);
      expect(Buffer.compare(out[1] as Buffer, big)).toBe(0);
    });

    it("the callee's ApiError (access denied) arrives intact; a callee without stream support answers UNIMPLEMENTED", async () => {
      const denied = InvokeErrors.denied('caller-app', '/test.Echo/Chat', '');
      api.streamHandler = () => {
        throw denied;
      };
      let error: unknown;
      try {
        await collectFrames(client.proxyStream(address, proxyRequest(), messages('x'), ctx, 'callee'));
      } catch (e) {
        error = e;
      }
      expect(isApiError(error) && error.toJSON()).toEqual(denied.toJSON());

      const plain: LocalInvokeApi = { callLocal: async () => okResponse() };
      const other = new InvokeTransportServer(plain);
      const { port: p2 } = await other.listen('127.0.0.1', 0);
      try {
        await collectFrames(client.proxyStream(`127.0.0.1:${p2}`, proxyRequest(), messages('x'), ctx, 'callee'));
        error = undefined;
      } catch (e) {
        error = e;
      }
      expect(isApiError(error) && [error.code, error.grpcCode]).toEqual(['ERR_DIRECT_INVOKE', GrpcCode.UNIMPLEMENTED]);
      await other.close(0);
    });

    it('an unreachable gateway fails the stream as ERR_DIRECT_INVOKE UNAVAILABLE, retryable', async () => {
      const dead = `127.0.0.1:${await freePort()}`;
      let error: ApiError | undefined;
      try {
        await collectFrames(client.proxyStream(dead, proxyRequest(), messages('x'), ctx, 'callee'));
      } catch (e) {
        error = e as ApiError;
      }
      expect([error?.code, error?.grpcCode, error?.retryable]).toEqual(['ERR_DIRECT_INVOKE', GrpcCode.UNAVAILABLE, true]);
      expect(error?.message).toMatch(/^failed to invoke, id: callee, err: gateway at 127\.0\.0\.1:\d+ is unreachable: /);
    });

    it("the caller's abort reaches the callee's stream as its signal", async () => {
      let calleeSignal: AbortSignal | undefined;
      api.streamHandler = async function* (_req, input, c) {
        calleeSignal = c.signal;
        for await (const m of input) yield { kind: { $case: 'message', value: Buffer.from(m) } };
      };
      const ac = new AbortController();
      let release!: () => void;
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('first');
        await new Promise<void>((r) => (release = r));
      }
      const it = client.proxyStream(address, proxyRequest(), slow(), { ...ctx, signal: ac.signal })[Symbol.asyncIterator]();
      await expect(it.next()).resolves.toMatchObject({ value: { kind: { $case: 'message' } } });
      ac.abort();
      await expect(it.next()).rejects.toMatchObject({ grpcCode: GrpcCode.CANCELLED });
      await until(() => calleeSignal?.aborted === true);
      release();
    });

    it('CallLocal: an answer that carries a stream is upgraded; the caller gets the head and the rest in order', async () => {
      api.handler = async () =>
        withProxyStream(
          { status: { code: 0, message: '', details: [] }, headers: {}, trailers: {}, message: undefined },
          (async function* (): AsyncGenerator<GrpcProxyFrame> {
            yield { kind: { $case: 'headers', value: { metadata: {} } } };
            for (let i = 1; i <= 100; i++) yield { kind: { $case: 'message', value: Buffer.from(`m${i}`) } };
            yield { kind: { $case: 'status', value: { code: 0, message: '', trailers: {} } } };
          })(),
        );
      const res = await client.callLocal(address, request('/test.Echo/Stream'), ctx, 'callee');
      expect(res.status?.code).toBe(0);
      const rest = proxyStreamOf(res);
      expect(rest).toBeDefined();
      const frames = await collectFrames(rest as AsyncIterable<GrpcProxyFrame>);
      expect(frames).toHaveLength(102);
      expect(frames[1]).toEqual(['message', 'm1']);
      expect(frames[100]).toEqual(['message', 'm100']);
      expect(frames[101]?.[0]).toBe('status');
      // a plain answer is not upgraded
      api.handler = async () => okResponse();
      expect(proxyStreamOf(await client.callLocal(address, request(), ctx))).toBeUndefined();
    });
  });
});
