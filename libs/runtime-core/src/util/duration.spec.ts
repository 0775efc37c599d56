import { parseGoDuration, tryParseGoDuration } from './duration';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['5s', 5000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['1h30m', 5_400_000],
    ['2m3s', 123_000],
    ['-2m', -120_000],
    ['+1s', 1000],
    ['.5s', 500],
    ['1.s', 1000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['1h0m0s', 3_600_000],
  ])('%s -> %d ms', (s, ms) => {
    expect(parseGoDuration(s)).toBeCloseTo(ms, 9);
  });

  it.each(['', '5', '1.5', 's', '5 s', '5sec', '1d', '.s', '5s3', 'abc', '--1s'])('rejects %j', (s) => {
    expect(tryParseGoDuration(s)).toBeUndefined();
    expect(() => parseGoDuration(s)).toThrow(`expected a Go duration such as 5s, 1m30s or 500ms, got "${s}"`);
  });
});
