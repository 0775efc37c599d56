// The context every API call carries as its last argument, as ctx does in components-contrib.
// It is plain data: built once at the edge, passed through blocks and transports untouched.
// Also the lazy-abort protocol (optional members of CallContext, lazyAbortOf, AbortHandlers),
// shared by the edges, the invoke block, the internal transport and the app channel.

/** Told once when a call is aborted, as an EventTarget listener object is (no closure needed). */
export interface AbortHandler {
  handleEvent(): void;
}

export interface CallContext {
  /** App id of the caller's gateway; state keys are prefixed with it. */
  readonly appId: string;
  /** Kubernetes namespace of the caller, '' in self-hosted mode. */
  readonly namespace: string;
  /** Aborted when the caller goes away or the deadline passes. */
  readonly signal?: AbortSignal;
  /**
   * Contexts whose `signal` is made on first use (the edges', so that a call nothing cancels
   * allocates nothing) also have this: the signal if it has been made, else undefined, without
   * making it. Code that only passes a signal on when one exists (the internal transport's unary
   * calls) reads this when present (`'signalIfMade' in ctx`), `signal` otherwise.
   */
  readonly signalIfMade?: AbortSignal;
  /** Absolute deadline in epoch milliseconds, when the caller set one. */
  readonly deadline?: number;
  /**
   * Access-control trust domain of the caller (Dapr Configuration spec.accessControl); absent
   * means the default, 'public'. With appId and namespace it forms the caller identity that crosses
   * the internal transport (RequestHeader.trust_domain) for service invocation.
   */
  readonly trustDomain?: string;
  /** W3C trace context of the incoming call. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  // The lazy-abort protocol: a context whose signal is made on first use (signalIfMade) and that
  // can also report its abort without making it. Node's AbortSignal is costly on a hot path: a
  // few µs to make, and every one of them ends up promoted to the old generation (its property
  // dictionary is allocated old and keeps its young listener maps alive), which at 1,000 req/s
  // drove a mark-compact every ~0.75 s in the calling runtime. A unary call through a context
  // with the protocol registers a handler instead, and stays cancellable end to end.
  // Implementers (the edges' contexts, the framed server's call contexts, the invoke block's
  // attempt contexts) have all three members and signalIfMade, or none; they live on the
  // prototype, so a `{ ...ctx }` copy drops them with the signal. Read them through lazyAbortOf.
  /** True once the call has been aborted (makes nothing). */
  readonly aborted?: boolean;
  /**
   * `h.handleEvent()` runs once when the call is aborted; never if it already was (check
   * `aborted` first). Read `signal` then for the abort reason (it is made at that point).
   */
  onAbort?(h: AbortHandler): void;
  /** Forgets `h` (a call that ended); nothing if it was not registered. */
  offAbort?(h: AbortHandler): void;
}

/** A CallContext that speaks the lazy-abort protocol. */
export type LazyAbortContext = CallContext & {
  readonly aborted: boolean;
  onAbort(h: AbortHandler): void;
  offAbort(h: AbortHandler): void;
};

/** `ctx` when it speaks the lazy-abort protocol. */
export function lazyAbortOf(ctx: CallContext): LazyAbortContext | undefined {
  return typeof ctx.onAbort === 'function' ? (ctx as LazyAbortContext) : undefined;
}

/**
 * Handlers of one lazily aborted call, for implementers of the protocol: one in the common case
 * (no array), more in a list. Not re-entrant-safe for handlers that register others while being
 * told; none do.
 */
export class AbortHandlers {
  private one: AbortHandler | undefined = undefined;
  private more: AbortHandler[] | undefined = undefined;

  add(h: AbortHandler): void {
    if (this.one === undefined && this.more === undefined) this.one = h;
    else (this.more ??= []).push(h);
  }

  delete(h: AbortHandler): void {
    if (this.one === h) {
      this.one = undefined;
      return;
    }
    const m = this.more;
    if (m === undefined) return;
    const i = m.indexOf(h);
    if (i >= 0) m.splice(i, 1);
  }

  /** Tells every handler once and forgets them. */
  fire(): void {
    const one = this.one;
    const more = this.more;
    this.one = undefined;
    this.more = undefined;
    one?.handleEvent();
    if (more !== undefined) for (const h of more) h.handleEvent();
  }
}

export function callContext(appId: string, namespace = '', extra: Partial<CallContext> = {}): CallContext {
  return { appId, namespace, ...extra };
}
