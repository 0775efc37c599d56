// Go duration strings as Dapr component metadata carries them ("5s", "1m30s", "250ms", "-1").
// Dapr's metadata decoder accepts time.ParseDuration syntax and, failing that, a plain integer
// meaning seconds. Kept local: components may import only the SPI and their own driver.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds for a Go duration or integer-seconds string; undefined when it is neither. */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  if (/^[+-]?\d+$/.test(s)) return Number(s) * 1000;
  let i = 0;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    i = 1;
  }
  if (s.slice(i) === '0') return 0;
  let total = 0;
  let parts = 0;
  while (i < s.length) {
    PART.lastIndex = i;
    const m = PART.exec(s);
    if (!m || m[1] === undefined || m[2] === undefined) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2]] ?? Number.NaN);
    i = PART.lastIndex;
    parts++;
  }
  return parts > 0 && Number.isFinite(total) ? sign * total : undefined;
}
