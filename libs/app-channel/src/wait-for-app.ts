// Start-up step 3 (spec semantics.md 12): wait until the app port accepts TCP connections
// before talking to the app. daprd waits indefinitely by default; a timeout is optional.
// Each attempt opens and immediately closes one connection; attempts are `intervalMs` apart.
import net from 'node:net';

export interface WaitForAppOptions {
  /** Aborting stops the wait; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Give up after this long (rejects with an Error); default: wait forever, as daprd. */
  readonly timeoutMs?: number;
  /** Pause between attempts; default 75 ms. */
  readonly intervalMs?: number;
  /** Called every `reportEveryMs` while still waiting, e.g. to log "waiting for app on port X". */
  readonly onWaiting?: (elapsedMs: number) => void;
  /** Default 5000 ms. */
  readonly reportEveryMs?: number;
}

/** One connection attempt: true if the port accepted it. Never rejects. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForApp(host: string, port: number, opts: WaitForAppOptions = {}): Promise<void> {
  const { signal, timeoutMs, onWaiting } = opts;
  const interval = Math.max(1, opts.intervalMs ?? 75);
  const reportEvery = Math.max(1, opts.reportEveryMs ?? 5000);
  const started = Date.now();
  let nextReport = started + reportEvery;
  for (;;) {
    if (signal?.aborted) throw abortReason(signal);
    const left = timeoutMs !== undefined ? timeoutMs - (Date.now() - started) : undefined;
    if (left !== undefined && left <= 0) {
      throw new Error(`timed out waiting for the app on ${host}:${port} after ${timeoutMs} ms`);
    }
    if (await canConnect(host, port, Math.min(1000, left ?? 1000))) return;
    const now = Date.now();
    if (onWaiting !== undefined && now >= nextReport) {
      nextReport = now + reportEvery;
      onWaiting(now - started);
    }
    const remaining = timeoutMs !== undefined ? Math.max(0, timeoutMs - (now - started)) : interval;
    await sleep(Math.min(interval, remaining), signal);
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
