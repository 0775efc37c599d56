// Go duration strings (time.ParseDuration), the format Dapr resources use for timeouts and
// intervals: "300ms", "1.5s", "1h30m", "-2m"; units ns, us (µs, μs), ms, s, m, h. The one parser
// of the workspace: resources (runtime-core) use the strict form, component metadata the lenient
// one that also takes bare integer seconds, as components-contrib's metadata decoder does.
// Results are milliseconds (fractional below 1 ms).
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

/** Strict Go syntax: a bare "0" is allowed, any other bare number is not. */
export function tryParseGoDuration(text: string): number | undefined {
  const s = text.trim();
  let i = 0;
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    sign = s[0] === '-' ? -1 : 1;
    i = 1;
  }
  if (s.slice(i) === '0') return 0;
  if (i >= s.length) return undefined;
  let total = 0;
  while (i < s.length) {
    PART.lastIndex = i;
    const m = PART.exec(s);
    if (!m || m[1] === undefined || m[2] === undefined) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2]] ?? Number.NaN);
    i = PART.lastIndex;
  }
  return Number.isFinite(total) ? sign * total : undefined;
}

/** Component metadata form: a Go duration, or a bare integer meaning seconds. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^[+-]?\d+$/.test(s)) return Number(s) * 1000;
  return tryParseGoDuration(s);
}

/** Reads a duration property in milliseconds; throws ComponentConfigError when malformed. */
export function durationProp(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v === '') return fallbackMs;
  const ms = parseDuration(v);
  if (ms === undefined) throw new ComponentConfigError(name, `a duration such as "5s" or "1h30m", got "${v}"`);
  return ms;
}
