// The CallContext of one gRPC API call: caller identity, trace context, and an abort signal that
// fires when the call ends before its answer (client cancel, deadline, disconnect), so a block, a
// component or the internal transport can stop work nobody waits for. The signal is made on first
// use: a handler whose block never looks at it allocates no AbortController and registers no
// listener; the internal transport's unary calls pass it on only if it exists (signalIfMade).
// The signal lives on the prototype (a getter), so `{ ...ctx, signal }` copies replace it.
import type { CallContext } from '@tessera/contracts';

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

export class GrpcCallContext implements CallContext {
  readonly #call: CallLifetime | undefined;
  #controller: AbortController | undefined = undefined;

  constructor(
    readonly appId: string,
    readonly namespace: string,
    call: CallLifetime | undefined,
    readonly traceparent?: string,
    readonly tracestate?: string,
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
}
