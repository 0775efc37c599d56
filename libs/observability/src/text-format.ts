// The human-readable log line daprd prints when --log-as-json is off (logrus' text formatter):
//   time="2026-01-02T03:04:05.678Z" level=info msg="starting" app_id=a instance=h scope=runtime type=log ver=0.1.0
// time, level and msg come first, every other field follows sorted by name. A value is quoted
// only when it contains characters outside [A-Za-z0-9-._/@^+]. Only the text path pays for this
// (one JSON.parse per line); the JSON path writes pino's output untouched.
import type { LogDestination } from './logger';

const BARE = /^[A-Za-z0-9\-._/@^+]+$/;

function formatValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v === null || v === undefined ? String(v) : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s === '' || BARE.test(s) ? s : JSON.stringify(s);
}

/** Formats one parsed JSON log record as daprd's text line (without the newline). */
export function formatTextLine(rec: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const k of ['time', 'level', 'msg']) {
    if (rec[k] !== undefined) parts.push(`${k}=${formatValue(rec[k])}`);
  }
  const rest = Object.keys(rec)
    .filter((k) => k !== 'time' && k !== 'level' && k !== 'msg')
    .sort();
  for (const k of rest) parts.push(`${k}=${formatValue(rec[k])}`);
  return parts.join(' ');
}

/** Wraps a destination so that pino's JSON lines arrive there as text lines. */
export function textStream(dest: LogDestination): LogDestination {
  return {
    write(chunk: string): unknown {
      let out = '';
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        try {
          out += formatTextLine(JSON.parse(line) as Record<string, unknown>) + '\n';
        } catch {
          out += line + '\n';
        }
      }
      return dest.write(out);
    },
  };
}
