// Retry intervals as cockatiel backoffs. Constant is cockatiel's own; exponential follows the
// formula daprd gets from cenkalti/backoff: the n-th delay is randomised around an interval
// that starts at 500 ms and grows ×1.5 up to maxInterval —
//   delay = interval × (1 ± 0.5·random), capped at maxInterval
// (the cap on the randomised value is Dapr's documented behaviour).
import { ConstantBackoff, ExponentialBackoff, type GeneratorFn, type IBackoffFactory } from 'cockatiel';
import type { RetrySpec } from './resiliency-spec';

export const EXPONENTIAL_INITIAL_MS = 500;
export const EXPONENTIAL_MULTIPLIER = 1.5;
export const EXPONENTIAL_RANDOMIZATION = 0.5;

/** A cockatiel backoff factory for a retry policy; `random` is injectable for tests. */
export function backoffFor(spec: RetrySpec, random: () => number): IBackoffFactory<unknown> {
  if (spec.policy === 'constant') return new ConstantBackoff(spec.durationMs);
  const initial = spec.initialIntervalMs ?? EXPONENTIAL_INITIAL_MS;
  const max = spec.maxIntervalMs;
  // State: the current (un-randomised) interval.
  const generator: GeneratorFn<number> = (current) => {
    const interval = current ?? Math.min(initial, max);
    const delta = EXPONENTIAL_RANDOMIZATION * interval;
    const delay = Math.min(max, interval - delta + random() * 2 * delta);
    const next = interval >= max / EXPONENTIAL_MULTIPLIER ? max : interval * EXPONENTIAL_MULTIPLIER;
    return [Math.max(0, delay), next];
  };
  return new ExponentialBackoff<number>({ generator, initialDelay: initial, maxDelay: max });
}
