import { GrpcCode, callContext } from '@tessera/contracts';
import { CallWatch } from './call-watch';
import { Semaphore } from './semaphore';

const never = CallWatch.for('app', callContext('caller'));

describe('Semaphore', () => {
  it('admits up to limit, then queues FIFO and hands freed slots to the oldest waiter', async () => {
    const s = new Semaphore(2);
    expect(s.tryAcquire()).toBe(true);
    expect(s.tryAcquire()).toBe(true);
    expect(s.tryAcquire()).toBe(false);
    const order: number[] = [];
    const a = s.acquire(never).then(() => order.push(1));
    const b = s.acquire(never).then(() => order.push(2));
    expect(s.waiting).toBe(2);
    s.release();
    await a;
    expect(order).toEqual([1]);
    expect(s.inFlight).toBe(2);
    s.release();
    await b;
    expect(order).toEqual([1, 2]);
    s.release();
    s.release();
    expect(s.inFlight).toBe(0);
    expect(s.tryAcquire()).toBe(true);
  });

  it('rejects and skips a waiter whose call is aborted', async () => {
    const s = new Semaphore(1);
    expect(s.tryAcquire()).toBe(true);
    const ac = new AbortController();
    const watch = CallWatch.for('app', callContext('caller', '', { signal: ac.signal }));
    const aborted = s.acquire(watch);
    const next = s.acquire(never);
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ grpcCode: GrpcCode.CANCELLED });
    expect(s.waiting).toBe(1);
    s.release();
    await next;
    expect(s.inFlight).toBe(1);
    expect(s.waiting).toBe(0);
    watch.dispose();
  });

  it('rejects bad limits', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
