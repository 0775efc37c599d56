// CallContext <-> RequestHeader. The caller's identity (app id, namespace, trust domain) and
// trace context cross as they are; the deadline crosses as the time left (so the two hosts'
// clocks need not agree) and the signal as a "may be cancelled" flag. Absent optional strings
// travel as "" and come back absent.
import type { AbortHandler, CallContext, LazyAbortContext } from '@tessera/contracts';
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
 * lazy-abort protocol (CallContext in @tessera/contracts) so the API can watch the call without
 * making one.
 */
export class ServerCallContext implements LazyAbortContext {
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
