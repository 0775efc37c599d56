// App health checks (--enable-app-health-check; spec http-api.md 12, grpc-api.md 3): a probe runs
// every probeIntervalMs with a probeTimeoutMs budget; `threshold` consecutive failed probes make
// the app unhealthy, one successful probe makes it healthy again. As in daprd the app starts out
// unhealthy until a probe succeeds; start() probes at once. Probes never overlap: the next one is
// scheduled when the previous one has settled.
// The probe itself is protocol-specific and supplied by the channel (HTTP GET <path> 2xx, gRPC
// AppCallbackHealthCheck.HealthCheck OK). Listeners are called on transitions only and must not
// throw (a throwing listener is logged and ignored).
import type { Logger } from '@tessera/observability';

/** The fields of RuntimeConfig.appHealthCheck this lib needs (structurally compatible). */
export interface AppHealthCheckOptions {
  readonly enabled: boolean;
  /** HTTP apps: the path probed with GET (daprd default `/healthz`). */
  readonly path: string;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly threshold: number;
}

/** One probe: resolves true when the app answered healthy; may reject (counted as a failure). */
export type HealthProbe = (signal: AbortSignal) => Promise<boolean>;

export type HealthListener = (healthy: boolean) => void;

export class AppHealthChecker {
  private isHealthy = false;
  private failures: number;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private probing: AbortController | undefined;
  private readonly listeners = new Set<HealthListener>();
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly threshold: number;

  constructor(
    private readonly probe: HealthProbe,
    opts: Pick<AppHealthCheckOptions, 'probeIntervalMs' | 'probeTimeoutMs' | 'threshold'>,
    private readonly logger?: Logger,
  ) {
    this.intervalMs = Math.max(1, opts.probeIntervalMs);
    this.timeoutMs = Math.max(1, opts.probeTimeoutMs);
    this.threshold = Math.max(1, Math.floor(opts.threshold));
    this.failures = this.threshold;
  }

  healthy(): boolean {
    return this.isHealthy;
  }

  /** Calls `cb(healthy)` on every transition; returns the unsubscribe function. */
  onChange(cb: HealthListener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Starts probing (first probe now). Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops probing and aborts a probe in flight. The health state is kept. Idempotent. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.probing?.abort();
    this.probing = undefined;
  }

  /** Records one probe result, as the scheduler does (exposed for callers with other evidence). */
  report(ok: boolean): void {
    if (ok) {
      this.failures = 0;
      if (!this.isHealthy) this.transition(true);
      return;
    }
    if (this.failures < this.threshold) this.failures++;
    if (this.isHealthy && this.failures >= this.threshold) this.transition(false);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runProbe();
    }, delayMs);
    this.timer.unref();
  }

  private async runProbe(): Promise<void> {
    const started = Date.now();
    const ac = new AbortController();
    this.probing = ac;
    let timeout: NodeJS.Timeout | undefined;
    // A probe that ignores its signal still counts as failed once the timeout passes.
    const timedOut = new Promise<boolean>((resolve) => {
      timeout = setTimeout(() => {
        ac.abort();
        resolve(false);
      }, this.timeoutMs);
    });
    let ok: boolean;
    try {
      ok = (await Promise.race([this.probe(ac.signal), timedOut])) && !ac.signal.aborted;
    } catch {
      ok = false;
    } finally {
      clearTimeout(timeout);
    }
    if (this.probing !== ac) return; // stopped (and maybe restarted) meanwhile
    this.probing = undefined;
    this.report(ok);
    this.schedule(Math.max(0, this.intervalMs - (Date.now() - started)));
  }

  private transition(healthy: boolean): void {
    this.isHealthy = healthy;
    if (healthy) this.logger?.info('App entered healthy status');
    else this.logger?.warn('App entered un-healthy status', { threshold: this.threshold });
    for (const cb of this.listeners) {
      try {
        cb(healthy);
      } catch (e) {
        this.logger?.error('app health listener failed', { err: e });
      }
    }
  }
}
