// The lazy-abort protocol across the framed transport: a caller context that reports its abort
// without making an AbortSignal keeps a unary call cancellable end to end, and a method marked
// lazyAbort hands the server's API a context whose signal is made only when asked for.
import { AbortHandlers, GrpcCode, isApiError, lazyAbortOf } from '@tessera/contracts';
import type { AbortHandler, CallContext, LazyAbortContext } from '@tessera/contracts';
import { ECHO_METHODS, Echo } from './echo-service.fixture';
import type { EchoApi } from './echo-service.fixture';
import { defineMethod, defineService, FramedClient, FramedServer } from './index';

const BINARY = Uint8Array.from([1, 2, 3]);
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** A caller context like the gRPC edge's: signal made on first use, abort told through the protocol. */
class LazyCtx implements LazyAbortContext {
  readonly appId = 'caller';
  readonly namespace = 'ns';
  made = 0;
  #aborted = false;
  #controller: AbortController | undefined;
  readonly #handlers = new AbortHandlers();
  constructor(readonly deadline?: number) {}
  get signalIfMade(): AbortSignal | undefined {
    return this.#controller?.signal;
  }
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.made++;
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(new Error('gone'));
    }
    return this.#controller.signal;
  }
  get aborted(): boolean {
    return this.#aborted;
  }
  onAbort(h: AbortHandler): void {
    if (!this.#aborted) this.#handlers.add(h);
  }
  offAbort(h: AbortHandler): void {
    this.#handlers.delete(h);
  }
  abort(): void {
    this.#aborted = true;
    this.#controller?.abort(new Error('gone'));
    this.#handlers.fire();
  }
}

const LAZY_ECHO = defineMethod<EchoApi, Echo, Echo>({ ...ECHO_METHODS.echo, lazyAbort: true });
const SERVICE = defineService<EchoApi>({ name: 'tessera.test.v1.EchoService', serverLabel: 'echo-svc', clientLabel: 'tester', methods: [LAZY_ECHO, ECHO_METHODS.touch] });

describe('lazy-abort protocol over the framed transport', () => {
  let server: FramedServer<EchoApi>;
  let client: FramedClient;
  const seen: CallContext[] = [];
  let handler: (req: Echo, ctx: CallContext) => Promise<Echo> = async (r) => r;

  beforeEach(async () => {
    seen.length = 0;
    handler = async (r) => r;
    const api: EchoApi = {
      echo: (req, ctx) => {
        seen.push(ctx);
        return handler(req, ctx);
      },
      touch: async (_req, ctx) => {
        seen.push(ctx);
      },
    };
    server = new FramedServer(SERVICE, api);
    const { port } = await server.listen('127.0.0.1', 0);
    client = new FramedClient(`127.0.0.1:${port}`, SERVICE);
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  it('a call completes without making either side’s signal, and stays cancellable (the server got a lazy context)', async () => {
    const ctx = new LazyCtx();
    await expect(client.call(LAZY_ECHO, { text: 'quick', data: BINARY }, ctx)).resolves.toMatchObject({ text: 'quick' });
    expect(ctx.made).toBe(0);
    const s = seen[0] as CallContext;
    const lazy = lazyAbortOf(s);
    expect(lazy).toBeDefined();
    expect([s.signalIfMade, lazy?.aborted, s.appId, s.namespace]).toEqual([undefined, false, 'caller', 'ns']);
  });

  it('a cancel reaches the server: its handlers are told, the signal it makes then is aborted with the method’s error', async () => {
    const told: string[] = [];
    handler = (_r, c) =>
      new Promise(() => {
        lazyAbortOf(c)?.onAbort({ handleEvent: () => told.push('told') });
      });
    const ctx = new LazyCtx();
    const p = client.call(LAZY_ECHO, { text: 'c', data: BINARY }, ctx).catch((e: unknown) => e);
    while (seen.length < 1) await tick();
    expect(ctx.made).toBe(0);
    ctx.abort();
    const e = await p;
    expect(isApiError(e) ? [e.message, e.grpcCode, e.retryable] : e).toEqual(['failed to echo c: context canceled', GrpcCode.CANCELLED, false]);
    while (told.length < 1) await tick();
    const s = seen[0] as CallContext;
    expect(lazyAbortOf(s)?.aborted).toBe(true);
    const reason: unknown = s.signal?.reason;
    expect(s.signal?.aborted).toBe(true);
    expect(isApiError(reason) ? [reason.code, reason.grpcCode] : reason).toEqual(['ERR_ECHO', GrpcCode.CANCELLED]);
  });

  it('a context aborted before the call fails it at once; nothing reaches the server', async () => {
    const ctx = new LazyCtx();
    ctx.abort();
    const e = await client.call(LAZY_ECHO, { text: 'late', data: BINARY }, ctx).catch((x: unknown) => x);
    expect(isApiError(e) ? e.grpcCode : e).toBe(GrpcCode.CANCELLED);
    await tick();
    expect(seen).toHaveLength(0);
  });

  it('the deadline aborts the server’s lazy context too', async () => {
    const told: string[] = [];
    handler = (_r, c) =>
      new Promise(() => {
        lazyAbortOf(c)?.onAbort({ handleEvent: () => told.push(String((c.signal?.reason as { grpcCode?: number }).grpcCode)) });
      });
    const e = await client.call(LAZY_ECHO, { text: 'slow', data: BINARY }, new LazyCtx(Date.now() + 50)).catch((x: unknown) => x);
    expect(isApiError(e) ? e.grpcCode : e).toBe(GrpcCode.DEADLINE_EXCEEDED);
    while (told.length < 1) await tick();
    expect(told).toEqual([String(GrpcCode.DEADLINE_EXCEEDED)]);
  });

  it('a method without lazyAbort: a lazy context with no signal made is not watched (no cancel, as before); with a signal, the server gets a plain context with its own', async () => {
    const lazy = new LazyCtx();
    await client.call(ECHO_METHODS.touch, { text: '', data: BINARY }, lazy);
    expect(lazyAbortOf(seen[0] as CallContext)).toBeUndefined();
    expect((seen[0] as CallContext).signal).toBeUndefined();
    expect(lazy.made).toBe(0);
    const ac = new AbortController();
    await client.call(ECHO_METHODS.touch, { text: '', data: BINARY }, { appId: 'caller', namespace: 'ns', signal: ac.signal });
    const s = seen[1] as CallContext;
    expect(lazyAbortOf(s)).toBeUndefined();
    expect(s.signal).toBeInstanceOf(AbortSignal);
  });
});
