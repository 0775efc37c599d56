// What every benchmark here shares: command-line flags, percentiles and medians, number
// formatting, per-process CPU time from /proc, free ports, a bare HTTP status probe.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

/** `--name=value` flags as { name: 'value' }; a bare `--name` is 'true'. */
export const args = Object.fromEntries(
  process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => {
    const i = a.indexOf('=');
    return i < 0 ? [a.slice(2), 'true'] : [a.slice(2, i), a.slice(i + 1)];
  }),
);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** p50 / p90 / p99 / max of a list of numbers (nearest rank). */
export function pcts(lat) {
  const s = Float64Array.from(lat).sort();
  const at = (p) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]);
  return { p50: at(50), p90: at(90), p99: at(99), max: s.length ? s[s.length - 1] : NaN };
}

/** Median of the finite values; NaN when there are none. */
export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '-');
export const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
export const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');

const CLK_TCK = 100;

/** user+system CPU of a process (all threads), µs, from /proc (10 ms resolution). */
export function procCpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
}

/** A port nothing listens on right now (127.0.0.1). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** GET `path` on 127.0.0.1:`port` without keep-alive: its status, 0 when nothing answers. */
export function httpStatus(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
  });
}
