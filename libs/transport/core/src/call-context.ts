// CallContext <-> RequestHeader. The caller's identity (app id, namespace, trust domain) and
// trace context cross as they are; the deadline crosses as the time left (so the two hosts'
// clocks need not agree) and the signal as a "may be cancelled" flag. Absent optional strings
// travel as "" and come back absent.
import type { CallContext } from '@tessera/contracts';
import type { RequestHeader } from './wire';

/** setTimeout's ceiling (~24.8 days); longer deadlines are as good as none. */
export const MAX_TIMER_MS = 0x7fffffff;

export function emptyRequestHeader(): RequestHeader {
  return {
    method: 0,
    appId: '',
    namespace: '',
    traceparent: '',
    tracestate: '',
    timeoutMs: 0,
    cancellable: false,
    trustDomain: '',
  };
}

/**
 * The signal a unary call watches. A context whose signal is made on first use (the edges') is
 * not made to make one: a short unary call passes on a signal that exists (a block asked for it)
 * and otherwise goes without, so an edge request that nothing cancels costs no AbortController
 * on either side of the transport. Streams always take ctx.signal: they live long enough for a
 * cancel to matter.
 */
export function unarySignalOf(ctx: CallContext): AbortSignal | undefined {
  return 'signalIfMade' in ctx ? ctx.signalIfMade : ctx.signal;
}

/** Told once when a call is aborted, as an EventTarget listener object is (no closure needed). */
export interface AbortHandler {
  handleEvent(): void;
}

/**
 * The lazy-abort protocol: a CallContext whose signal is made on first use (signalIfMade) and
 * that can also report its abort without making it. Node's AbortSignal is costly on a hot path:
 * a few µs to make, and every one of them ends up promoted to the old generation (its property
 * dictionary is allocated old and keeps its young listener maps alive), which in the invocation
 * benchmark drove a mark-compact every ~0.75 s in the calling runtime. A unary call through a
 * context with this protocol registers a handler instead, and stays cancellable end to end.
 * Implemented by the gRPC edge's GrpcCallContext, the framed server's call contexts and the
 * invoke block's attempt contexts; read by FramedClient.call and the app channel's CallWatch.
 * (Duck-typed: CallContext in @tessera/contracts does not declare it.)
 */
export interface LazyAbort {
  /** True once the call has been aborted (makes nothing). */
  readonly aborted: boolean;
  /** `h.handleEvent()` runs once when the call is aborted; never if it already was (check `aborted` first). */
  onAbort(h: AbortHandler): void;
  offAbort(h: AbortHandler): void;
  /** The signal, made now if it was not: read it for the abort reason. */
  readonly signal?: AbortSignal;
}

/** `ctx` when it speaks the lazy-abort protocol. */
export function lazyAbortOf(ctx: CallContext): LazyAbort | undefined {
  return typeof (ctx as Partial<LazyAbort>).onAbort === 'function' ? (ctx as unknown as LazyAbort) : undefined;
}

/**
 * Handlers of one lazily aborted call: one in the common case (no array), more in a list. Not
 * re-entrant-safe for handlers that register others while being told; none do.
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

/**
 * Fills `into` (reused by the client: encoding is synchronous) with the header of one call.
 * `timeoutMs` is the time left until ctx.deadline, 0 for none; `cancellable`: the caller holds a
 * signal it will send CANCEL for (default: ctx.signal is set).
 */
export function toRequestHeader(
  method: number,
  ctx: CallContext,
  timeoutMs: number,
  into: RequestHeader = emptyRequestHeader(),
  cancellable: boolean = ctx.signal !== undefined,
): RequestHeader {
  into.method = method;
  into.appId = ctx.appId;
  into.namespace = ctx.namespace;
  into.traceparent = ctx.traceparent ?? '';
  into.tracestate = ctx.tracestate ?? '';
  into.timeoutMs = timeoutMs;
  into.cancellable = cancellable;
  into.trustDomain = ctx.trustDomain ?? '';
  return into;
}

/** What a server-side call context needs of its call (framed-server.ts ServerCall). */
export interface AbortSource {
  readonly aborted: boolean;
  readonly signalIfMade: AbortSignal | undefined;
  signal(): AbortSignal;
  onAbort(h: AbortHandler): void;
  offAbort(h: AbortHandler): void;
}

/**
 * The server side's CallContext of a call that can be aborted (deadline, CANCEL frame, the
 * connection closing): the fields of fromRequestHeader, and a signal made on first use, with the
 * lazy-abort protocol (LazyAbort) so the API can watch the call without making one.
 */
export class ServerCallContext implements CallContext, LazyAbort {
  readonly appId: string;
  readonly namespace: string;
  readonly deadline: number | undefined;
  readonly trustDomain: string | undefined;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly #call: AbortSource;

  constructor(h: RequestHeader, call: AbortSource, now = Date.now()) {
    const timeoutMs = Math.min(h.timeoutMs, MAX_TIMER_MS);
    this.appId = h.appId;
    this.namespace = h.namespace;
    this.deadline = timeoutMs > 0 ? now + timeoutMs : undefined;
    this.trustDomain = h.trustDomain === '' ? undefined : h.trustDomain;
    this.traceparent = h.traceparent === '' ? undefined : h.traceparent;
    this.tracestate = h.tracestate === '' ? undefined : h.tracestate;
    this.#call = call;
  }

  /** Aborted by the deadline, a CANCEL frame or the connection closing; made on first use. */
  get signal(): AbortSignal {
    return this.#call.signal();
  }

  get signalIfMade(): AbortSignal | undefined {
    return this.#call.signalIfMade;
  }

  get aborted(): boolean {
    return this.#call.aborted;
  }

  onAbort(h: AbortHandler): void {
    this.#call.onAbort(h);
  }

  offAbort(h: AbortHandler): void {
    this.#call.offAbort(h);
  }
}

/**
 * The server side's CallContext of a call. `signal` is aborted by the deadline, a CANCEL frame or
 * the connection closing (undefined when the header asked for none of these).
 */
export function fromRequestHeader(h: RequestHeader, signal: AbortSignal | undefined, now = Date.now()): CallContext {
  const timeoutMs = Math.min(h.timeoutMs, MAX_TIMER_MS);
  return {
    appId: h.appId,
    namespace: h.namespace,
    signal,
    deadline: timeoutMs > 0 ? now + timeoutMs : undefined,
    trustDomain: h.trustDomain === '' ? undefined : h.trustDomain,
    traceparent: h.traceparent === '' ? undefined : h.traceparent,
    tracestate: h.tracestate === '' ? undefined : h.tracestate,
  };
}
