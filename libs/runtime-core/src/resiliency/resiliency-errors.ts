// The two errors the resiliency runner itself raises. Blocks map them to their API errors
// (e.g. a timeout -> ERR_DIRECT_INVOKE / DeadlineExceeded). Test them with the `is*` functions,
// which read a `kind` field, never with instanceof.

/** An attempt ran longer than its timeout policy; its abort signal has been aborted. */
export class ResiliencyTimeoutError extends Error {
  readonly kind = 'tessera.resiliency-timeout' as const;
  /** Timeouts are transient: an enclosing retry policy may try again. */
  readonly retryable = true;
  constructor(
    /** The timeout that elapsed, in ms. */
    readonly timeoutMs: number,
    /** The policy target, e.g. `app:orders`. */
    readonly target: string,
  ) {
    super(`${target}: operation timed out after ${timeoutMs}ms (resiliency timeout policy)`);
    this.name = 'ResiliencyTimeoutError';
  }
}

/** The target's circuit breaker is open (or half-open with its probes in flight): failed fast. */
export class CircuitOpenError extends Error {
  readonly kind = 'tessera.circuit-open' as const;
  /** Never retried by the policy that raised it (Dapr: a permanent error). */
  readonly retryable = false;
  constructor(
    readonly target: string,
    /** `open`, or `half-open` when the allowed probe requests are already in flight. */
    readonly state: 'open' | 'half-open',
  ) {
    super(state === 'open' ? `${target}: circuit breaker is open` : `${target}: circuit breaker is half-open and its probe requests are in flight`);
    this.name = 'CircuitOpenError';
  }
}

export function isResiliencyTimeout(e: unknown): e is ResiliencyTimeoutError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.resiliency-timeout';
}

export function isCircuitOpen(e: unknown): e is CircuitOpenError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.circuit-open';
}

/**
 * Whether a rejected attempt may be retried: anything except errors that say `retryable: false`
 * (ApiError marks terminal failures that way: bad input, ETag mismatch, not found).
 */
export function isRetryableError(e: unknown): boolean {
  return !(typeof e === 'object' && e !== null && (e as { retryable?: unknown }).retryable === false);
}
