// lock.in-memory against the shared lock conformance suite, plus expiry on a fake clock.
import { describeLockConformance } from '@tessera/conformance';
import { createInMemoryLockStore } from './in-memory-lock-store';

const meta = { name: 'lockstore', type: 'lock.in-memory', version: 'v1', properties: {}, appId: 'app' };

describeLockConformance('lock.in-memory', async () => {
  const s = createInMemoryLockStore(meta);
  await s.init();
  return s;
});

describe('lock.in-memory specifics', () => {
  it('expires exactly at the deadline of its clock', async () => {
    let now = 1_000_000;
    const s = createInMemoryLockStore(meta, () => now);
    await s.init();
    expect(await s.tryLock({ resourceId: 'k', lockOwner: 'a', expiryInSeconds: 10 })).toEqual({ success: true });
    now += 9_999;
    expect(await s.tryLock({ resourceId: 'k', lockOwner: 'b', expiryInSeconds: 10 })).toEqual({ success: false });
    now += 1;
    expect(await s.unlock({ resourceId: 'k', lockOwner: 'a' })).toBe('LOCK_DOES_NOT_EXIST');
    expect(await s.tryLock({ resourceId: 'k', lockOwner: 'b', expiryInSeconds: 10 })).toEqual({ success: true });
    await s.close();
  });

  it('refuses calls after close()', async () => {
    const s = createInMemoryLockStore(meta);
    await s.init();
    await s.close();
    await expect(s.tryLock({ resourceId: 'k', lockOwner: 'a', expiryInSeconds: 1 })).rejects.toMatchObject({ kind: 'tessera.lock-store-error' });
  });
});
