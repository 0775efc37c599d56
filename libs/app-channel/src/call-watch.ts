// Per-call cancellation for app-channel calls: turns the caller's AbortSignal and absolute
// deadline (CallContext) into one "abort now, with this error" notification. A call registers one
// handler at a time (first while queued for a concurrency slot, then while the request is in
// flight); a handler set after the call was aborted runs at once.
// No AbortSignal.any / AbortSignal.timeout per call: one listener and one timer, both released
// by dispose(), and nothing at all when the context has neither signal nor deadline. A context
// with the lazy-abort protocol (CallContext in @tessera/contracts: the framed server's
// InvokeService calls, the edges' contexts) is watched through it, so its signal is never made
// unless the call is actually aborted.
import { ApiError, GrpcCode, InvokeErrors, isApiError, lazyAbortOf } from '@tessera/contracts';
import type { CallContext, LazyAbortContext } from '@tessera/contracts';

/** What a call does when it is aborted (not the protocol's AbortHandler: this one gets the error). */
type AbortCallback = (err: ApiError) => void;

/** The caller went away (its signal fired) before the app answered. */
export function callCancelled(appId: string, reason?: unknown): ApiError {
  if (isApiError(reason)) return reason;
  return new ApiError({
    code: 'ERR_DIRECT_INVOKE',
    message: `failed to invoke, id: ${appId}, err: the call was cancelled by the caller`,
    httpStatus: 500,
    grpcCode: GrpcCode.CANCELLED,
    retryable: false,
  });
}

export class CallWatch {
  /** Set once the call is aborted; later handlers receive it immediately. */
  error: ApiError | undefined;
  private handler: AbortCallback | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly lazy: LazyAbortContext | undefined;

  protected constructor(
    private readonly appId: string,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
    lazy?: LazyAbortContext,
  ) {
    if (signal !== undefined) {
      if (signal.aborted) {
        this.error = callCancelled(appId, signal.reason);
      } else {
        this.signal = signal;
        signal.addEventListener('abort', this.onSignal, { once: true });
      }
    } else if (lazy !== undefined) {
      if (lazy.aborted) {
        this.error = callCancelled(appId, lazy.signal?.reason);
      } else {
        this.lazy = lazy;
        lazy.onAbort(this);
      }
    }
    if (deadline !== undefined && this.error === undefined) {
      const ms = Math.ceil(deadline - Date.now());
      if (ms <= 0) this.error = InvokeErrors.timeout(appId, 0);
      else this.timer = setTimeout(this.onTimeout, ms, ms);
    }
  }

  /**
   * A watch for `ctx`; the shared inert one when ctx has neither signal nor deadline. A lazy-abort
   * context whose signal is not made yet is watched through the protocol (no signal made).
   */
  static for(appId: string, ctx: CallContext): CallWatch {
    const lazy = lazyAbortOf(ctx);
    if (lazy !== undefined) {
      const made = 'signalIfMade' in ctx ? ctx.signalIfMade : undefined;
      return new CallWatch(appId, made, ctx.deadline, made === undefined ? lazy : undefined);
    }
    if (ctx.signal === undefined && ctx.deadline === undefined) return NEVER;
    return new CallWatch(appId, ctx.signal, ctx.deadline);
  }

  /** A watch driven by a plain signal (health probes). */
  static ofSignal(appId: string, signal: AbortSignal): CallWatch {
    return new CallWatch(appId, signal, undefined);
  }

  /** Replaces the abort handler (undefined clears it); runs it now if already aborted. */
  onAbort(handler: AbortCallback | undefined): void {
    if (this.error !== undefined) {
      this.handler = undefined;
      handler?.(this.error);
    } else {
      this.handler = handler;
    }
  }

  dispose(): void {
    this.handler = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this.onSignal);
    this.lazy?.offAbort(this);
  }

  /** The lazy-abort context told us the call was aborted. */
  handleEvent(): void {
    this.fire(callCancelled(this.appId, this.lazy?.signal?.reason));
  }

  private fire(err: ApiError): void {
    if (this.error !== undefined) return;
    this.error = err;
    const h = this.handler;
    this.handler = undefined;
    h?.(err);
  }

  private readonly onSignal = (): void => {
    this.fire(callCancelled(this.appId, this.signal?.reason));
  };

  private readonly onTimeout = (ms: number): void => {
    this.timer = undefined;
    this.fire(InvokeErrors.timeout(this.appId, ms));
  };
}

/** Never aborts and keeps no handler: used when the caller gave no signal and no deadline. */
class NeverWatch extends CallWatch {
  constructor() {
    super('', undefined, undefined);
  }
  override onAbort(): void {
    // nothing can abort this call
  }
  override dispose(): void {
    // nothing to release
  }
}

const NEVER: CallWatch = new NeverWatch();
