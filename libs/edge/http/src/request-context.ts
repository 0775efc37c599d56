// The CallContext of one HTTP API request: caller identity, trace context, and an abort signal
// that fires when the client goes away before its answer (as daprd's request context is
// cancelled), so a block, a component or the internal transport can stop work nobody waits for.
// The signal is made on first use: a route whose block never looks at it (the state read path)
// allocates no AbortController and registers no listener; the internal transport's unary calls
// pass it on only if it exists (signalIfMade). The signal lives on the prototype (a getter), so
// `{ ...ctx, signal }` copies replace it as before.
import type { IncomingMessage } from 'node:http';
import type { CallContext } from '@tessera/contracts';

/** One reason shared by every abort: no DOMException (and stack trace) per request. */
export const CLIENT_GONE: Error = Object.freeze(new Error('the client closed the connection before the answer'));

/** The request ended because its connection did (not because the answer was sent). */
function clientGone(raw: IncomingMessage): boolean {
  const socket = raw.socket as IncomingMessage['socket'] | null;
  return socket === null || socket.destroyed;
}

export class RequestContext implements CallContext {
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly #raw: IncomingMessage;
  #controller: AbortController | undefined = undefined;

  constructor(
    readonly appId: string,
    readonly namespace: string,
    raw: IncomingMessage,
    traceparent?: string,
    tracestate?: string,
  ) {
    this.#raw = raw;
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
      const controller = new AbortController();
      c = controller;
      this.#controller = controller;
      const raw = this.#raw;
      // IncomingMessage 'close' comes after the answer, or when the connection drops first.
      if (raw.destroyed) {
        if (clientGone(raw)) controller.abort(CLIENT_GONE);
      } else {
        raw.once('close', () => {
          if (clientGone(raw)) controller.abort(CLIENT_GONE);
        });
      }
    }
    return c.signal;
  }
}
