import { PauseLatch, idleOrTimeout } from './pause-latch';

describe('PauseLatch', () => {
  it('is open at first: untilResumed resolves at once', async () => {
    const l = new PauseLatch();
    expect(l.paused).toBe(false);
    await expect(l.untilResumed()).resolves.toBeUndefined();
  });

  it('holds waiters from pause() until resume(); both are idempotent', async () => {
    const l = new PauseLatch();
    expect(l.pause()).toBe(true);
    expect(l.pause()).toBe(false);
    let woke = false;
    const w = l.untilResumed().then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    expect(l.resume()).toBe(true);
    expect(l.resume()).toBe(false);
    await w;
    expect(woke).toBe(true);
    expect(l.paused).toBe(false);
  });

  it('release() wakes the waiters and leaves the latch paused', async () => {
    const l = new PauseLatch();
    l.pause();
    const w = l.untilResumed();
    l.release();
    await expect(w).resolves.toBeUndefined();
    expect(l.paused).toBe(true);
    await expect(l.untilResumed()).resolves.toBeUndefined();
  });
});

describe('idleOrTimeout', () => {
  it('resolves at once when nothing is in flight', async () => {
    await expect(idleOrTimeout({ busy: 0, idleWaiters: [] }, 10_000)).resolves.toBeUndefined();
  });

  it('resolves when the last piece of work calls the waiters', async () => {
    const work = { busy: 1, idleWaiters: [] as Array<() => void> };
    let done = false;
    const p = idleOrTimeout(work, 10_000).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    work.busy = 0;
    for (const w of work.idleWaiters.splice(0)) w();
    await p;
    expect(done).toBe(true);
  });

  it('gives up after maxMs', async () => {
    jest.useFakeTimers();
    try {
      let done = false;
      const p = idleOrTimeout({ busy: 3, idleWaiters: [] }, 30).then(() => (done = true));
      jest.advanceTimersByTime(29);
      await Promise.resolve();
      expect(done).toBe(false);
      jest.advanceTimersByTime(1);
      await p;
      expect(done).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
