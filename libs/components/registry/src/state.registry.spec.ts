import { KNOWN_STATE_TYPES, stateStoreFactory, stateStoreVersions } from './state.registry';

const meta = (type: string) => ({ name: 's', type, version: 'v1', properties: {}, appId: 'app' });

describe('state registry', () => {
  it('knows every state type, aliases included', () => {
    expect([...KNOWN_STATE_TYPES].sort()).toEqual(
      ['state.in-memory', 'state.postgres', 'state.postgresql', 'state.redis', 'state.sqlite', 'state.sqlite3'].sort(),
    );
    for (const t of KNOWN_STATE_TYPES) expect(stateStoreFactory(t, 'v1')).toBeInstanceOf(Function);
  });

  it('treats an empty version and v0 as v1, and is case-insensitive', () => {
    const f = stateStoreFactory('state.sqlite', 'v1');
    expect(stateStoreFactory('state.sqlite', '')).toBe(f);
    expect(stateStoreFactory('state.sqlite', 'v0')).toBe(f);
    expect(stateStoreFactory('State.SQLite', 'V1')).toBe(f);
    expect(stateStoreFactory('state.sqlite3', 'v1')).toBe(f);
    expect(stateStoreFactory('state.postgres', 'v1')).toBe(stateStoreFactory('state.postgresql', 'v1'));
  });

  it('answers undefined for unknown types and versions', () => {
    expect(stateStoreFactory('state.mongodb', 'v1')).toBeUndefined();
    expect(stateStoreFactory('state.redis', 'v9')).toBeUndefined();
    expect(stateStoreVersions('state.redis')).toEqual(['v1']);
    expect(stateStoreVersions('state.nope')).toEqual([]);
  });

  it('builds working embedded stores', async () => {
    for (const [type, properties] of [['state.in-memory', {}], ['state.sqlite', { connectionString: ':memory:' }]] as const) {
      const store = stateStoreFactory(type, 'v1')?.({ ...meta(type), properties });
      expect(store).toBeDefined();
      await store?.init();
      await store?.set({ key: 'k', value: Buffer.from('1'), metadata: {}, options: {} });
      expect((await store?.get({ key: 'k', metadata: {} }))?.data.toString()).toBe('1');
      await store?.close();
    }
  });
});
