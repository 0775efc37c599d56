// Server-streaming calls over the framed transport (transport.proto STREAM_ITEM / STREAM_END /
// STREAM_CREDIT): ordering, completion, errors, cancellation both ways, deadlines, flow control,
// a server that dies or shuts down, and the documented wire format. The unary behaviour is
// framed-transport.spec.ts's; this file uses its own tiny CountService (hand-written codecs).
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { ApiError, ErrorStatus, FrameType, GrpcCode, Hello, isApiError, RequestHeader, StreamCredit } from '@tessera/contracts';
import type { CallContext } from '@tessera/contracts';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { defineMethod, defineService, defineStreamMethod, FramedClient, FramedServer, FrameReader, toRequestHeader } from './index';
import type { Codec } from './index';

/** message Count { string text = 1; uint32 n = 2; } */
interface Count {
  text: string;
  n: number;
}

const Count: Codec<Count> = {
  encode(m: Count, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (m.text !== '') w.uint32(10).string(m.text);
    if (m.n !== 0) w.uint32(16).uint32(m.n);
    return w;
  },
  decode(input: BinaryReader | Uint8Array, length?: number): Count {
    const r = input instanceof BinaryReader ? input : new BinaryReader(input);
    const end = length === undefined ? r.len : r.pos + length;
    const m: Count = { text: '', n: 0 };
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 10) m.text = r.string();
      else if (tag === 16) m.n = r.uint32();
      else r.skip(tag & 7);
    }
    return m;
  },
};

interface CountApi {
  /** Streams `req.n` items (or whatever the test's producer does). */
  count(req: Count, ctx: CallContext): AsyncIterable<Count>;
  ping(req: Count, ctx: CallContext): Promise<Count>;
}

const METHODS = {
  count: defineStreamMethod<CountApi, Count, Count>({
    id: 1,
    name: 'Count',
    errorCode: 'ERR_COUNT',
    request: Count,
    response: Count,
    describe: (r) => `failed to count ${r.text}`,
    open: (api, r, ctx) => api.count(r, ctx),
  }),
  ping: defineMethod<CountApi, Count, Count>({
    id: 2,
    name: 'Ping',
    errorCode: 'ERR_PING',
    request: Count,
    response: Count,
    describe: () => 'failed to ping',
    invoke: (api, r, ctx) => api.ping(r, ctx),
  }),
} as const;

const SERVICE = defineService<CountApi>({ name: 'tessera.test.v1.CountService', serverLabel: 'count-svc', clientLabel: 'tester', methods: METHODS });
/** A newer client: a streaming method the server does not know. */
const FUTURE = defineStreamMethod<CountApi, Count, Count>({ ...METHODS.count, id: 7, name: 'Future' });

/** Records what the server side saw of each stream. */
interface Produced {
  sent: number;
  returned: boolean;
  abortReason?: unknown;
}

class FakeCountApi implements CountApi {
  readonly produced: Produced[] = [];
  /** Override per test; default: yield 1..n then end. */
  producer: (req: Count, ctx: CallContext, p: Produced) => AsyncGenerator<Count> = async function* (req, _ctx, p) {
    for (let i = 1; i <= req.n; i++) {
      p.sent = i;
      yield { text: req.text, n: i };
    }
  };

  count(req: Count, ctx: CallContext): AsyncIterable<Count> {
    const p: Produced = { sent: 0, returned: false };
    this.produced.push(p);
    ctx.signal?.addEventListener('abort', () => (p.abortReason = ctx.signal?.reason), { once: true });
    const gen = this.producer(req, ctx, p);
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => gen.next(),
        return: async () => {
          p.returned = true;
          await gen.return(undefined);
          return { value: undefined, done: true };
        },
      }),
    };
  }

  async ping(req: Count): Promise<Count> {
    return req;
  }
}

const ctx: CallContext = { appId: 'caller', namespace: 'ns' };
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

/** Items received before the iterator failed, and the ApiError it failed with. */
async function collectUntilError<T>(it: AsyncIterable<T>): Promise<{ items: T[]; error: ApiError }> {
  const items: T[] = [];
  try {
    for await (const v of it) items.push(v);
  } catch (e) {
    if (isApiError(e)) return { items, error: e };
    throw e;
  }
  throw new Error(`expected the stream to fail; it completed after ${items.length} items`);
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

function frame(id: number, type: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt32BE(5 + payload.length, 0);
  head.writeUInt32BE(id, 4);
  head[8] = type;
  return Buffer.concat([head, payload]);
}

describe('framed transport: server-streaming calls', () => {
  let api: FakeCountApi;
  let server: FramedServer<CountApi>;
  let client: FramedClient;
  let port: number;

  beforeEach(async () => {
    api = new FakeCountApi();
    server = new FramedServer(SERVICE, api);
    ({ port } = await server.listen('127.0.0.1', 0));
    client = new FramedClient(`127.0.0.1:${port}`, SERVICE);
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  it('delivers many items in order, then completes; the call leaves no trace on either side', async () => {
    const items = await collect(client.stream(METHODS.count, { text: 'x', n: 10_000 }, ctx));
    expect(items).toHaveLength(10_000);
    expect(items.every((v, i) => v.n === i + 1 && v.text === 'x')).toBe(true);
    expect(client.inFlight).toBe(0);
    expect(api.produced[0]).toMatchObject({ sent: 10_000, returned: false });
    // the same connection keeps serving unary calls and new streams
    await expect(client.call(METHODS.ping, { text: 'p', n: 1 }, ctx)).resolves.toEqual({ text: 'p', n: 1 });
    await expect(collect(client.stream(METHODS.count, { text: 'y', n: 3 }, ctx))).resolves.toHaveLength(3);
    expect(server.acceptedConnections).toBe(1);
  });

  it('an empty stream completes at once; each iteration of the iterable is its own call', async () => {
    const s = client.stream(METHODS.count, { text: 'e', n: 0 }, ctx);
    await expect(collect(s)).resolves.toEqual([]);
    api.producer = async function* (req) {
      yield { text: req.text, n: 42 };
    };
    await expect(collect(s)).resolves.toEqual([{ text: 'e', n: 42 }]);
    expect(api.produced).toHaveLength(2);
  });

  it('carries the call context to the producer', async () => {
    let seen: CallContext | undefined;
    api.producer = async function* (_req, c) {
      seen = c;
      yield* [];
    };
    await collect(client.stream(METHODS.count, { text: '', n: 0 }, { ...ctx, trustDomain: 'td', traceparent: 'tp', deadline: Date.now() + 60_000 }));
    expect(seen).toMatchObject({ appId: 'caller', namespace: 'ns', trustDomain: 'td', traceparent: 'tp' });
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
    expect(seen?.deadline).toBeGreaterThan(Date.now());
  });

  it('many streams and unary calls interleave on one connection', async () => {
    api.producer = async function* (req, _c, p) {
      for (let i = 1; i <= req.n; i++) {
        p.sent = i;
        if (i % 7 === 0) await tick();
        yield { text: req.text, n: i };
      }
    };
    const streams = Array.from({ length: 20 }, (_, k) => collect(client.stream(METHODS.count, { text: `s${k}`, n: 300 + k }, ctx)));
    const pings = Array.from({ length: 50 }, (_, k) => client.call(METHODS.ping, { text: `p${k}`, n: k + 1 }, ctx));
    const [results, answers] = await Promise.all([Promise.all(streams), Promise.all(pings)]);
    results.forEach((items, k) => {
      expect(items).toHaveLength(300 + k);
      expect(items.every((v, i) => v.text === `s${k}` && v.n === i + 1)).toBe(true);
    });
    expect(answers.map((a) => a.n)).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
    expect(server.acceptedConnections).toBe(1);
  });

  it('flow control: a slow consumer holds the producer within the window', async () => {
    await client.close();
    client = new FramedClient(`127.0.0.1:${port}`, SERVICE, { streamWindow: 8 });
    const it = client.stream(METHODS.count, { text: 'slow', n: 1000 }, ctx)[Symbol.asyncIterator]();
    let taken = 0;
    let maxAhead = 0;
    for (let i = 0; i < 100; i++) {
      const r = await it.next();
      expect(r).toEqual({ value: { text: 'slow', n: i + 1 }, done: false });
      taken++;
      if (i % 10 === 0) await sleep(5); // let the producer run ahead as far as it may
      maxAhead = Math.max(maxAhead, (api.produced[0]?.sent ?? 0) - taken);
    }
    // the window (8) plus the one item the producer holds while it waits for credit
    expect(maxAhead).toBeLessThanOrEqual(9);
    await it.return?.();
    await until(() => api.produced[0]?.returned === true, 'the producer to be stopped');
    expect(api.produced[0]?.sent).toBeLessThan(120);
  });

  it('without flow control (window 0) the producer runs free', async () => {
    await client.close();
    client = new FramedClient(`127.0.0.1:${port}`, SERVICE, { streamWindow: 0 });
    const it = client.stream(METHODS.count, { text: 'free', n: 500 }, ctx)[Symbol.asyncIterator]();
    await it.next();
    await until(() => api.produced[0]?.sent === 500, 'the producer to finish');
    await expect(collect({ [Symbol.asyncIterator]: () => it })).resolves.toHaveLength(499);
  });

  it('a consumer that breaks out cancels the producer (return() and signal), without breaking the connection', async () => {
    api.producer = async function* (req, _c, p) {
      for (let i = 1; ; i++) {
        p.sent = i;
        yield { text: req.text, n: i };
        await sleep(1);
      }
    };
    let n = 0;
    for await (const v of client.stream(METHODS.count, { text: 'b', n: 0 }, ctx)) {
      n = v.n;
      if (n === 5) break;
    }
    expect(n).toBe(5);
    await until(() => api.produced[0]?.returned === true, 'return() on the producer');
    const reason = api.produced[0]?.abortReason;
    expect(isApiError(reason) ? [reason.code, reason.grpcCode] : reason).toEqual(['ERR_COUNT', GrpcCode.CANCELLED]);
    expect(client.inFlight).toBe(0);
    await expect(client.call(METHODS.ping, { text: 'still', n: 1 }, ctx)).resolves.toMatchObject({ text: 'still' });
  });

  it('aborting ctx.signal fails the iterator at once as cancelled and stops the producer', async () => {
    api.producer = async function* (req, c) {
      yield { text: req.text, n: 1 };
      await new Promise((r) => c.signal?.addEventListener('abort', r, { once: true }));
    };
    const ac = new AbortController();
    const it = client.stream(METHODS.count, { text: 'a', n: 0 }, { ...ctx, signal: ac.signal })[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({ value: { text: 'a', n: 1 }, done: false });
    const pending = it.next();
    ac.abort();
    const e = await pending.then(
      () => undefined,
      (err: unknown) => err as ApiError,
    );
    expect([e?.code, e?.message, e?.grpcCode, e?.retryable]).toEqual(['ERR_COUNT', 'failed to count a: context canceled', GrpcCode.CANCELLED, false]);
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
    await until(() => api.produced[0]?.abortReason !== undefined, 'the server side to be aborted');
  });

  it('an already aborted signal or a passed deadline fail before anything is sent', async () => {
    const ac = new AbortController();
    ac.abort();
    const e1 = await collectUntilError(client.stream(METHODS.count, { text: 'z', n: 1 }, { ...ctx, signal: ac.signal }));
    expect(e1.error.grpcCode).toBe(GrpcCode.CANCELLED);
    const e2 = await collectUntilError(client.stream(METHODS.count, { text: 'z', n: 1 }, { ...ctx, deadline: Date.now() - 1 }));
    expect([e2.error.code, e2.error.grpcCode]).toEqual(['ERR_COUNT', GrpcCode.DEADLINE_EXCEEDED]);
    expect(api.produced).toHaveLength(0);
  });

  it('the deadline ends a stream on both sides', async () => {
    api.producer = async function* (req, c) {
      yield { text: req.text, n: 1 };
      await new Promise((r) => c.signal?.addEventListener('abort', r, { once: true }));
    };
    const { items, error } = await collectUntilError(client.stream(METHODS.count, { text: 'd', n: 0 }, { ...ctx, deadline: Date.now() + 80 }));
    expect(items).toEqual([{ text: 'd', n: 1 }]);
    expect([error.code, error.message, error.grpcCode, error.retryable]).toEqual(['ERR_COUNT', 'failed to count d: context deadline exceeded', GrpcCode.DEADLINE_EXCEEDED, true]);
    await until(() => api.produced[0]?.abortReason !== undefined, 'the server deadline');
    const reason = api.produced[0]?.abortReason;
    expect(isApiError(reason) && reason.grpcCode).toBe(GrpcCode.DEADLINE_EXCEEDED);
  });

  it('an ApiError thrown mid-stream arrives intact after the items sent before it', async () => {
    const original = new ApiError({ code: 'ERR_X', message: 'broke at 3', httpStatus: 409, grpcCode: GrpcCode.ABORTED, retryable: false });
    api.producer = async function* (req) {
      for (let i = 1; i <= 3; i++) yield { text: req.text, n: i };
      throw original;
    };
    const { items, error } = await collectUntilError(client.stream(METHODS.count, { text: 'f', n: 0 }, ctx));
    expect(items.map((v) => v.n)).toEqual([1, 2, 3]);
    expect(error.toJSON()).toEqual(original.toJSON());
    expect([error.httpStatus, error.grpcCode, error.retryable]).toEqual([409, GrpcCode.ABORTED, false]);
  });

  it('open() throwing, or a non-ApiError, becomes ERR_INTERNAL worded with the server label', async () => {
    const internal: Array<[unknown, string]> = [];
    await server.close(0);
    server = new FramedServer(SERVICE, api, { onInternalError: (e, m) => internal.push([e, m]) });
    await server.listen('127.0.0.1', port);
    const boom = new RangeError('no counting today');
    api.count = () => {
      throw boom;
    };
    const { items, error } = await collectUntilError(client.stream(METHODS.count, { text: 'o', n: 1 }, ctx));
    expect(items).toEqual([]);
    expect([error.code, error.message, error.grpcCode]).toEqual(['ERR_INTERNAL', 'count-svc failed to serve Count: no counting today', GrpcCode.INTERNAL]);
    expect(internal).toEqual([[boom, 'Count']]);
  });

  it('a streaming method the server does not know is UNIMPLEMENTED (newer client, older server)', async () => {
    const { error } = await collectUntilError(client.stream(FUTURE, { text: 'f', n: 1 }, ctx));
    expect([error.code, error.httpStatus, error.grpcCode]).toEqual(['ERR_API_UNIMPLEMENTED', 501, GrpcCode.UNIMPLEMENTED]);
    expect(error.message).toBe('count-svc does not serve method 7 of tessera.test.v1.CountService; is it older than the tester?');
  });

  it('server death: the iterator yields what arrived, then fails as unreachable (UNAVAILABLE, retryable)', async () => {
    // the client talks through a TCP proxy; destroying it is the server's process dying mid-stream
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
    await client.close();
    client = new FramedClient(`127.0.0.1:${proxyPort}`, SERVICE);
    api.producer = async function* (req) {
      for (let i = 1; i <= 3; i++) yield { text: req.text, n: i };
      await new Promise(() => undefined); // hangs until the process dies
    };
    const it = client.stream(METHODS.count, { text: 'k', n: 0 }, ctx)[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toMatchObject({ value: { n: 1 } });
    await sleep(30);
    for (const s of proxySockets) s.destroy();
    proxy.close();
    port = proxyPort;
    const rest: number[] = [];
    let error: ApiError | undefined;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done === true) break;
        rest.push(r.value.n);
      }
    } catch (e) {
      error = e as ApiError;
    }
    expect(rest).toEqual([2, 3]);
    expect([error?.code, error?.grpcCode, error?.retryable]).toEqual(['ERR_COUNT', GrpcCode.UNAVAILABLE, true]);
    expect(error?.message).toMatch(new RegExp(`^failed to count k: count-svc at 127\\.0\\.0\\.1:${port} is unreachable: `));
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('a server shutting down ends open streams at once with a retryable error, and close() does not wait for them', async () => {
    api.producer = async function* (req, c) {
      yield { text: req.text, n: 1 };
      await new Promise((r) => c.signal?.addEventListener('abort', r, { once: true }));
    };
    const it = client.stream(METHODS.count, { text: 'g', n: 0 }, ctx)[Symbol.asyncIterator]();
    await it.next();
    const started = Date.now();
    await server.close(10_000);
    expect(Date.now() - started).toBeLessThan(2000);
    const e = await it.next().then(
      () => undefined,
      (err: unknown) => err as ApiError,
    );
    expect([e?.code, e?.message, e?.grpcCode, e?.retryable]).toEqual(['ERR_COUNT', 'failed to count g: count-svc is shutting down', GrpcCode.UNAVAILABLE, true]);
    await until(() => api.produced[0]?.returned === true, 'the producer to be stopped');
    // a new server on the same port serves the next stream on a new connection
    api = new FakeCountApi();
    server = new FramedServer(SERVICE, api);
    await server.listen('127.0.0.1', port);
    await expect(collect(client.stream(METHODS.count, { text: 'h', n: 2 }, ctx))).resolves.toHaveLength(2);
    expect(client.connectionsOpened).toBe(2);
  });

  it('client.close() fails open streams; later streams fail at once', async () => {
    api.producer = async function* (req, c) {
      yield { text: req.text, n: 1 };
      await new Promise((r) => c.signal?.addEventListener('abort', r, { once: true }));
    };
    const it = client.stream(METHODS.count, { text: 'c', n: 0 }, ctx)[Symbol.asyncIterator]();
    await it.next();
    const next = it.next();
    await client.close();
    await expect(next).rejects.toMatchObject({ code: 'ERR_COUNT', grpcCode: GrpcCode.UNAVAILABLE });
    const { error } = await collectUntilError(client.stream(METHODS.count, { text: 'c', n: 1 }, ctx));
    expect(error.message).toMatch(/the client is closed$/);
    await until(() => api.produced[0]?.abortReason !== undefined, 'the server to notice');
  });

  it('an unreachable server fails the iterator at its first next()', async () => {
    const dead = new FramedClient(`127.0.0.1:${await freePort()}`, SERVICE);
    try {
      const { error } = await collectUntilError(dead.stream(METHODS.count, { text: 'u', n: 1 }, ctx));
      expect([error.code, error.grpcCode, error.retryable]).toEqual(['ERR_COUNT', GrpcCode.UNAVAILABLE, true]);
      expect(error.message).toMatch(/ECONNREFUSED/);
    } finally {
      await dead.close();
    }
  });

  it('concurrent next() calls are refused rather than losing items', async () => {
    api.producer = async function* (req, c) {
      await new Promise((r) => c.signal?.addEventListener('abort', r, { once: true }));
      yield { text: req.text, n: 1 };
    };
    const it = client.stream(METHODS.count, { text: 'n', n: 0 }, ctx)[Symbol.asyncIterator]();
    const first = it.next();
    await expect(it.next()).rejects.toThrow('concurrent next()');
    await it.return?.();
    await expect(first).resolves.toEqual({ value: undefined, done: true });
  });

  it('a stream opened on a draining connection is refused at once as shutting down', async () => {
    let release!: () => void;
    api.ping = (req) => new Promise((resolve) => (release = () => resolve(req)));
    const sock = connect(port, '127.0.0.1');
    const frames: Array<[number, number, Buffer]> = [];
    const reader = new FrameReader(1 << 20, (id, type, payload) => frames.push([id, type, Buffer.from(payload)]));
    sock.on('data', (c: Buffer) => reader.push(c));
    await new Promise((r) => sock.once('connect', r));
    const request = (method: number, body: Count): Uint8Array => {
      const w = new BinaryWriter();
      RequestHeader.encode(toRequestHeader(method, { appId: 'raw', namespace: '' }, 0), w.fork()).join();
      Count.encode(body, w);
      return w.finish();
    };
    sock.write(frame(0, FrameType.FRAME_TYPE_HELLO, Hello.encode({ service: SERVICE.name, version: 1 }).finish()));
    sock.write(frame(1, FrameType.FRAME_TYPE_REQUEST, request(2, { text: 'hold', n: 1 }))); // a unary call keeps the connection
    await until(() => release !== undefined, 'the unary call');
    const closing = server.close(5000);
    await until(() => frames.some(([, type]) => type === FrameType.FRAME_TYPE_GOAWAY), 'GOAWAY');
    sock.write(frame(3, FrameType.FRAME_TYPE_REQUEST, request(1, { text: 'late', n: 5 })));
    await until(() => frames.some(([id]) => id === 3), 'the refusal');
    const [, type, payload] = frames.find(([id]) => id === 3) as [number, number, Buffer];
    expect(type).toBe(FrameType.FRAME_TYPE_ERROR);
    expect(ErrorStatus.decode(payload)).toMatchObject({ code: 'ERR_COUNT', message: 'failed to count late: count-svc is shutting down', grpcCode: GrpcCode.UNAVAILABLE, retryable: true });
    expect(api.produced).toHaveLength(0);
    release();
    await until(() => frames.some(([id, t]) => id === 1 && t === FrameType.FRAME_TYPE_RESPONSE), 'the unary answer');
    sock.destroy();
    await closing;
  });

  it('speaks the documented wire format to a hand-written client', async () => {
    const sock = connect(port, '127.0.0.1');
    const frames: Array<[number, number, Buffer]> = [];
    const reader = new FrameReader(1 << 20, (id, type, payload) => frames.push([id, type, Buffer.from(payload)]));
    sock.on('data', (c: Buffer) => reader.push(c));
    await new Promise((r) => sock.once('connect', r));
    const w = new BinaryWriter();
    RequestHeader.encode({ ...toRequestHeader(1, { appId: 'raw', namespace: '' }, 0), streamWindow: 2 }, w.fork()).join();
    Count.encode({ text: 'w', n: 5 }, w);
    sock.write(frame(0, FrameType.FRAME_TYPE_HELLO, Hello.encode({ service: SERVICE.name, version: 1 }).finish()));
    sock.write(frame(9, FrameType.FRAME_TYPE_REQUEST, w.finish()));
    await until(() => frames.length >= 2, 'the first window');
    await sleep(30);
    expect(frames.map(([id, type]) => [id, type])).toEqual([
      [9, FrameType.FRAME_TYPE_STREAM_ITEM],
      [9, FrameType.FRAME_TYPE_STREAM_ITEM],
    ]); // the window is 2: the server waits for credit
    sock.write(frame(9, FrameType.FRAME_TYPE_STREAM_CREDIT, StreamCredit.encode({ items: 10 }).finish()));
    await until(() => frames.length >= 6, 'the rest and the end');
    sock.destroy();
    expect(frames.map(([, type]) => type)).toEqual([
      ...Array<number>(5).fill(FrameType.FRAME_TYPE_STREAM_ITEM),
      FrameType.FRAME_TYPE_STREAM_END,
    ]);
    expect(frames.slice(0, 5).map(([, , p]) => Count.decode(p).n)).toEqual([1, 2, 3, 4, 5]);
    expect(frames[5]?.[2].length).toBe(0);
  });
});

describe('framed transport: a peer that breaks the streaming rules', () => {
  let raw: Server;
  let port: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // answers every REQUEST with a STREAM_ITEM and, for call id 1 (a stream), with a RESPONSE
    raw = createServer((s) => {
      sockets.add(s);
      const reader = new FrameReader(1 << 20, (id, type) => {
        if (type !== FrameType.FRAME_TYPE_REQUEST) return;
        const item = Count.encode({ text: 'bad', n: 1 }).finish();
        s.write(frame(id, FrameType.FRAME_TYPE_STREAM_ITEM, item));
        s.write(frame(id, FrameType.FRAME_TYPE_RESPONSE, item));
      });
      s.on('data', (c: Buffer) => reader.push(c));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const a = raw.address();
    port = typeof a === 'object' && a ? a.port : 0;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => raw.close(r));
  });

  it('a stream item on a unary call, or a unary response on a stream, fails that call', async () => {
    const client = new FramedClient(`127.0.0.1:${port}`, SERVICE);
    try {
      await expect(client.call(METHODS.ping, { text: 'x', n: 1 }, ctx)).rejects.toMatchObject({
        code: 'ERR_PING',
        grpcCode: GrpcCode.INTERNAL,
        message: 'failed to ping: protocol error: a stream item for a unary call',
      });
      const { items, error } = await collectUntilError(client.stream(METHODS.count, { text: 'y', n: 1 }, ctx));
      expect(items).toEqual([{ text: 'bad', n: 1 }]);
      expect([error.code, error.message]).toEqual(['ERR_COUNT', 'failed to count y: protocol error: a unary response to a streaming call']);
    } finally {
      await client.close();
    }
  });

  it('ErrorStatus is what ends a refused stream', () => {
    // documents the payload shape a hand-written server sends to fail a stream
    const bytes = ErrorStatus.encode({ code: 'ERR_X', message: 'm', httpStatus: 500, grpcCode: 13, detailsJson: '', retryable: false }).finish();
    expect(ErrorStatus.decode(bytes).code).toBe('ERR_X');
  });
});
