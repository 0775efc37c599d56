// Go duration strings (time.ParseDuration), the format Dapr resources use for timeouts and
// intervals: a sequence of decimal numbers with units, e.g. "300ms", "1.5s", "1h30m", "-2m".
// Units: ns, us (µs, μs), ms, s, m, h. A bare "0" is allowed; any other bare number is not.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Message fragment used by every caller that reports a bad duration. */
export function durationExpectation(got: string): string {
  return `expected a Go duration such as 5s, 1m30s or 500ms, got "${got}"`;
}

/** Parses a Go duration into milliseconds, or returns undefined if it is not one. */
export function tryParseGoDuration(input: string): number | undefined {
  let s = input.trim();
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (m === null) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
  }
  return Number.isFinite(total) ? sign * total : undefined;
}

/**
 * Parses a Go duration into milliseconds (fractional below 1 ms).
 * @throws Error whose message is `expected a Go duration such as …, got "<input>"`, ready to be
 *   prefixed with the field name.
 */
export function parseGoDuration(input: string): number {
  const ms = tryParseGoDuration(input);
  if (ms === undefined) throw new Error(durationExpectation(input));
  return ms;
}
