// The CallContext of one gRPC API call: caller identity, trace context, and an abort signal that
// fires when the call ends before its answer (client cancel, deadline, disconnect), so a block, a
// component or the internal transport can stop work nobody waits for. The signal is made on first
// use: a handler whose block never looks at it allocates no AbortController and registers no
// listener; the internal transport's unary calls pass it on only if it exists (signalIfMade).
// The signal lives on the prototype (a getter), so `{ ...ctx, signal }` copies replace it. The
// context also speaks the lazy-abort protocol (onAbort / offAbort / aborted), which a copy drops
// as well.
import type { AbortHandler, LazyAbortContext } from '@tessera/contracts';

/** What the context needs of a grpc-js server call. */
export interface CallLifetime {
  readonly cancelled: boolean;
  once(event: 'cancelled', listener: () => void): unknown;
}

/**
 * One reason shared by every abort: grpc-js emits `cancelled` when a call's stream closes,
 * answered or not, and an abort() without a reason builds a DOMException with a stack each time.
 */
export const CALL_ENDED: Error = Object.freeze(new Error('the gRPC call ended or was cancelled by the client'));

export class GrpcCallContext implements LazyAbortContext {
  readonly #call: CallLifetime | undefined;
  #controller: AbortController | undefined = undefined;
  /** Lazy-abort handlers: one, or a list; told on the call's `cancelled`. */
  #handler: AbortHandler | AbortHandler[] | undefined = undefined;
  #listening = false;

  constructor(
    readonly appId: string,
    readonly namespace: string,
    call: CallLifetime | undefined,
    readonly traceparent?: string,
    readonly tracestate?: string,
    /** Absolute deadline (epoch ms) of the call, when the client set one and the handler passes it on. */
    readonly deadline?: number,
  ) {
    this.#call = call;
  }

  /** The signal if something asked for it already (CallContext.signalIfMade). */
  get signalIfMade(): AbortSignal | undefined {
    return this.#controller?.signal;
  }

  /** Aborted (reason CALL_ENDED) when the call ends; undefined for a context without a call. */
  get signal(): AbortSignal | undefined {
    const call = this.#call;
    if (call === undefined) return undefined;
    let c = this.#controller;
    if (c === undefined) {
      const controller = new AbortController();
      c = controller;
      this.#controller = controller;
      if (call.cancelled) controller.abort(CALL_ENDED);
      else call.once('cancelled', () => controller.abort(CALL_ENDED));
    }
    return c.signal;
  }

  // The lazy-abort protocol (CallContext in @tessera/contracts): the internal
  // transport and the app channel watch the call through these without making the signal (an
  // AbortSignal per call costs CPU and, once promoted, mark-compacts).

  /** True once grpc-js reports the call cancelled (for an answered call that is after the answer). */
  get aborted(): boolean {
    return this.#call?.cancelled === true;
  }

  /** `h.handleEvent()` when the call ends; never for a context without a call, nor if it ended already. */
  onAbort(h: AbortHandler): void {
    const call = this.#call;
    if (call === undefined || call.cancelled) return;
    const cur = this.#handler;
    if (cur === undefined) this.#handler = h;
    else if (Array.isArray(cur)) cur.push(h);
    else this.#handler = [cur, h];
    if (!this.#listening) {
      this.#listening = true;
      call.once('cancelled', () => this.#ended());
    }
  }

  offAbort(h: AbortHandler): void {
    const cur = this.#handler;
    if (cur === h) this.#handler = undefined;
    else if (Array.isArray(cur)) {
      const i = cur.indexOf(h);
      if (i >= 0) cur.splice(i, 1);
    }
  }

  #ended(): void {
    const cur = this.#handler;
    this.#handler = undefined;
    if (cur === undefined) return;
    if (Array.isArray(cur)) for (const h of cur) h.handleEvent();
    else cur.handleEvent();
  }
}
