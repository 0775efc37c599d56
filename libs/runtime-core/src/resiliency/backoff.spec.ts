import type { IBackoff } from 'cockatiel';
import { backoffFor } from './backoff';
import type { RetrySpec } from './resiliency-spec';

const spec = (s: Partial<RetrySpec>): RetrySpec => ({ name: 'r', policy: 'constant', durationMs: 5000, maxIntervalMs: 60000, maxRetries: -1, ...s });

function delays(r: RetrySpec, random: () => number, n: number): number[] {
  const out: number[] = [];
  let b: IBackoff<unknown> | undefined;
  const factory = backoffFor(r, random);
  for (let i = 0; i < n; i++) {
    b = b === undefined ? factory.next(undefined) : b.next(undefined);
    out.push(b.duration);
  }
  return out;
}

describe('backoffFor', () => {
  it('constant: the fixed duration every time', () => {
    expect(delays(spec({ durationMs: 10 }), Math.random, 4)).toEqual([10, 10, 10, 10]);
  });

  it('exponential without jitter (random 0.5): 500 ms growing ×1.5 up to maxInterval', () => {
    expect(delays(spec({ policy: 'exponential', maxIntervalMs: 3000 }), () => 0.5, 7)).toEqual([500, 750, 1125, 1687.5, 2531.25, 3000, 3000]);
  });

  it('exponential jitter stays within ±50% of the interval and under maxInterval', () => {
    expect(delays(spec({ policy: 'exponential', maxIntervalMs: 3000 }), () => 0, 3)).toEqual([250, 375, 562.5]);
    expect(delays(spec({ policy: 'exponential', maxIntervalMs: 3000 }), () => 0.999999, 7).every((d) => d <= 3000)).toBe(true);
    expect(delays(spec({ policy: 'exponential', maxIntervalMs: 3000 }), () => 0.999999, 1)[0]).toBeCloseTo(750, 2);
  });

  it('exponential with a maxInterval below 500 ms starts at maxInterval', () => {
    expect(delays(spec({ policy: 'exponential', maxIntervalMs: 10 }), () => 0.5, 3)).toEqual([10, 10, 10]);
  });
});
