import net from 'node:net';
import { canConnect, waitForApp } from './wait-for-app';
import { freePort } from '../test/helpers';

function listen(port: number): Promise<net.Server> {
  const s = net.createServer((c) => c.destroy());
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => resolve(s)));
}
const close = (s: net.Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

describe('waitForApp', () => {
  it('resolves at once when the app port accepts connections', async () => {
    const server = await listen(0);
    try {
      const port = (server.address() as net.AddressInfo).port;
      await expect(canConnect('127.0.0.1', port)).resolves.toBe(true);
      await expect(waitForApp('127.0.0.1', port)).resolves.toBeUndefined();
    } finally {
      await close(server);
    }
  });

  it('keeps polling (reporting while it waits) until the app starts listening', async () => {
    const port = await freePort();
    const reports: number[] = [];
    let server: net.Server | undefined;
    let reported!: () => void;
    const firstReport = new Promise<void>((r) => (reported = r));
    const waiting = waitForApp('127.0.0.1', port, {
      intervalMs: 10,
      reportEveryMs: 20,
      onWaiting: (ms) => {
        reports.push(ms);
        reported();
      },
    });
    try {
      await firstReport; // provably still waiting: nothing listens yet
      expect(reports[0]).toBeGreaterThanOrEqual(20);
      server = await listen(port);
      await expect(waiting).resolves.toBeUndefined();
    } finally {
      if (server !== undefined) await close(server);
    }
  });

  it('rejects after timeoutMs', async () => {
    const port = await freePort();
    await expect(waitForApp('127.0.0.1', port, { timeoutMs: 100, intervalMs: 10 })).rejects.toThrow(`timed out waiting for the app on 127.0.0.1:${port} after 100 ms`);
  });

  it('rejects with the abort reason when the signal fires', async () => {
    const port = await freePort();
    const ac = new AbortController();
    const p = waitForApp('127.0.0.1', port, { signal: ac.signal, intervalMs: 10 });
    setTimeout(() => ac.abort(new Error('shutting down')), 30);
    await expect(p).rejects.toThrow('shutting down');
  });
});
