// Duplex calls (client streaming and bidirectional: transport.proto client -> server STREAM_ITEM /
// STREAM_END, server -> client STREAM_CREDIT) and upgradable unary calls (RESPONSE_STREAM) over
// the framed transport: ordering both ways, half-close, input flow control, cancellation and
// deadlines both ways, errors, the input's lifetime, a dying server, and the wire format against
// raw sockets. Server-streaming and unary behaviour are the other specs'. Own tiny ChatService
// with hand-written codecs.
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { ApiError, ErrorStatus, FrameType, GrpcCode, Hello, isApiError, RequestHeader, StreamCredit } from '@tessera/contracts';
import type { CallContext } from '@tessera/contracts';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { defineDuplexMethod, defineMethod, defineService, FramedClient, FramedServer, FrameReader, INPUT_WINDOW, toRequestHeader } from './index';
import type { Codec } from './index';

/** message Line { string text = 1; uint32 n = 2; } */
interface Line {
  text: string;
  n: number;
}

const Line: Codec<Line> = {
  encode(m: Line, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (m.text !== '') w.uint32(10).string(m.text);
    if (m.n !== 0) w.uint32(16).uint32(m.n);
    return w;
  },
  decode(input: BinaryReader | Uint8Array, length?: number): Line {
    const r = input instanceof BinaryReader ? input : new BinaryReader(input);
    const end = length === undefined ? r.len : r.pos + length;
    const m: Line = { text: '', n: 0 };
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 10) m.text = r.string();
      else if (tag === 16) m.n = r.uint32();
      else r.skip(tag & 7);
    }
    return m;
  },
};

/** The stream an upgradable answer carries (in-process), as the invoke service's PROXY_STREAM. */
const REST = Symbol('rest');
type Answer = Line & { [REST]?: AsyncIterable<unknown> };

interface ChatApi {
  /** Bidirectional: whatever the test's handler does with the input. */
  chat(req: Line, input: AsyncIterable<Line>, ctx: CallContext): AsyncIterable<Line>;
  /** Unary, upgradable: answers `req`, or a head and a stream when the test says so. */
  ask(req: Line, ctx: CallContext): Promise<Answer>;
}

const METHODS = {
  chat: defineDuplexMethod<ChatApi, Line, Line, Line>({
    id: 1,
    name: 'Chat',
    errorCode: 'ERR_CHAT',
    request: Line,
    input: Line,
    response: Line,
    describe: (r) => `failed to chat ${r.text}`,
    open: (api, r, input, ctx) => api.chat(r, input, ctx),
  }),
  ask: defineMethod<ChatApi, Line, Answer>({
    id: 2,
    name: 'Ask',
    errorCode: 'ERR_ASK',
    request: Line,
    response: Line,
    describe: (r) => `failed to ask ${r.text}`,
    invoke: (api, r, ctx) => api.ask(r, ctx),
    upgrade: {
      item: Line as Codec<unknown>,
      split: (res) => res[REST],
      attach: (head, rest) => ({ ...head, [REST]: rest }),
    },
  }),
} as const;

const SERVICE = defineService<ChatApi>({ name: 'tessera.test.v1.ChatService', serverLabel: 'chat-svc', clientLabel: 'tester', methods: METHODS });

/** What the server side saw of one call. */
interface Seen {
  inputs: Line[];
  inputError?: unknown;
  inputDone: boolean;
  abortReason?: unknown;
  returned: boolean;
}

class FakeChatApi implements ChatApi {
  readonly seen: Seen[] = [];
  /** Override per test; default: echo every input line with n * 10, then end after the half-close. */
  handler: (req: Line, input: AsyncIterable<Line>, ctx: CallContext, s: Seen) => AsyncGenerator<Line> = async function* (_req, input, _ctx, s) {
    for await (const l of input) {
      s.inputs.push(l);
      yield { text: l.text, n: l.n * 10 };
    }
    s.inputDone = true;
  };
  asker: (req: Line, ctx: CallContext) => Promise<Answer> = async (req) => req;

  chat(req: Line, input: AsyncIterable<Line>, ctx: CallContext): AsyncIterable<Line> {
    const s: Seen = { inputs: [], inputDone: false, returned: false };
    this.seen.push(s);
    ctx.signal?.addEventListener('abort', () => (s.abortReason = ctx.signal?.reason), { once: true });
    const gen = this.handler(req, input, ctx, s);
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => gen.next(),
        return: async () => {
          s.returned = true;
          await gen.return(undefined);
          return { value: undefined, done: true };
        },
      }),
    };
  }

  ask(req: Line, ctx: CallContext): Promise<Answer> {
    return this.asker(req, ctx);
  }
}

/** An input the test drives: push lines, end, fail; records how far the transport read it. */
class Input implements AsyncIterableIterator<Line> {
  readonly queue: Line[] = [];
  pulled = 0;
  returned = false;
  private waiter: ((r: IteratorResult<Line>) => void) | undefined;
  private rejecter: ((e: unknown) => void) | undefined;
  private ended = false;

  [Symbol.asyncIterator](): this {
    return this;
  }

  push(...lines: Line[]): void {
    for (const l of lines) {
      const w = this.waiter;
      if (w !== undefined) {
        this.waiter = undefined;
        this.pulled++;
        w({ value: l, done: false });
      } else this.queue.push(l);
    }
  }

  end(): void {
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  fail(e: unknown): void {
    const r = this.rejecter;
    this.waiter = undefined;
    this.rejecter = undefined;
    r?.(e);
  }

  next(): Promise<IteratorResult<Line>> {
    const l = this.queue.shift();
    if (l !== undefined) {
      this.pulled++;
      return Promise.resolve({ value: l, done: false });
    }
    if (this.ended || this.returned) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.rejecter = reject;
    });
  }

  return(): Promise<IteratorResult<Line>> {
    this.returned = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }
}

/** An endless input that counts how many lines were taken from it. */
async function* endless(counter: { n: number }): AsyncGenerator<Line> {
  for (;;) {
    counter.n++;
    yield { text: 'e', n: counter.n };
  }
}

function list(...ns: number[]): Line[] {
  return ns.map((n) => ({ text: `l${n}`, n }));
}

async function* lines(...ns: number[]): AsyncGenerator<Line> {
  yield* list(...ns);
}

async function* none(): AsyncGenerator<Line> {
  // an input without items
}

const ctx: CallContext = { appId: 'caller', namespace: 'ns' };
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

function frame(id: number, type: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt32BE(5 + payload.length, 0);
  head.writeUInt32BE(id, 4);
  head[8] = type;
  return Buffer.concat([head, payload]);
}

function requestFrame(id: number, method: number, req: Line, streamWindow?: number): Buffer {
  const w = new BinaryWriter();
  const h = toRequestHeader(method, ctx, 0);
  h.streamWindow = streamWindow;
  RequestHeader.encode(h, w.fork()).join();
  Line.encode(req, w);
  return frame(id, FrameType.FRAME_TYPE_REQUEST, w.finish());
}

/** A raw client socket: Hello sent, every frame received recorded. */
async function rawClient(port: number): Promise<{ sock: Socket; frames: Array<{ id: number; type: number; payload: Buffer }> }> {
  const sock = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const frames: Array<{ id: number; type: number; payload: Buffer }> = [];
  const reader = new FrameReader(1 << 20, (id, type, payload) => frames.push({ id, type, payload: Buffer.from(payload) }));
  sock.on('data', (c: Buffer) => reader.push(c));
  sock.write(frame(0, FrameType.FRAME_TYPE_HELLO, Hello.encode({ service: SERVICE.name, version: 1 }).finish()));
  return { sock, frames };
}

describe('framed transport: duplex calls', () => {
  let api: FakeChatApi;
  let server: FramedServer<ChatApi>;
  let client: FramedClient;
  let port: number;

  beforeEach(async () => {
    api = new FakeChatApi();
    server = new FramedServer(SERVICE, api);
    ({ port } = await server.listen('127.0.0.1', 0));
    client = new FramedClient(`127.0.0.1:${port}`, SERVICE);
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  it('bidirectional: every input reaches the server in order and every answer comes back in order; the half-close ends the call', async () => {
    const input = lines(...Array.from({ length: 2000 }, (_, i) => i + 1));
    const out = await collect(client.duplex(METHODS.chat, { text: 'open', n: 0 }, input, ctx));
    expect(out).toHaveLength(2000);
    expect(out.every((l, i) => l.n === (i + 1) * 10 && l.text === `l${i + 1}`)).toBe(true);
    expect(api.seen[0]?.inputs).toHaveLength(2000);
    expect(api.seen[0]?.inputDone).toBe(true);
    expect(client.inFlight).toBe(0);
    expect(server.acceptedConnections).toBe(1);
  });

  it('ping-pong: each answer arrives before the next input is written', async () => {
    const input = new Input();
    const it = client.duplex(METHODS.chat, { text: 'pp', n: 0 }, input, ctx)[Symbol.asyncIterator]();
    for (let i = 1; i <= 5; i++) {
      input.push({ text: `q${i}`, n: i });
      await expect(it.next()).resolves.toEqual({ value: { text: `q${i}`, n: i * 10 }, done: false });
    }
    input.end();
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('client streaming: the server answers once after the half-close; the opening request and the context reach it', async () => {
    let seenCtx: CallContext | undefined;
    api.handler = async function* (req, input, c, s) {
      seenCtx = c;
      let sum = 0;
      for await (const l of input) {
        s.inputs.push(l);
        sum += l.n;
      }
      yield { text: `${req.text}:sum`, n: sum };
    };
    const out = await collect(client.duplex(METHODS.chat, { text: 'total', n: 0 }, lines(1, 2, 3, 4), { ...ctx, traceparent: 'tp', deadline: Date.now() + 60_000 }));
    expect(out).toEqual([{ text: 'total:sum', n: 10 }]);
    expect(seenCtx).toMatchObject({ appId: 'caller', namespace: 'ns', traceparent: 'tp' });
    expect(seenCtx?.signal).toBeInstanceOf(AbortSignal);
    expect(seenCtx?.deadline).toBeGreaterThan(Date.now());
  });

  it('an empty input half-closes at once', async () => {
    await expect(collect(client.duplex(METHODS.chat, { text: 'x', n: 0 }, none(), ctx))).resolves.toEqual([]);
    expect(api.seen[0]?.inputDone).toBe(true);
  });

  it('input flow control: a server that does not read holds the caller to INPUT_WINDOW items; reading releases more', async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    api.handler = async function* (_req, input, _c, s) {
      await gate;
      for await (const l of input) {
        s.inputs.push(l);
        if (s.inputs.length === 100) break;
      }
      yield { text: 'read', n: s.inputs.length };
    };
    const counter = { n: 0 };
    const out = collect(client.duplex(METHODS.chat, { text: 'fc', n: 0 }, endless(counter), ctx));
    await sleep(100);
    // INPUT_WINDOW sent, plus the one the pump holds while it waits for credit
    expect(counter.n).toBeGreaterThanOrEqual(INPUT_WINDOW);
    expect(counter.n).toBeLessThanOrEqual(INPUT_WINDOW + 1);
    release?.();
    await expect(out).resolves.toEqual([{ text: 'read', n: 100 }]);
    expect(api.seen[0]?.inputs.map((l) => l.n)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // the call is over: the endless input was released, not read on
    const after = counter.n;
    await sleep(30);
    expect(counter.n).toBe(after);
    expect(after).toBeLessThanOrEqual(100 + INPUT_WINDOW + 1);
  });

  it('the server finishing first ends the call: the caller stops reading its input and calls its return()', async () => {
    api.handler = async function* (_req, input, _c, s) {
      for await (const l of input) {
        s.inputs.push(l);
        if (s.inputs.length === 3) break;
      }
      yield { text: 'enough', n: 3 };
    };
    const input = new Input();
    input.push(...list(1, 2, 3));
    const out = await collect(client.duplex(METHODS.chat, { text: 'f', n: 0 }, input, ctx));
    expect(out).toEqual([{ text: 'enough', n: 3 }]);
    await until(() => input.returned, "the input's return()");
    expect(client.inFlight).toBe(0);
  });

  it('the caller leaving the loop cancels the call: the server sees its signal aborted, its input fail and its producer returned; the input is released', async () => {
    api.handler = async function* (_req, input, _c, s) {
      try {
        for await (const l of input) {
          s.inputs.push(l);
          yield l;
        }
      } catch (e) {
        s.inputError = e;
        throw e;
      }
    };
    const input = new Input();
    input.push(...list(1));
    for await (const l of client.duplex(METHODS.chat, { text: 'c', n: 0 }, input, ctx)) {
      expect(l.n).toBe(1);
      break;
    }
    await until(() => api.seen[0]?.abortReason !== undefined, 'the server side to be aborted');
    const reason = api.seen[0]?.abortReason;
    expect(isApiError(reason) ? [reason.code, reason.grpcCode] : reason).toEqual(['ERR_CHAT', GrpcCode.CANCELLED]);
    await until(() => api.seen[0]?.inputError !== undefined || api.seen[0]?.returned === true, 'the server input to fail or the producer to be returned');
    expect(input.returned).toBe(true);
    await expect(client.call(METHODS.ask, { text: 'still', n: 1 }, ctx)).resolves.toMatchObject({ text: 'still' });
  });

  it('aborting ctx.signal cancels both sides at once', async () => {
    api.handler = async function* (_req, input, _c, s) {
      try {
        for await (const l of input) yield l;
      } catch (e) {
        s.inputError = e;
      }
    };
    const ac = new AbortController();
    const input = new Input();
    const it = client.duplex(METHODS.chat, { text: 'a', n: 0 }, input, { ...ctx, signal: ac.signal })[Symbol.asyncIterator]();
    input.push({ text: 'one', n: 1 });
    await expect(it.next()).resolves.toMatchObject({ value: { n: 1 } });
    const pending = it.next();
    ac.abort();
    const e = await pending.then(
      () => undefined,
      (err: unknown) => err as ApiError,
    );
    expect([e?.code, e?.message, e?.grpcCode]).toEqual(['ERR_CHAT', 'failed to chat a: context canceled', GrpcCode.CANCELLED]);
    await until(() => api.seen[0]?.inputError !== undefined, 'the server input to fail with the abort');
    expect(isApiError(api.seen[0]?.inputError) && (api.seen[0]?.inputError as ApiError).grpcCode).toBe(GrpcCode.CANCELLED);
    expect(input.returned).toBe(true);
  });

  it('the deadline ends a duplex call on both sides', async () => {
    api.handler = async function* (_req, input, c, s) {
      try {
        for await (const l of input) yield l;
      } catch (e) {
        s.inputError = e;
      }
      void c;
    };
    const input = new Input();
    input.push({ text: 'x', n: 1 });
    const { items, error } = await collectUntilError(client.duplex(METHODS.chat, { text: 'd', n: 0 }, input, { ...ctx, deadline: Date.now() + 80 }));
    expect(items).toEqual([{ text: 'x', n: 1 }]);
    expect([error.code, error.grpcCode, error.retryable]).toEqual(['ERR_CHAT', GrpcCode.DEADLINE_EXCEEDED, true]);
    await until(() => api.seen[0]?.inputError !== undefined, 'the server-side deadline');
    expect((api.seen[0]?.inputError as ApiError).grpcCode).toBe(GrpcCode.DEADLINE_EXCEEDED);
    expect(input.returned).toBe(true);
  });

  it("the server's ApiError arrives intact after the answers sent before it; the input is released", async () => {
    const original = new ApiError({ code: 'ERR_X', message: 'no more', httpStatus: 409, grpcCode: GrpcCode.ABORTED, retryable: false });
    api.handler = async function* (_req, input) {
      let k = 0;
      for await (const l of input) {
        yield l;
        if (++k === 2) throw original;
      }
    };
    const input = new Input();
    input.push(...list(1, 2, 3));
    const { items, error } = await collectUntilError(client.duplex(METHODS.chat, { text: 'e', n: 0 }, input, ctx));
    expect(items.map((l) => l.n)).toEqual([1, 2]);
    expect(error.toJSON()).toEqual(original.toJSON());
    await until(() => input.returned, "the input's return()");
  });

  it("an input that throws cancels the call; an ApiError it throws is the caller's error", async () => {
    api.handler = async function* (_req, input, _c, s) {
      try {
        for await (const l of input) yield l;
      } catch (e) {
        s.inputError = e;
      }
    };
    const input = new Input();
    const thrown = new ApiError({ code: 'ERR_INPUT', message: 'client went away', httpStatus: 499, grpcCode: GrpcCode.CANCELLED, retryable: false });
    const it = client.duplex(METHODS.chat, { text: 't', n: 0 }, input, ctx)[Symbol.asyncIterator]();
    input.push({ text: 'one', n: 1 });
    await expect(it.next()).resolves.toMatchObject({ value: { n: 1 } });
    const pending = it.next();
    input.fail(thrown);
    await expect(pending).rejects.toBe(thrown);
    await until(() => api.seen[0]?.inputError !== undefined, 'the server to see the cancel');
    expect((api.seen[0]?.inputError as ApiError).grpcCode).toBe(GrpcCode.CANCELLED);
  });

  it('the connection dying fails the call as unreachable on the caller, aborts it on the server and releases the input', async () => {
    // the client talks through a TCP proxy; destroying it is the network or a process dying
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
    api.handler = async function* (_req, input, _c, s) {
      try {
        for await (const l of input) yield l;
      } catch (e) {
        s.inputError = e;
      }
    };
    const input = new Input();
    const it = client.duplex(METHODS.chat, { text: 'g', n: 0 }, input, ctx)[Symbol.asyncIterator]();
    input.push({ text: 'one', n: 1 });
    await expect(it.next()).resolves.toMatchObject({ value: { n: 1 } });
    const pending = it.next();
    for (const sock of proxySockets) sock.destroy();
    proxy.close();
    const e = await pending.then(
      () => undefined,
      (err: unknown) => err as ApiError,
    );
    expect([e?.code, e?.grpcCode, e?.retryable]).toEqual(['ERR_CHAT', GrpcCode.UNAVAILABLE, true]);
    expect(e?.message).toMatch(new RegExp(`^failed to chat g: chat-svc at 127\\.0\\.0\\.1:${proxyPort} is unreachable: `));
    expect(input.returned).toBe(true);
    await until(() => api.seen[0]?.inputError !== undefined, 'the server side to be aborted');
    expect((api.seen[0]?.inputError as ApiError).grpcCode).toBe(GrpcCode.CANCELLED);
  });

  it('a server shutting down ends an open duplex call with a retryable UNAVAILABLE', async () => {
    api.handler = async function* (_req, input) {
      for await (const l of input) yield l;
    };
    const input = new Input();
    const it = client.duplex(METHODS.chat, { text: 's', n: 0 }, input, ctx)[Symbol.asyncIterator]();
    input.push({ text: 'one', n: 1 });
    await expect(it.next()).resolves.toMatchObject({ value: { n: 1 } });
    const closing = server.close(2000);
    const e = await it.next().then(
      () => undefined,
      (err: unknown) => err as ApiError,
    );
    expect([e?.message, e?.grpcCode, e?.retryable]).toEqual(['failed to chat s: chat-svc is shutting down', GrpcCode.UNAVAILABLE, true]);
    await closing;
  });

  it('duplex calls and unary calls interleave on one connection', async () => {
    const calls = Array.from({ length: 10 }, (_, k) =>
      collect(client.duplex(METHODS.chat, { text: `c${k}`, n: 0 }, lines(...Array.from({ length: 50 + k }, (_, i) => i + 1)), ctx)),
    );
    const asks = Array.from({ length: 30 }, (_, k) => client.call(METHODS.ask, { text: `a${k}`, n: k + 1 }, ctx));
    const [outs, answers] = await Promise.all([Promise.all(calls), Promise.all(asks)]);
    outs.forEach((o, k) => expect(o.map((l) => l.n)).toEqual(Array.from({ length: 50 + k }, (_, i) => (i + 1) * 10)));
    expect(answers.map((a) => a.n)).toEqual(Array.from({ length: 30 }, (_, k) => k + 1));
    expect(server.acceptedConnections).toBe(1);
  });

  describe('on the wire (raw sockets)', () => {
    it('the server returns STREAM_CREDIT as its consumer takes input, in batches of half the window; STREAM_END is the half-close', async () => {
      const { sock, frames } = await rawClient(port);
      sock.write(requestFrame(1, METHODS.chat.id, { text: 'w', n: 0 }, 0));
      for (let i = 1; i <= INPUT_WINDOW; i++) sock.write(frame(1, FrameType.FRAME_TYPE_STREAM_ITEM, Line.encode({ text: 'i', n: i }).finish()));
      await until(() => frames.filter((f) => f.type === FrameType.FRAME_TYPE_STREAM_ITEM).length === INPUT_WINDOW, 'the echoes');
      const credits = frames.filter((f) => f.type === FrameType.FRAME_TYPE_STREAM_CREDIT).map((f) => StreamCredit.decode(f.payload).items);
      expect(credits).toEqual([INPUT_WINDOW / 2, INPUT_WINDOW / 2]);
      sock.write(frame(1, FrameType.FRAME_TYPE_STREAM_END, new Uint8Array(0)));
      await until(() => frames.some((f) => f.type === FrameType.FRAME_TYPE_STREAM_END), 'the end of the answer');
      expect(api.seen[0]?.inputDone).toBe(true);
      sock.destroy();
    });

    it('a caller that sends more input than its credit is refused with ERROR; the call is over', async () => {
      api.handler = async function* (_req, input, c, s) {
        try {
          // does not read until the call is aborted
          await new Promise((r) => c.signal?.addEventListener('abort', r, { once: true }));
          for await (const l of input) yield l;
        } catch (e) {
          s.inputError = e;
        }
      };
      const { sock, frames } = await rawClient(port);
      sock.write(requestFrame(1, METHODS.chat.id, { text: 'o', n: 0 }, 0));
      for (let i = 1; i <= INPUT_WINDOW + 1; i++) sock.write(frame(1, FrameType.FRAME_TYPE_STREAM_ITEM, Line.encode({ text: 'i', n: i }).finish()));
      await until(() => frames.some((f) => f.type === FrameType.FRAME_TYPE_ERROR), 'the ERROR');
      const err = ErrorStatus.decode(frames.find((f) => f.type === FrameType.FRAME_TYPE_ERROR)?.payload ?? new Uint8Array(0));
      expect(err.message).toMatch(/^failed to chat o: protocol error: more input items than the flow-control window of 16/);
      expect(err.grpcCode).toBe(GrpcCode.INTERNAL);
      await until(() => api.seen[0]?.abortReason !== undefined, 'the handler to be aborted');
      sock.destroy();
    });

    it('input after the half-close breaks the protocol too; input for a call that is over is ignored', async () => {
      const { sock, frames } = await rawClient(port);
      sock.write(requestFrame(1, METHODS.chat.id, { text: 'h', n: 0 }, 0));
      sock.write(frame(1, FrameType.FRAME_TYPE_STREAM_END, new Uint8Array(0)));
      await until(() => frames.some((f) => f.id === 1 && f.type === FrameType.FRAME_TYPE_STREAM_END), 'the end of call 1');
      sock.write(frame(1, FrameType.FRAME_TYPE_STREAM_ITEM, Line.encode({ text: 'late', n: 1 }).finish()));
      // a second call whose caller writes after its own half-close
      api.handler = async function* (_req, input) {
        await new Promise((r) => setTimeout(r, 50));
        for await (const l of input) yield l;
      };
      sock.write(requestFrame(3, METHODS.chat.id, { text: 'h2', n: 0 }, 0));
      sock.write(frame(3, FrameType.FRAME_TYPE_STREAM_END, new Uint8Array(0)));
      sock.write(frame(3, FrameType.FRAME_TYPE_STREAM_ITEM, Line.encode({ text: 'late', n: 1 }).finish()));
      await until(() => frames.some((f) => f.id === 3 && f.type === FrameType.FRAME_TYPE_ERROR), 'the ERROR of call 3');
      const err = ErrorStatus.decode(frames.find((f) => f.id === 3 && f.type === FrameType.FRAME_TYPE_ERROR)?.payload ?? new Uint8Array(0));
      expect(err.message).toBe('failed to chat h2: protocol error: an input item after the half-close');
      expect(frames.filter((f) => f.id === 1 && f.type === FrameType.FRAME_TYPE_ERROR)).toHaveLength(0);
      sock.destroy();
    });
  });
});

describe('framed transport: upgradable unary calls (RESPONSE_STREAM)', () => {
  let api: FakeChatApi;
  let server: FramedServer<ChatApi>;
  let client: FramedClient;
  let port: number;

  beforeEach(async () => {
    api = new FakeChatApi();
    server = new FramedServer(SERVICE, api);
    ({ port } = await server.listen('127.0.0.1', 0));
    client = new FramedClient(`127.0.0.1:${port}`, SERVICE, { streamWindow: 4 });
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  /** A rest of `n` items that records how far it was read and whether it was returned. */
  function rest(n: number, seen: { sent: number; returned: boolean }, gapMs = 0): AsyncIterable<Line> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (gapMs > 0) await sleep(gapMs);
          if (seen.sent >= n) return { value: undefined, done: true };
          seen.sent++;
          return { value: { text: 'r', n: seen.sent }, done: false };
        },
        return: async () => {
          seen.returned = true;
          return { value: undefined, done: true };
        },
      }),
    };
  }

  it('a plain answer stays a plain RESPONSE', async () => {
    const a = await client.call(METHODS.ask, { text: 'plain', n: 1 }, ctx);
    expect(a).toEqual({ text: 'plain', n: 1 });
    expect(a[REST]).toBeUndefined();
  });

  it('a streamed answer resolves with the head; the rest arrives in order, flow-controlled by the window', async () => {
    const seen = { sent: 0, returned: false };
    api.asker = async (req) => ({ text: `${req.text}:head`, n: 0, [REST]: rest(200, seen) });
    const a = await client.call(METHODS.ask, { text: 'up', n: 0 }, { ...ctx, deadline: Date.now() + 30_000 });
    expect({ text: a.text, n: a.n }).toEqual({ text: 'up:head', n: 0 });
    const it = (a[REST] as AsyncIterable<Line>)[Symbol.asyncIterator]();
    await sleep(50);
    // window 4 plus the one item the producer holds while it waits
    expect(seen.sent).toBeLessThanOrEqual(5);
    const items: Line[] = [];
    for (;;) {
      const r = await it.next();
      if (r.done === true) break;
      items.push(r.value);
    }
    expect(items.map((l) => l.n)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(client.inFlight).toBe(0);
    expect(seen.returned).toBe(false);
  });

  it('returning the rest early cancels it on the server (its return() runs)', async () => {
    const seen = { sent: 0, returned: false };
    api.asker = async () => ({ text: 'h', n: 0, [REST]: rest(1_000_000, seen, 1) });
    const a = await client.call(METHODS.ask, { text: 'c', n: 0 }, ctx);
    for await (const l of a[REST] as AsyncIterable<Line>) if (l.n === 3) break;
    await until(() => seen.returned, 'return() on the rest');
    expect(client.inFlight).toBe(0);
  });

  it("the caller's deadline still holds after the upgrade", async () => {
    const seen = { sent: 0, returned: false };
    api.asker = async () => ({ text: 'h', n: 0, [REST]: rest(1_000_000, seen, 20) });
    const a = await client.call(METHODS.ask, { text: 'd', n: 0 }, { ...ctx, deadline: Date.now() + 150 });
    const { items, error } = await collectUntilError(a[REST] as AsyncIterable<Line>);
    expect(items.length).toBeGreaterThan(0);
    expect([error.code, error.grpcCode]).toEqual(['ERR_ASK', GrpcCode.DEADLINE_EXCEEDED]);
    await until(() => seen.returned, 'the server to stop the rest at its deadline');
  });

  it('a caller that did not say it takes streams gets ERROR UNIMPLEMENTED and the rest is released', async () => {
    const seen = { sent: 0, returned: false };
    api.asker = async () => ({ text: 'h', n: 0, [REST]: rest(10, seen) });
    const { sock, frames } = await rawClient(port);
    sock.write(requestFrame(1, METHODS.ask.id, { text: 'old', n: 0 }));
    await until(() => frames.length > 0, 'an answer');
    expect(frames[0]?.type).toBe(FrameType.FRAME_TYPE_ERROR);
    const err = ErrorStatus.decode(frames[0]?.payload ?? new Uint8Array(0));
    expect([err.code, err.grpcCode]).toEqual(['ERR_API_UNIMPLEMENTED', GrpcCode.UNIMPLEMENTED]);
    await until(() => seen.returned, 'the rest to be released');
    // with stream_window set (0 = no flow control) the same call is upgraded
    sock.write(requestFrame(3, METHODS.ask.id, { text: 'new', n: 0 }, 0));
    await until(() => frames.some((f) => f.id === 3 && f.type === FrameType.FRAME_TYPE_STREAM_END), 'the streamed answer');
    expect(frames.filter((f) => f.id === 3).map((f) => f.type)).toEqual([
      FrameType.FRAME_TYPE_RESPONSE_STREAM,
      ...Array.from({ length: 10 }, () => FrameType.FRAME_TYPE_STREAM_ITEM),
      FrameType.FRAME_TYPE_STREAM_END,
    ]);
    sock.destroy();
  });
});
