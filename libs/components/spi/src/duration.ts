// Duration metadata: Go duration strings as Dapr component YAML writes them ("2s", "1h30m",
// "500ms", "-1s"), plus a bare integer meaning seconds, as components-contrib's metadata decoder
// accepts. Results are milliseconds (may be fractional for ns/us units).
import { ComponentConfigError, prop } from './component';
import type { ComponentMetadata } from './component';

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

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a Go duration (or bare integer seconds) into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^[+-]?\d+$/.test(s)) return Number(s) * 1000;
  let i = 0;
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    sign = s[0] === '-' ? -1 : 1;
    i = 1;
  }
  if (i >= s.length) return undefined;
  let total = 0;
  while (i < s.length) {
    PART.lastIndex = i;
    const m = PART.exec(s);
    if (!m || m[1] === undefined || m[2] === undefined) return undefined;
    const unit = UNIT_MS[m[2]];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    i = PART.lastIndex;
  }
  return sign * total;
}

/** Reads a duration property in milliseconds; throws ComponentConfigError when malformed. */
export function durationProp(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v === '') return fallbackMs;
  const ms = parseDuration(v);
  if (ms === undefined) throw new ComponentConfigError(name, `a duration such as "5s" or "1h30m", got "${v}"`);
  return ms;
}
