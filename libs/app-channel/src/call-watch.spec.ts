// CallWatch: a context's signal, deadline, or (lazy-abort protocol) its abort report, turned into
// one "abort now, with this error" notification for an app call.
import { ApiError, GrpcCode } from '@tessera/contracts';
import type { AbortHandler, LazyAbortContext } from '@tessera/contracts';
import { CallWatch } from './call-watch';

/** A context like the framed server's InvokeService contexts: signal made on first use. */
class LazyCtx implements LazyAbortContext {
  readonly appId = 'caller';
  readonly namespace = 'ns';
  made = 0;
  aborted = false;
  readonly handlers = new Set<AbortHandler>();
  #controller: AbortController | undefined;
  constructor(private readonly reason: unknown) {}
  get signalIfMade(): AbortSignal | undefined {
    return this.#controller?.signal;
  }
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.made++;
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }
  onAbort(h: AbortHandler): void {
    if (!this.aborted) this.handlers.add(h);
  }
  offAbort(h: AbortHandler): void {
    this.handlers.delete(h);
  }
  abort(): void {
    this.aborted = true;
    this.#controller?.abort(this.reason);
    for (const h of [...this.handlers]) h.handleEvent();
  }
}

const REASON = new ApiError({ code: 'ERR_DIRECT_INVOKE', message: 'failed to invoke method m: context canceled', httpStatus: 500, grpcCode: GrpcCode.CANCELLED, retryable: false });

describe('CallWatch with a lazy-abort context', () => {
  it('watches without making the signal, and lets go on dispose', () => {
    const ctx = new LazyCtx(REASON);
    const w = CallWatch.for('app', ctx);
    const got: ApiError[] = [];
    w.onAbort((e) => got.push(e));
    expect(ctx.handlers.size).toBe(1);
    w.dispose();
    expect(ctx.handlers.size).toBe(0);
    ctx.abort();
    expect([got, ctx.made]).toEqual([[], 0]);
  });

  it('an abort reaches the handler with the context’s reason (an ApiError passes through as it is)', () => {
    const ctx = new LazyCtx(REASON);
    const w = CallWatch.for('app', ctx);
    const got: ApiError[] = [];
    w.onAbort((e) => got.push(e));
    ctx.abort();
    expect(got).toEqual([REASON]);
    expect(w.error).toBe(REASON);
    w.dispose();
  });

  it('any other reason is the caller-cancelled error; a context aborted already is reported at once', () => {
    const other = new LazyCtx(new Error('gone'));
    const w = CallWatch.for('app', other);
    other.abort();
    expect([w.error?.code, w.error?.grpcCode]).toEqual(['ERR_DIRECT_INVOKE', GrpcCode.CANCELLED]);
    const done = new LazyCtx(REASON);
    done.abort();
    const w2 = CallWatch.for('app', done);
    const got: ApiError[] = [];
    w2.onAbort((e) => got.push(e));
    expect(got).toEqual([REASON]);
    expect(done.handlers.size).toBe(0);
  });

  it('a signal already made is watched as a signal', () => {
    const ctx = new LazyCtx(REASON);
    void ctx.signal;
    const w = CallWatch.for('app', ctx);
    expect(ctx.handlers.size).toBe(0);
    ctx.abort();
    expect(w.error).toBe(REASON);
    w.dispose();
  });

  it('a plain context with neither signal nor deadline gets the inert watch', () => {
    const w = CallWatch.for('app', { appId: 'a', namespace: '' });
    const got: ApiError[] = [];
    w.onAbort((e) => got.push(e));
    w.dispose();
    expect([w.error, got]).toEqual([undefined, []]);
  });
});
