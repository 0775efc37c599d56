// gateOnAppHealth: paused from the start while the app is unhealthy, one log line per transition
// with what was paused / resumed, nothing after the unsubscribe.
import type { Logger } from '@tessera/observability';
import { gateOnAppHealth } from './app-health-gate';
import type { AppHealthSource, Pausable } from './app-health-gate';

class FakeHealth implements AppHealthSource {
  private listeners = new Set<(h: boolean) => void>();
  constructor(private isHealthy: boolean) {}
  healthy(): boolean {
    return this.isHealthy;
  }
  onChange(cb: (h: boolean) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  set(h: boolean): void {
    this.isHealthy = h;
    for (const cb of this.listeners) cb(h);
  }
}

function pausable(n: number): Pausable & { calls: string[] } {
  const calls: string[] = [];
  return { calls, pause: () => (calls.push('pause'), n), resume: () => (calls.push('resume'), n) };
}

function logger(lines: string[]): Logger {
  const log = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
  const l: Logger = { level: 'debug', debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => l };
  return l;
}

describe('gateOnAppHealth', () => {
  it('pauses at once while the app is not healthy yet, starts on the first healthy, then pauses / resumes with one line each', () => {
    const health = new FakeHealth(false);
    const subscriptions = pausable(2);
    const bindings = pausable(1);
    const lines: string[] = [];
    const off = gateOnAppHealth(health, { subscriptions, bindings }, logger(lines));
    expect([subscriptions.calls, bindings.calls]).toEqual([['pause'], ['pause']]);
    health.set(true);
    health.set(false);
    health.set(true);
    expect(subscriptions.calls).toEqual(['pause', 'resume', 'pause', 'resume']);
    expect(bindings.calls).toEqual(['pause', 'resume', 'pause', 'resume']);
    expect(lines.filter((l) => !l.startsWith('debug'))).toEqual([
      'info app is healthy: starting its subscriptions and input bindings',
      'info app is unhealthy: pausing 2 subscriptions and 1 input binding',
      'info app is healthy: resuming 2 subscriptions and 1 input binding',
    ]);
    off();
    health.set(false);
    expect(subscriptions.calls).toHaveLength(4);
  });

  it('a healthy app at the start is not paused; a missing delivery counts 0', () => {
    const health = new FakeHealth(true);
    const bindings = pausable(3);
    const lines: string[] = [];
    gateOnAppHealth(health, { bindings }, logger(lines));
    expect(bindings.calls).toEqual([]);
    health.set(false);
    expect(lines).toEqual(['info app is unhealthy: pausing 0 subscriptions and 3 input bindings']);
  });
});
