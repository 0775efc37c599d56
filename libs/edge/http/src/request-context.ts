// The CallContext of one HTTP API request: caller identity, trace context, and an abort that
// fires when the client goes away before its answer (as daprd's request context is cancelled),
// so a block, a component or the internal transport can stop work nobody waits for. Nothing is
// made up front: the signal is made on first use (a route whose block never looks at it, the
// state read path, allocates no AbortController and registers no listener), and the context
// speaks the lazy-abort protocol (CallContext in @tessera/contracts), so service invocation
// watches the request through handlers without ever making the signal unless the client leaves.
// At most one 'close' listener per request, shared by the handlers and the signal.
// The client is watched through the ServerResponse, not the IncomingMessage: the request emits
// 'close' as soon as its body has been read (Node 16+), i.e. before the handler of any route with
// a body runs, and says nothing when the client leaves after that. The response closes once,
// after the answer or when the connection drops first.
// The signal and the protocol live on the prototype (getters and methods), so `{ ...ctx, signal }`
// copies replace both, as before.
import type { ServerResponse } from 'node:http';
import { AbortHandlers } from '@tessera/contracts';
import type { AbortHandler, LazyAbortContext } from '@tessera/contracts';

/** One reason shared by every abort: no DOMException (and stack trace) per request. */
export const CLIENT_GONE: Error = Object.freeze(new Error('the client closed the connection before the answer'));

/** The response was torn down before the answer was handed to the socket (the client left). */
function clientGone(res: ServerResponse): boolean {
  return res.destroyed && !res.writableFinished;
}

export class RequestContext implements LazyAbortContext {
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly #res: ServerResponse;
  #controller: AbortController | undefined = undefined;
  #handlers: AbortHandlers | undefined = undefined;
  #listening = false;
  /** Seen gone once: stays so (an answer written after the close would read as finished). */
  #gone = false;

  constructor(
    readonly appId: string,
    readonly namespace: string,
    /** The request's raw response (reply.raw): its 'close' tells an answer from a client gone. */
    res: ServerResponse,
    traceparent?: string,
    tracestate?: string,
  ) {
    this.#res = res;
    this.traceparent = traceparent;
    this.tracestate = tracestate;
  }

  /** The signal if something asked for it already (CallContext.signalIfMade). */
  get signalIfMade(): AbortSignal | undefined {
    return this.#controller?.signal;
  }

  /** Aborted (reason CLIENT_GONE) when the client disconnects before the answer is sent. */
  get signal(): AbortSignal {
    let c = this.#controller;
    if (c === undefined) {
      c = new AbortController();
      this.#controller = c;
      if (this.#isGone()) c.abort(CLIENT_GONE);
      else this.#listen();
    }
    return c.signal;
  }

  /** True once the client has gone before its answer (makes nothing). */
  get aborted(): boolean {
    return this.#isGone();
  }

  /** `h.handleEvent()` once if the client goes before its answer; never if it already has. */
  onAbort(h: AbortHandler): void {
    if (this.#isGone()) return;
    (this.#handlers ??= new AbortHandlers()).add(h);
    this.#listen();
  }

  offAbort(h: AbortHandler): void {
    this.#handlers?.delete(h);
  }

  /** The one 'close' listener of this request, for the signal and the handlers alike. */
  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    const res = this.#res;
    // Closed after its answer: nothing can abort the request any more.
    if (!res.closed) res.once('close', () => this.#closed());
  }

  #isGone(): boolean {
    if (!this.#gone && clientGone(this.#res)) this.#gone = true;
    return this.#gone;
  }

  #closed(): void {
    if (!this.#isGone()) return;
    this.#controller?.abort(CLIENT_GONE);
    const handlers = this.#handlers;
    this.#handlers = undefined;
    handlers?.fire();
  }
}
