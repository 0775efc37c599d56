import { compileTripExpression, type BreakerCounts } from './trip-expression';

const counts = (c: Partial<BreakerCounts>): BreakerCounts => ({
  requests: 0,
  totalSuccesses: 0,
  totalFailures: 0,
  consecutiveSuccesses: 0,
  consecutiveFailures: 0,
  ...c,
});

describe('compileTripExpression', () => {
  it.each<[string, Partial<BreakerCounts>, boolean]>([
    ['consecutiveFailures > 5', { consecutiveFailures: 5 }, false],
    ['consecutiveFailures > 5', { consecutiveFailures: 6 }, true],
    ['consecutiveFailures >= 5', { consecutiveFailures: 5 }, true],
    ['totalFailures < 2', { totalFailures: 1 }, true],
    ['totalFailures <= 2', { totalFailures: 3 }, false],
    ['requests == 10', { requests: 10 }, true],
    ['requests != 10', { requests: 10 }, false],
    ['totalSuccesses == 0', {}, true],
    ['consecutiveSuccesses > -1', {}, true],
    ['5 < consecutiveFailures', { consecutiveFailures: 6 }, true],
    ['requests > 3 && totalFailures > 1', { requests: 4, totalFailures: 1 }, false],
    ['requests > 3 && totalFailures > 1', { requests: 4, totalFailures: 2 }, true],
    ['consecutiveFailures > 9 || totalFailures > 2', { totalFailures: 3 }, true],
    // && binds tighter than ||
    ['requests > 100 || requests > 1 && totalFailures > 0', { requests: 2, totalFailures: 0 }, false],
    ['(requests > 100 || requests > 1) && totalFailures > 0', { requests: 2, totalFailures: 1 }, true],
    ['  consecutiveFailures>5  ', { consecutiveFailures: 6 }, true],
  ])('%s with %j -> %s', (expr, c, expected) => {
    expect(compileTripExpression(expr)(counts(c))).toBe(expected);
  });

  it.each([
    ['', 'the expression is empty'],
    ['foo > 1', 'unknown name "foo" at column 1; expected one of consecutiveFailures, consecutiveSuccesses, totalFailures, totalSuccesses, requests'],
    ['consecutiveFailures', 'expected a comparison operator (>, >=, <, <=, ==, !=), got the end of the expression'],
    ['consecutiveFailures >> 5', 'expected a counter name or an integer, got ">" at column 22'],
    ['consecutiveFailures > 5 &&', 'expected a counter name or an integer, got the end of the expression'],
    ['consecutiveFailures > 5 requests > 1', 'unexpected "requests" at column 25; expected && or || between comparisons'],
    ['!(requests > 1)', 'unexpected character "!" at column 1'],
    ['consecutiveFailures > 1.5', 'unsupported number "1.5" at column 23; only integers are supported'],
    ['(requests > 1', 'expected ")", got the end of the expression'],
    ['requests > true', 'unknown name "true" at column 12; expected one of consecutiveFailures, consecutiveSuccesses, totalFailures, totalSuccesses, requests'],
    ['requests & 1', 'unexpected character "&" at column 10'],
  ])('rejects %j: %s', (expr, message) => {
    expect(() => compileTripExpression(expr)).toThrow(message);
  });
});
