import { durationProp, parseDuration, tryParseGoDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['2s', 2000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['-1s', -1000],
    ['0', 0],
    ['10', 10_000],
    ['1us', 0.001],
  ])('%s -> %d ms', (text, ms) => expect(parseDuration(text)).toBeCloseTo(ms));

  it.each(['', 's', '1x', '1h 2m', '--1s', 'soon', '5x', '1.2.3s', '1h-5m'])('rejects %p', (text) => expect(parseDuration(text)).toBeUndefined());

  it('durationProp falls back and names the field on error', () => {
    const meta = { name: 'n', type: 't', version: 'v1', appId: '', properties: { a: '3s', b: 'x' } };
    expect(durationProp(meta, 'A', 1)).toBe(3000);
    expect(durationProp(meta, 'missing', 7)).toBe(7);
    expect(() => durationProp(meta, 'b', 1)).toThrow(expect.objectContaining({ field: 'b' }));
  });
});

describe('tryParseGoDuration (strict, for resources)', () => {
  it('takes Go durations and a bare 0 only', () => {
    expect(tryParseGoDuration('1m30s')).toBe(90_000);
    expect(tryParseGoDuration('0')).toBe(0);
    expect(tryParseGoDuration('5')).toBeUndefined();
    expect(tryParseGoDuration('-')).toBeUndefined();
  });
});
