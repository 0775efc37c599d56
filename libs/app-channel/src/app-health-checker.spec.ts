import { AppHealthChecker } from './app-health-checker';
import { until } from '../test/helpers';

/** A probe answering from a script; `pending` = never settles on its own. */
function scripted(results: Array<boolean | 'throw' | 'pending'>) {
  const seen: AbortSignal[] = [];
  let i = 0;
  const probe = (signal: AbortSignal): Promise<boolean> => {
    seen.push(signal);
    const r = results[Math.min(i++, results.length - 1)];
    if (r === 'throw') return Promise.reject(new Error('boom'));
    if (r === 'pending') return new Promise<boolean>(() => undefined);
    return Promise.resolve(r as boolean);
  };
  return { probe, seen, count: () => i };
}

describe('AppHealthChecker', () => {
  it('starts unhealthy, turns healthy on the first success', async () => {
    const p = scripted([true]);
    const c = new AppHealthChecker(p.probe, { probeIntervalMs: 5, probeTimeoutMs: 100, threshold: 3 });
    expect(c.healthy()).toBe(false);
    c.start();
    await until(() => c.healthy());
    c.stop();
  });

  it('needs `threshold` consecutive failures (errors count) to turn unhealthy; transitions only', async () => {
    const p = scripted([true, false, true, false, 'throw', false, false, true]);
    const c = new AppHealthChecker(p.probe, { probeIntervalMs: 1, probeTimeoutMs: 100, threshold: 3 });
    const changes: Array<[boolean, number]> = [];
    c.onChange((h) => changes.push([h, p.count()]));
    c.start();
    await until(() => changes.length >= 3);
    c.stop();
    // healthy after probe 1; the single failure at 2 is forgiven by 3; failures 4,5,6 -> unhealthy at 6; 8 heals.
    expect(changes).toEqual([
      [true, 1],
      [false, 6],
      [true, 8],
    ]);
  });

  it('counts a probe that outlives probeTimeoutMs as failed and aborts its signal', async () => {
    const p = scripted([true, 'pending']);
    const c = new AppHealthChecker(p.probe, { probeIntervalMs: 1, probeTimeoutMs: 20, threshold: 1 });
    c.start();
    await until(() => c.healthy());
    await until(() => !c.healthy());
    c.stop();
    expect(p.seen[1]?.aborted).toBe(true);
  });

  it('stops probing on stop() and ignores a throwing listener', async () => {
    const p = scripted([true]);
    const c = new AppHealthChecker(p.probe, { probeIntervalMs: 1, probeTimeoutMs: 100, threshold: 1 });
    const seen: boolean[] = [];
    c.onChange(() => {
      throw new Error('listener bug');
    });
    const off = c.onChange((h) => seen.push(h));
    c.start();
    await until(() => c.healthy());
    c.stop();
    const n = p.count();
    await new Promise((r) => setTimeout(r, 30));
    expect(p.count()).toBe(n);
    expect(seen).toEqual([true]);
    off();
    c.report(false);
    expect(c.healthy()).toBe(false);
    expect(seen).toEqual([true]);
  });
});
