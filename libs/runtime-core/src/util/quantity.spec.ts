import { parseQuantity, tryParseQuantity } from './quantity';

describe('parseQuantity', () => {
  it.each([
    ['4Mi', 4 * 1024 * 1024],
    ['4M', 4_000_000],
    ['4194304', 4_194_304],
    ['4Ki', 4096],
    ['4k', 4000],
    ['1Gi', 2 ** 30],
    ['1.5Mi', 1.5 * 2 ** 20],
    ['0.5k', 500],
    ['4e6', 4_000_000],
    ['1.1', 2],
    [' 16Mi ', 16 * 2 ** 20],
  ])('%s -> %d bytes', (s, n) => {
    expect(parseQuantity(s)).toBe(n);
  });

  it.each(['4MB', '4mi', '4 Mi', '', 'Mi', '-4Mi', '4K', 'abc'])('rejects %j', (s) => {
    expect(tryParseQuantity(s)).toBeUndefined();
    expect(() => parseQuantity(s)).toThrow(`expected a size such as 4Mi, 4M or 4194304, got "${s}"`);
  });
});
