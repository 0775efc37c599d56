// One circuit breaker instance (per app id, component+direction or actor key), built on
// cockatiel's CircuitBreakerPolicy, which owns the closed/open/half-open state machine and the
// open -> half-open timing. Dapr's gobreaker semantics are added around it:
//  - the trip decision is the resource's expression over gobreaker's counts (TripBreaker);
//  - counts reset on every state change and, while closed, every `interval` (0 = never);
//  - half-open admits `maxRequests` probes in all and fails the rest fast (CircuitOpenError).
//    cockatiel runs a single test call; when maxRequests > 1 the other probes are admitted once
//    it succeeded ("probation", still reported as half-open): any failure reopens, maxRequests
//    successes close. gobreaker would admit the first probes together; the outcome is the same.
// A result that arrives after the state changed is not counted, as gobreaker ignores results
// of an earlier generation.
import { BrokenCircuitError, CircuitState, circuitBreaker, handleWhen, type CircuitBreakerPolicy, type IBreaker } from 'cockatiel';
import { CircuitOpenError } from './resiliency-errors';
import type { CircuitBreakerSpec } from './resiliency-spec';
import type { BreakerCounts } from './trip-expression';

export type BreakerEventKind = 'breaker-open' | 'breaker-half-open' | 'breaker-closed';

interface MutableCounts {
  requests: number;
  totalSuccesses: number;
  totalFailures: number;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

const zero = (): MutableCounts => ({ requests: 0, totalSuccesses: 0, totalFailures: 0, consecutiveSuccesses: 0, consecutiveFailures: 0 });

/** cockatiel breaker strategy: gobreaker's counts + the trip expression. */
class TripBreaker implements IBreaker {
  counts: MutableCounts = zero();
  /** Closed state: when the counts reset next (Infinity with interval 0). */
  private expiry = Infinity;
  /** Set by TargetBreaker: the live state, to drop results of an earlier state. */
  current: () => CircuitState = () => CircuitState.Closed;
  /** Set by TargetBreaker: a failure during probation reopens at once. */
  inProbation: () => boolean = () => false;

  constructor(
    private readonly spec: CircuitBreakerSpec,
    private readonly now: () => number,
  ) {}

  get state(): unknown {
    return { counts: { ...this.counts }, expiry: this.expiry };
  }
  set state(_value: unknown) {
    // Breakers are not serialised across processes.
  }

  /** New generation: zero counts; a closed breaker starts a new interval. */
  reset(closed: boolean): void {
    this.counts = zero();
    this.expiry = closed && this.spec.intervalMs > 0 ? this.now() + this.spec.intervalMs : Infinity;
  }

  private rollInterval(): void {
    const t = this.now();
    if (t >= this.expiry) this.reset(true);
  }

  success(state: CircuitState): void {
    if (state !== this.current() || state !== CircuitState.Closed) return;
    this.rollInterval();
    const c = this.counts;
    c.requests++;
    c.totalSuccesses++;
    c.consecutiveSuccesses++;
    c.consecutiveFailures = 0;
  }

  failure(state: CircuitState): boolean {
    if (state !== this.current() || state !== CircuitState.Closed) return false;
    if (this.inProbation()) return true;
    this.rollInterval();
    const c = this.counts;
    c.requests++;
    c.totalFailures++;
    c.consecutiveFailures++;
    c.consecutiveSuccesses = 0;
    return this.spec.tripPredicate(c);
  }
}

export interface TargetBreakerOptions {
  /** Whether a rejected attempt counts as a failure (non-retryable errors and caller aborts do not). */
  readonly isFailureError: (e: unknown) => boolean;
  /** Whether a resolved attempt counts as a failure. */
  readonly isFailureResult: (r: unknown) => boolean;
  readonly onEvent?: (kind: BreakerEventKind) => void;
  readonly now?: () => number;
}

export class TargetBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private readonly trip: TripBreaker;
  /** Extra half-open probes (maxRequests > 1) once cockatiel's test call succeeded. */
  private probation: { admitted: number; successes: number } | undefined;

  constructor(
    readonly target: string,
    private readonly spec: CircuitBreakerSpec,
    private readonly opts: TargetBreakerOptions,
  ) {
    const now = opts.now ?? ((): number => Date.now());
    this.trip = new TripBreaker(spec, now);
    this.trip.reset(true);
    const handles = handleWhen((e) => opts.isFailureError(e)).orWhenResult((r) => opts.isFailureResult(r));
    this.policy = circuitBreaker(handles, { halfOpenAfter: spec.timeoutMs, breaker: this.trip });
    this.trip.current = () => this.policy.state;
    this.trip.inProbation = () => this.probation !== undefined;
    let previous = CircuitState.Closed;
    this.policy.onStateChange((state) => {
      const from = previous;
      previous = state;
      this.trip.reset(state === CircuitState.Closed);
      if (state === CircuitState.Open) {
        this.probation = undefined;
        this.emit('breaker-open');
      } else if (state === CircuitState.HalfOpen) {
        this.emit('breaker-half-open');
      } else if (state === CircuitState.Closed) {
        if (from === CircuitState.HalfOpen && spec.maxRequests > 1) this.probation = { admitted: 1, successes: 1 };
        else this.emit('breaker-closed');
      }
    });
  }

  /** `closed`, `open` or `half-open` (probation counts as half-open). */
  get state(): 'closed' | 'open' | 'half-open' {
    const s = this.policy.state;
    if (s === CircuitState.Open || s === CircuitState.Isolated) return 'open';
    if (s === CircuitState.HalfOpen || this.probation !== undefined) return 'half-open';
    return 'closed';
  }

  /** Gobreaker's counts of the current generation (for tests and metrics). */
  get counts(): BreakerCounts {
    return { ...this.trip.counts };
  }

  async execute<R>(fn: (signal: AbortSignal) => Promise<R>, signal: AbortSignal): Promise<R> {
    if (this.policy.state === CircuitState.HalfOpen) throw new CircuitOpenError(this.target, 'half-open');
    const probe = this.probation;
    if (probe !== undefined) {
      if (probe.admitted >= this.spec.maxRequests) throw new CircuitOpenError(this.target, 'half-open');
      probe.admitted++;
    }
    try {
      return await this.policy.execute(({ signal: s }) => fn(s), signal);
    } catch (e) {
      if (e instanceof BrokenCircuitError) throw new CircuitOpenError(this.target, 'open');
      throw e;
    } finally {
      // A failed probe reopened the breaker (TripBreaker.failure), which ends the probation; any
      // other outcome — success, or an error that does not count — is a good probe.
      if (probe !== undefined && this.probation === probe) this.goodProbe(probe);
    }
  }

  private goodProbe(probe: { successes: number }): void {
    probe.successes++;
    if (probe.successes >= this.spec.maxRequests) {
      this.probation = undefined;
      this.trip.reset(true);
      this.emit('breaker-closed');
    }
  }

  private emit(kind: BreakerEventKind): void {
    this.opts.onEvent?.(kind);
  }
}
