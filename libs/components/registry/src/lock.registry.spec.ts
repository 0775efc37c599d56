import { KNOWN_LOCK_TYPES, lockStoreFactory, lockStoreVersions } from './lock.registry';

const meta = (type: string, properties: Record<string, string>) => ({ name: 'l', type, version: 'v1', properties, appId: 'app' });

describe('lock registry', () => {
  it('knows every lock type, aliases included', () => {
    expect([...KNOWN_LOCK_TYPES].sort()).toEqual(['lock.in-memory', 'lock.postgres', 'lock.postgresql', 'lock.redis', 'lock.sqlite']);
    for (const t of KNOWN_LOCK_TYPES) expect(lockStoreFactory(t, 'v1')).toBeInstanceOf(Function);
    expect(lockStoreFactory('lock.postgres', 'v1')).toBe(lockStoreFactory('lock.postgresql', 'v1'));
  });

  it('treats an empty version and v0 as v1, and is case-insensitive', () => {
    const f = lockStoreFactory('lock.redis', 'v1');
    expect(lockStoreFactory('lock.redis', '')).toBe(f);
    expect(lockStoreFactory('lock.redis', 'v0')).toBe(f);
    expect(lockStoreFactory(' Lock.Redis ', 'V1')).toBe(f);
  });

  it('answers undefined for unknown types and versions', () => {
    expect(lockStoreFactory('lock.zookeeper', 'v1')).toBeUndefined();
    expect(lockStoreFactory('lock.redis', 'v2')).toBeUndefined();
    expect(lockStoreVersions('lock.redis')).toEqual(['v1']);
    expect(lockStoreVersions('lock.nope')).toEqual([]);
  });

  it('builds working embedded stores', async () => {
    for (const [type, properties] of [['lock.in-memory', {}], ['lock.sqlite', { connectionString: ':memory:' }]] as const) {
      const store = lockStoreFactory(type, 'v1')?.(meta(type, properties));
      expect(store).toBeDefined();
      await store?.init();
      expect(await store?.tryLock({ resourceId: 'k', lockOwner: 'o', expiryInSeconds: 5 })).toEqual({ success: true });
      expect(await store?.unlock({ resourceId: 'k', lockOwner: 'o' })).toBe('SUCCESS');
      await store?.close();
    }
  });
});
