// FramedClient -> FramedServer over loopback with a tiny EchoService (echo-service.fixture.ts):
// the service-independent behaviour of the transport. StateService's suite (libs/transport/state)
// and InvokeService's (libs/transport/invoke) cover the same paths through their typed layers.
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { ApiError, ErrorStatus, FrameType, GrpcCode, Hello, isApiError, RequestHeader } from '@tessera/contracts';
import type { CallContext } from '@tessera/contracts';
import { createServer } from 'node:net';
import { ECHO_METHODS, ECHO_SERVICE, Echo, OTHER_SERVICE, UNKNOWN_METHOD } from './echo-service.fixture';
import type { EchoApi } from './echo-service.fixture';
import {
  defineMethod,
  defineService,
  FramedClient,
  FramedServer,
  FrameEncoder,
  FrameError,
  FrameReader,
  fromRequestHeader,
  methodFailure,
  toRequestHeader,
} from './index';
import type { FailureMapper } from './index';

const BINARY = Uint8Array.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0x00]);

type Handler<K extends keyof EchoApi> = EchoApi[K];

class FakeEchoApi implements EchoApi {
  readonly calls: Array<{ method: string; req: Echo; ctx: CallContext }> = [];
  echoHandler: Handler<'echo'> = async (r) => r;
  touchHandler: Handler<'touch'> = async () => undefined;
  echo(req: Echo, ctx: CallContext): Promise<Echo> {
    this.calls.push({ method: 'echo', req, ctx });
    return this.echoHandler(req, ctx);
  }
  touch(req: Echo, ctx: CallContext): Promise<void> {
    this.calls.push({ method: 'touch', req, ctx });
    return this.touchHandler(req, ctx);
  }
}

const ctx: CallContext = {
  appId: 'caller',
  namespace: 'ns',
  trustDomain: 'example.org',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'congo=t61rcWkgMzE',
};

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

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('method table', () => {
  it('indexes methods by wire id', () => {
    expect(ECHO_SERVICE.methods[1]?.name).toBe('Echo');
    expect(ECHO_SERVICE.methods[2]?.name).toBe('Touch');
    expect(ECHO_SERVICE.methods[0]).toBeUndefined();
    expect(Object.isFrozen(ECHO_SERVICE.methods)).toBe(true);
  });

  it('refuses a shared or invalid wire id', () => {
    const base = { name: 'x.S', serverLabel: 's', clientLabel: 'c' };
    expect(() => defineService<EchoApi>({ ...base, methods: [ECHO_METHODS.echo, { ...ECHO_METHODS.touch, id: 1 }] })).toThrow(
      'x.S: methods Echo and Touch share wire id 1',
    );
    expect(() => defineService<EchoApi>({ ...base, methods: [defineMethod({ ...ECHO_METHODS.echo, id: 0 })] })).toThrow('invalid wire id 0');
  });
});

describe('CallContext <-> RequestHeader', () => {
  it('carries identity and trace context; the deadline as time left', () => {
    const now = 1_000_000;
    const h = toRequestHeader(7, { ...ctx, deadline: now + 1500, signal: new AbortController().signal }, 1500);
    expect(h).toEqual({
      method: 7,
      appId: 'caller',
      namespace: 'ns',
      trustDomain: 'example.org',
      traceparent: ctx.traceparent,
      tracestate: ctx.tracestate,
      timeoutMs: 1500,
      cancellable: true,
    });
    const back = fromRequestHeader(RequestHeader.decode(RequestHeader.encode(h).finish()), undefined, now);
    expect(back).toEqual({ ...ctx, deadline: now + 1500, signal: undefined });
  });

  it('absent optional fields travel as defaults and come back absent', () => {
    const h = toRequestHeader(1, { appId: 'a', namespace: '' }, 0);
    const back = fromRequestHeader(h, undefined);
    expect([back.trustDomain, back.traceparent, back.tracestate, back.deadline, back.signal]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('a header without a trust domain encodes exactly as before field 8 existed', () => {
    const h = toRequestHeader(3, { appId: 'a', namespace: 'n', traceparent: 't' }, 10);
    const bytes = RequestHeader.encode(h).finish();
    // method=3, app_id="a", namespace="n", traceparent="t", timeout_ms=10: no field 8 (tag 0x42)
    expect(Buffer.from(bytes).toString('hex')).toBe('0803120161' + '1a016e' + '220174' + '300a');
    const withTd = RequestHeader.encode({ ...h, trustDomain: 'td' }).finish();
    expect(Buffer.from(withTd).subarray(bytes.length).toString('hex')).toBe('42027464');
  });
});

describe('framing', () => {
  it('frames are length | call id | type | payload, big-endian', () => {
    const enc = new FrameEncoder();
    enc.begin().raw(Uint8Array.from([0xaa, 0xbb]));
    const f = enc.end(0x01020304, FrameType.FRAME_TYPE_RESPONSE);
    expect(Buffer.from(f).toString('hex')).toBe('00000007' + '01020304' + '03' + 'aabb');
  });

  it('reassembles frames split anywhere and refuses an oversized one', () => {
    const enc = new FrameEncoder();
    const frames: Buffer[] = [];
    for (let i = 1; i <= 3; i++) {
      enc.begin().raw(new Uint8Array(i * 100).fill(i));
      frames.push(Buffer.from(enc.end(i, FrameType.FRAME_TYPE_REQUEST)));
    }
    const all = Buffer.concat(frames);
    const got: Array<[number, number, number]> = [];
    const reader = new FrameReader(1000, (id, type, payload) => got.push([id, type, payload.length]));
    for (let off = 0; off < all.length; off += 7) reader.push(all.subarray(off, off + 7));
    expect(got).toEqual([
      [1, 2, 100],
      [2, 2, 200],
      [3, 2, 300],
    ]);
    const small = new FrameReader(100, () => undefined);
    expect(() => small.push(all)).toThrow(FrameError);
  });
});

describe('framed transport', () => {
  let api: FakeEchoApi;
  let server: FramedServer<EchoApi>;
  let client: FramedClient;
  let port: number;
  const internal: Array<[unknown, string]> = [];

  beforeEach(async () => {
    api = new FakeEchoApi();
    internal.length = 0;
    server = new FramedServer(ECHO_SERVICE, api, { onInternalError: (e, m) => internal.push([e, m]) });
    ({ port } = await server.listen('127.0.0.1', 0));
    client = new FramedClient(`127.0.0.1:${port}`, ECHO_SERVICE);
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  it('round trips a message with binary bytes and the whole call context', async () => {
    const res = await client.call(ECHO_METHODS.echo, { text: 'h\u00e9llo', data: BINARY }, ctx);
    expect(res.text).toBe('h\u00e9llo');
    expect(Buffer.compare(Buffer.from(res.data), Buffer.from(BINARY))).toBe(0);
    const seen = api.calls[0];
    expect(seen?.ctx).toMatchObject({ appId: 'caller', namespace: 'ns', trustDomain: 'example.org', traceparent: ctx.traceparent, tracestate: ctx.tracestate });
    expect(seen?.ctx.signal).toBeUndefined();
  });

  it('an Empty response resolves undefined', async () => {
    await expect(client.call(ECHO_METHODS.touch, { text: '', data: BINARY }, ctx)).resolves.toBeUndefined();
    expect(api.calls.map((c) => c.method)).toEqual(['touch']);
  });

  it('an ApiError crosses intact; anything else is ERR_INTERNAL worded with the server label', async () => {
    const original = new ApiError({ code: 'ERR_X', message: 'nope', httpStatus: 409, grpcCode: GrpcCode.ABORTED, retryable: false });
    api.echoHandler = async () => {
      throw original;
    };
    const e = await rejection(client.call(ECHO_METHODS.echo, { text: 'a', data: BINARY }, ctx));
    expect(e.toJSON()).toEqual(original.toJSON());
    expect([e.httpStatus, e.grpcCode, e.retryable]).toEqual([409, GrpcCode.ABORTED, false]);

    const boom = new RangeError('bad');
    api.echoHandler = () => {
      throw boom;
    };
    const e2 = await rejection(client.call(ECHO_METHODS.echo, { text: 'a', data: BINARY }, ctx));
    expect([e2.code, e2.message, e2.grpcCode]).toEqual(['ERR_INTERNAL', 'echo-svc failed to serve Echo: bad', GrpcCode.INTERNAL]);
    expect(internal).toEqual([[boom, 'Echo']]);
  });

  it('a method the server does not have is UNIMPLEMENTED, the connection stays up', async () => {
    const e = await rejection(client.call(UNKNOWN_METHOD, { text: 'a', data: BINARY }, ctx));
    expect([e.code, e.httpStatus, e.grpcCode]).toEqual(['ERR_API_UNIMPLEMENTED', 501, GrpcCode.UNIMPLEMENTED]);
    expect(e.message).toBe('echo-svc does not serve method 9 of tessera.test.v1.EchoService; is it older than the tester?');
    await expect(client.call(ECHO_METHODS.echo, { text: 'ok', data: BINARY }, ctx)).resolves.toMatchObject({ text: 'ok' });
    expect(server.acceptedConnections).toBe(1);
  });

  it('a client of another service is refused at Hello and backs off', async () => {
    const other = new FramedClient(`127.0.0.1:${port}`, OTHER_SERVICE);
    try {
      const e = await rejection(other.call(ECHO_METHODS.echo, { text: 'a', data: BINARY }, ctx));
      expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_ECHO', GrpcCode.UNAVAILABLE, true]);
      expect(e.message).toBe(
        `failed to echo a: other-svc at 127.0.0.1:${port} is unreachable: this is tessera.test.v1.EchoService (framing v1), not tessera.test.v1.OtherService (framing v1)`,
      );
      const again = await rejection(other.call(ECHO_METHODS.echo, { text: 'b', data: BINARY }, ctx));
      expect(again.message).toContain('this is tessera.test.v1.EchoService');
      expect(api.calls).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('the Hello frame is Hello{service, version 1} on call id 0', () => {
    const f = Buffer.from(client.helloFrame);
    expect(f.readUInt32BE(0)).toBe(f.length - 4);
    expect([f.readUInt32BE(4), f[8]]).toEqual([0, FrameType.FRAME_TYPE_HELLO]);
    expect(Hello.decode(f.subarray(9))).toEqual({ service: 'tessera.test.v1.EchoService', version: 1 });
  });

  it('a FailureMapper words transport failures, never the server’s errors', async () => {
    const mapped: string[] = [];
    const mapper: FailureMapper = (m, req, f) => {
      mapped.push(f.kind);
      return new ApiError({ code: 'ERR_MAPPED', message: `mapped: ${f.reason}`, httpStatus: 500, grpcCode: f.grpcCode, retryable: f.retryable });
    };
    api.echoHandler = async () => {
      throw new ApiError({ code: 'ERR_REMOTE', message: 'remote', httpStatus: 400, grpcCode: GrpcCode.INVALID_ARGUMENT });
    };
    expect((await rejection(client.call(ECHO_METHODS.echo, { text: 'a', data: BINARY }, ctx, mapper))).code).toBe('ERR_REMOTE');
    const e = await rejection(client.call(ECHO_METHODS.echo, { text: 'a', data: BINARY }, { ...ctx, deadline: Date.now() - 1 }, mapper));
    expect([e.code, e.message, e.grpcCode, e.retryable]).toEqual(['ERR_MAPPED', 'mapped: context deadline exceeded', GrpcCode.DEADLINE_EXCEEDED, true]);
    expect(mapped).toEqual(['deadline-exceeded']);
  });

  it('deadline and cancel abort the server side with the method’s own errors', async () => {
    const reasons: unknown[] = [];
    api.echoHandler = (_r, c) =>
      new Promise(() => c.signal?.addEventListener('abort', () => reasons.push(c.signal?.reason), { once: true }));
    const e1 = await rejection(client.call(ECHO_METHODS.echo, { text: 'slow', data: BINARY }, { ...ctx, deadline: Date.now() + 50 }));
    expect([e1.code, e1.message, e1.grpcCode]).toEqual(['ERR_ECHO', 'failed to echo slow: context deadline exceeded', GrpcCode.DEADLINE_EXCEEDED]);
    // the server's own timer for that deadline may fire a moment after the client's (a busy machine)
    while (reasons.length < 1) await tick();
    const ac = new AbortController();
    const p = rejection(client.call(ECHO_METHODS.echo, { text: 'c', data: BINARY }, { ...ctx, signal: ac.signal }));
    while (api.calls.length < 2) await tick();
    ac.abort();
    const e2 = await p;
    expect([e2.message, e2.grpcCode, e2.retryable]).toEqual(['failed to echo c: context canceled', GrpcCode.CANCELLED, false]);
    while (reasons.length < 2) await tick();
    expect(reasons.map((r) => (isApiError(r) ? [r.code, r.grpcCode] : r))).toEqual([
      ['ERR_ECHO', GrpcCode.DEADLINE_EXCEEDED],
      ['ERR_ECHO', GrpcCode.CANCELLED],
    ]);
  });

  it('a context whose signal is made on first use: a unary call does not make it, but passes on one that was made', async () => {
    class LazyCtx implements CallContext {
      readonly appId = 'caller';
      readonly namespace = 'ns';
      made = 0;
      private controller: AbortController | undefined;
      get signalIfMade(): AbortSignal | undefined {
        return this.controller?.signal;
      }
      get signal(): AbortSignal {
        if (this.controller === undefined) {
          this.made++;
          this.controller = new AbortController();
        }
        return this.controller.signal;
      }
      abort(): void {
        this.controller?.abort();
      }
    }
    const lazy = new LazyCtx();
    await client.call(ECHO_METHODS.echo, { text: 'quick', data: BINARY }, lazy);
    expect(lazy.made).toBe(0);
    expect(api.calls[0]?.ctx.signal).toBeUndefined(); // not cancellable: the server made no controller
    // made by someone upstream: the call watches it, and a cancel reaches the server
    const reasons: unknown[] = [];
    api.echoHandler = (_r, c) => new Promise(() => c.signal?.addEventListener('abort', () => reasons.push(c.signal?.reason), { once: true }));
    const made = new LazyCtx();
    void made.signal;
    const p = rejection(client.call(ECHO_METHODS.echo, { text: 'c', data: BINARY }, made));
    while (api.calls.length < 2) await tick();
    made.abort();
    expect((await p).grpcCode).toBe(GrpcCode.CANCELLED);
    while (reasons.length < 1) await tick();
    expect(made.made).toBe(1);
  });

  it('oversized frames are refused on the side that would send them', async () => {
    await client.close();
    client = new FramedClient(`127.0.0.1:${port}`, ECHO_SERVICE, { maxFrameBytes: 1024 });
    const e = await rejection(client.call(ECHO_METHODS.echo, { text: 'big', data: new Uint8Array(2000) }, ctx));
    expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_ECHO', GrpcCode.RESOURCE_EXHAUSTED, false]);
    expect(e.message).toMatch(/^failed to echo big: request of \d+ bytes exceeds the internal transport limit of 1024 bytes$/);
    expect(api.calls).toHaveLength(0);

    await server.close(0);
    server = new FramedServer(ECHO_SERVICE, api, { maxFrameBytes: 1024 });
    ({ port } = await server.listen('127.0.0.1', 0));
    await client.close();
    client = new FramedClient(`127.0.0.1:${port}`, ECHO_SERVICE);
    api.echoHandler = async (r) => ({ text: r.text, data: new Uint8Array(4000) });
    const e2 = await rejection(client.call(ECHO_METHODS.echo, { text: 'r', data: BINARY }, ctx));
    expect([e2.code, e2.grpcCode]).toEqual(['ERR_ECHO', GrpcCode.RESOURCE_EXHAUSTED]);
    expect(e2.message).toMatch(/^failed to echo r: response of \d+ bytes exceeds the internal transport limit of 1024 bytes$/);
  });

  it('GOAWAY: the call in flight finishes, new calls go to a new server on a new connection', async () => {
    let release!: () => void;
    api.echoHandler = (r) => new Promise((resolve) => (release = () => resolve(r)));
    const p = client.call(ECHO_METHODS.echo, { text: 'inflight', data: BINARY }, ctx);
    while (api.calls.length === 0) await tick();
    const closing = server.close(5000);
    await new Promise((r) => setTimeout(r, 20));
    release();
    await expect(p).resolves.toMatchObject({ text: 'inflight' });
    await closing;
    const api2 = new FakeEchoApi();
    server = new FramedServer(ECHO_SERVICE, api2);
    await server.listen('127.0.0.1', port);
    await expect(client.call(ECHO_METHODS.echo, { text: 'next', data: BINARY }, ctx)).resolves.toMatchObject({ text: 'next' });
    expect(client.connectionsOpened).toBe(2);
    expect(api2.calls).toHaveLength(1);
  });

  it('connect() reports an unreachable server as ERR_INTERNAL, UNAVAILABLE', async () => {
    const dead = new FramedClient(`127.0.0.1:${await freePort()}`, ECHO_SERVICE);
    try {
      const e = await rejection(dead.connect());
      expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_INTERNAL', GrpcCode.UNAVAILABLE, true]);
      expect(e.message).toMatch(/^echo-svc at 127\.0\.0\.1:\d+ is unreachable: .*ECONNREFUSED/);
      const e2 = await rejection(dead.call(ECHO_METHODS.touch, { text: '', data: BINARY }, ctx));
      expect([e2.code, e2.grpcCode]).toEqual(['ERR_TOUCH', GrpcCode.UNAVAILABLE]);
      expect(e2.message).toMatch(/^failed to touch: echo-svc at 127\.0\.0\.1:\d+ is unreachable: .*ECONNREFUSED/);
    } finally {
      await dead.close();
    }
    await expect(client.connect()).resolves.toBeUndefined();
  });

  it('the default FailureMapper is the method’s code and wording', () => {
    const e = methodFailure(ECHO_METHODS.echo, { text: 'z', data: BINARY }, { kind: 'codec', reason: 'cannot x: y', grpcCode: GrpcCode.INTERNAL, retryable: false });
    expect([e.code, e.message, e.httpStatus]).toEqual(['ERR_ECHO', 'failed to echo z: cannot x: y', 500]);
  });

  it('speaks the documented wire format to a hand-written peer', async () => {
    // a raw socket plays the client: Hello, then REQUEST = varint len + RequestHeader + Echo
    const { connect } = await import('node:net');
    const sock = connect(port, '127.0.0.1');
    const frames: Array<[number, number, Buffer]> = [];
    const reader = new FrameReader(1 << 20, (id, type, payload) => frames.push([id, type, Buffer.from(payload)]));
    sock.on('data', (c: Buffer) => reader.push(c));
    await new Promise((r) => sock.once('connect', r));
    const frame = (id: number, type: number, payload: Uint8Array): Buffer => {
      const head = Buffer.alloc(9);
      head.writeUInt32BE(5 + payload.length, 0);
      head.writeUInt32BE(id, 4);
      head[8] = type;
      return Buffer.concat([head, payload]);
    };
    const w = new BinaryWriter();
    RequestHeader.encode(toRequestHeader(1, { appId: 'raw', namespace: '', trustDomain: 'td' }, 0), w.fork()).join();
    Echo.encode({ text: 'raw', data: BINARY }, w);
    sock.write(frame(0, FrameType.FRAME_TYPE_HELLO, Hello.encode({ service: ECHO_SERVICE.name, version: 1 }).finish()));
    sock.write(frame(42, FrameType.FRAME_TYPE_REQUEST, w.finish()));
    sock.write(frame(43, FrameType.FRAME_TYPE_REQUEST, Uint8Array.from([0x01, 0xff]))); // broken header
    while (frames.length < 2) await tick();
    sock.destroy();
    const byId = new Map(frames.map(([id, type, p]) => [id, [type, p] as const]));
    const ok = byId.get(42);
    expect(ok?.[0]).toBe(FrameType.FRAME_TYPE_RESPONSE);
    expect(Echo.decode(new BinaryReader(ok?.[1] ?? Buffer.alloc(0))).text).toBe('raw');
    expect(api.calls[0]?.ctx).toMatchObject({ appId: 'raw', trustDomain: 'td' });
    const bad = byId.get(43);
    expect(bad?.[0]).toBe(FrameType.FRAME_TYPE_ERROR);
    expect(ErrorStatus.decode(bad?.[1] ?? Buffer.alloc(0))).toMatchObject({ code: 'ERR_MALFORMED_REQUEST', grpcCode: GrpcCode.INVALID_ARGUMENT, httpStatus: 400 });
  });
});
