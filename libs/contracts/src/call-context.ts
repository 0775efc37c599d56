// The context every API call carries as its last argument, as ctx does in components-contrib.
// It is plain data: built once at the edge, passed through blocks and transports untouched.

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
}

export function callContext(appId: string, namespace = '', extra: Partial<CallContext> = {}): CallContext {
  return { appId, namespace, ...extra };
}
