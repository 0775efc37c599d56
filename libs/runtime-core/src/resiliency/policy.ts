// A resolved policy for one target, composed as daprd composes it (pkg/resiliency/policy.go):
//   retry( circuitBreaker( timeout( attempt ) ) )
// — the timeout bounds each attempt, the breaker counts each attempt, an open breaker is never
// retried. Every layer is a cockatiel policy; this file only adapts Dapr's rules to them:
//  - an attempt "fails" when it rejects or when the caller's `isFailure` says its result is a
//    failure (service invocation: an app answer outside 2xx/3xx). A failed result that is not
//    retried any more is returned, not thrown: the caller forwards the app's answer.
//  - rejections are retried and counted by the breaker unless they say `retryable: false`
//    (ApiError terminal errors) or the caller's signal is aborted; `matching` narrows the
//    retried *results* by HTTP status / gRPC code.
//  - with nothing configured for a target the runner hands out PASS_THROUGH, whose run() is
//    `fn(signal)` and nothing else (dapr/dapr pkg/resiliency/noop.go).
// Concurrency: a Policy is shared by all calls to its target; run() keeps per-call state in
// closures only. The breaker is the only shared mutable state.
import {
  handleWhen,
  isTaskCancelledError,
  retry as retryPolicy,
  timeout as timeoutPolicy,
  TimeoutStrategy,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import { backoffFor } from './backoff';
import { TargetBreaker, type BreakerEventKind } from './circuit-breaker';
import { isRetryableError, ResiliencyTimeoutError } from './resiliency-errors';
import type { CircuitBreakerSpec, RetryMatching, RetrySpec } from './resiliency-spec';
import { codeMatches } from './status-codes';

/**
 * How the caller classifies a result: falsy = success; `true` = a failure; `{ status }` /
 * `{ grpcCode }` = a failure with that HTTP status / gRPC code, retried only when the retry
 * policy's `matching` lists it.
 */
export type FailureVerdict = boolean | null | undefined | { readonly status: number } | { readonly grpcCode: number };

export interface RunOptions<T> {
  /** The caller's signal (CallContext): aborting it stops the call and any further retry. */
  readonly signal?: AbortSignal;
  readonly isFailure?: (result: T) => FailureVerdict;
}

export interface Policy {
  /** `app:orders`, `component:statestore:outbound`, `actor:Cart`, `builtin:DaprBuiltInServiceRetries`; '' for PASS_THROUGH. */
  readonly target: string;
  /** True when nothing applies: run() is `fn(signal)`. */
  readonly passThrough: boolean;
  /**
   * Runs `fn` under the policy. `fn` receives the attempt's signal (aborted on timeout or when
   * the caller's signal aborts) and must stop when it fires.
   * @throws ResiliencyTimeoutError (isResiliencyTimeout) when the last attempt timed out,
   *   CircuitOpenError (isCircuitOpen) when the breaker failed the call fast, or the last error.
   */
  run<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: RunOptions<T>): Promise<T>;
}

export type ResiliencyEventKind = 'retry' | 'timeout' | BreakerEventKind;

export interface ResiliencyEvent {
  readonly target: string;
  readonly kind: ResiliencyEventKind;
  /** For `retry`: the retry about to start (1 = first retry). */
  readonly attempt?: number;
}

export type ResiliencyEventHandler = (e: ResiliencyEvent) => void;

const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** The policy of a target with no timeout, retry or breaker. */
export const PASS_THROUGH: Policy = Object.freeze({
  target: '',
  passThrough: true,
  run<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: RunOptions<T>): Promise<T> {
    return fn(opts?.signal ?? NEVER_ABORTED);
  },
});

/** Service invocation over HTTP: an answer outside 2xx/3xx is a failure with that status. */
export function failureForHttpStatus(status: number): FailureVerdict {
  return status >= 200 && status < 400 ? false : { status };
}

/** Service invocation over gRPC: a non-OK code is a failure with that code. */
export function failureForGrpcCode(code: number): FailureVerdict {
  return code === 0 ? false : { grpcCode: code };
}

type Failure = true | { readonly status: number } | { readonly grpcCode: number };

interface Outcome<T> {
  readonly value: T;
  readonly failure: Failure | undefined;
  /** The retry budget (maxElapsed) is spent: return it as it is. */
  readonly final?: boolean;
}

/** Carries an error through every layer untouched (caller aborted, retry budget spent). */
class Unhandled {
  constructor(readonly error: unknown) {}
}

function isOutcome(v: unknown): v is Outcome<unknown> {
  return typeof v === 'object' && v !== null && 'failure' in v && 'value' in v;
}

function matches(matching: RetryMatching | undefined, f: Failure): boolean {
  if (f === true || matching === undefined) return true;
  if ('status' in f) return codeMatches(matching.httpStatusCodes, f.status);
  return codeMatches(matching.grpcStatusCodes, f.grpcCode);
}

function safeEmit(onEvent: ResiliencyEventHandler | undefined, e: ResiliencyEvent): void {
  if (onEvent === undefined) return;
  try {
    onEvent(e);
  } catch {
    // An observer never breaks a call.
  }
}

/** A breaker whose failure filters understand the composed policy's outcomes. */
export function createBreaker(target: string, spec: CircuitBreakerSpec, onEvent: ResiliencyEventHandler | undefined, now?: () => number): TargetBreaker {
  return new TargetBreaker(target, spec, {
    isFailureError: (e) => !(e instanceof Unhandled) && isRetryableError(e),
    isFailureResult: (r) => isOutcome(r) && r.failure !== undefined,
    ...(onEvent !== undefined ? { onEvent: (kind: BreakerEventKind) => safeEmit(onEvent, { target, kind }) } : {}),
    ...(now !== undefined ? { now } : {}),
  });
}

export interface ComposedPolicyInit {
  readonly target: string;
  /** Per-attempt timeout; 0 / undefined = none. */
  readonly timeoutMs?: number;
  readonly retry?: RetrySpec;
  /** Which rejections the retry layer retries; default: those not marked `retryable: false`. */
  readonly retryWhen?: (e: unknown) => boolean;
  /** Whether failed results are retried too (default true; false for the built-in service retries). */
  readonly retryResults?: boolean;
  readonly breaker?: TargetBreaker;
  readonly onEvent?: ResiliencyEventHandler;
  readonly random: () => number;
}

/** True when the init describes nothing to do (use PASS_THROUGH instead). */
export function isEmptyPolicy(init: Omit<ComposedPolicyInit, 'target' | 'random'>): boolean {
  return !(init.timeoutMs !== undefined && init.timeoutMs > 0) && !(init.retry !== undefined && init.retry.maxRetries !== 0) && init.breaker === undefined;
}

export class ComposedPolicy implements Policy {
  readonly passThrough = false;
  readonly target: string;
  private readonly timeoutMs: number;
  private readonly timeout: TimeoutPolicy | undefined;
  private readonly retry: RetryPolicy | undefined;
  private readonly maxElapsedMs: number | undefined;
  private readonly breaker: TargetBreaker | undefined;
  private readonly onEvent: ResiliencyEventHandler | undefined;

  constructor(init: ComposedPolicyInit) {
    this.target = init.target;
    this.onEvent = init.onEvent;
    this.breaker = init.breaker;
    this.timeoutMs = init.timeoutMs ?? 0;
    // Aggressive: the attempt is abandoned at once, as daprd returns DeadlineExceeded without
    // waiting; abortOnReturn false: a completed attempt's signal stays usable (streamed bodies).
    this.timeout = this.timeoutMs > 0 ? timeoutPolicy(this.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }) : undefined;
    const spec = init.retry;
    if (spec !== undefined && spec.maxRetries !== 0) {
      const retryWhen = init.retryWhen ?? isRetryableError;
      const matching = spec.matching;
      const retryResults = init.retryResults ?? true;
      const handles = handleWhen((e) => !(e instanceof Unhandled) && retryWhen(e)).orWhenResult(
        (r) => retryResults && isOutcome(r) && r.failure !== undefined && r.final !== true && matches(matching, r.failure),
      );
      this.retry = retryPolicy(handles, { maxAttempts: spec.maxRetries < 0 ? Infinity : spec.maxRetries, backoff: backoffFor(spec, init.random) });
      if (init.onEvent !== undefined) this.retry.onRetry(({ attempt }) => safeEmit(this.onEvent, { target: this.target, kind: 'retry', attempt }));
      this.maxElapsedMs = spec.maxElapsedMs;
    }
  }

  async run<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: RunOptions<T>): Promise<T> {
    const caller = opts?.signal ?? NEVER_ABORTED;
    const isFailure = opts?.isFailure;

    const attempt = async (signal: AbortSignal): Promise<Outcome<T>> => {
      let value: T;
      try {
        value = await fn(signal);
      } catch (e) {
        throw caller.aborted ? new Unhandled(e) : e;
      }
      const verdict = isFailure?.(value);
      return { value, failure: verdict === false || verdict === null || verdict === undefined ? undefined : verdict };
    };

    const timeout = this.timeout;
    const timed = timeout === undefined ? attempt : (signal: AbortSignal) => this.timed(timeout, attempt, signal);
    const breaker = this.breaker;
    const guarded = breaker === undefined ? timed : (signal: AbortSignal) => breaker.execute(timed, signal);

    try {
      if (this.retry === undefined) return (await guarded(caller)).value;
      const step = this.maxElapsedMs === undefined ? guarded : this.budgeted(guarded, Date.now() + this.maxElapsedMs);
      const outcome = await this.retry.execute(({ signal }) => step(signal), caller);
      return outcome.value;
    } catch (e) {
      throw e instanceof Unhandled ? e.error : e;
    }
  }

  /** One attempt under the timeout; a fired timer becomes ResiliencyTimeoutError. */
  private async timed<T>(timeout: TimeoutPolicy, attempt: (s: AbortSignal) => Promise<Outcome<T>>, parent: AbortSignal): Promise<Outcome<T>> {
    let attemptSignal: AbortSignal | undefined;
    try {
      return await timeout.execute(({ signal }) => {
        attemptSignal = signal;
        return attempt(signal);
      }, parent);
    } catch (e) {
      if (e instanceof Unhandled) throw e;
      if (parent.aborted) throw new Unhandled(isTaskCancelledError(e) ? (parent.reason as unknown) ?? e : e);
      if (attemptSignal?.aborted === true) {
        safeEmit(this.onEvent, { target: this.target, kind: 'timeout' });
        throw new ResiliencyTimeoutError(this.timeoutMs, this.target);
      }
      throw e;
    }
  }

  /** Built-ins with a maximum elapsed time: once it has passed, the last outcome stands. */
  private budgeted<T>(inner: (s: AbortSignal) => Promise<Outcome<T>>, deadline: number): (s: AbortSignal) => Promise<Outcome<T>> {
    return async (signal) => {
      try {
        const o = await inner(signal);
        return o.failure !== undefined && Date.now() >= deadline ? { ...o, final: true } : o;
      } catch (e) {
        throw !(e instanceof Unhandled) && Date.now() >= deadline ? new Unhandled(e) : e;
      }
    };
  }
}
