import { describeStateConformance } from '@tessera/conformance';
import { createInMemoryStateStore } from './in-memory-state-store';

const meta = { name: 'statestore', type: 'state.in-memory', version: 'v1', properties: {}, appId: 'app' };

describeStateConformance(
  'state.in-memory',
  async () => {
    const store = createInMemoryStateStore(meta);
    await store.init();
    return store;
  },
  { features: ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API', 'ACTOR'], atomicTransactions: true },
);

describe('state.in-memory specifics', () => {
  it('copies values on the way in and out', async () => {
    const store = createInMemoryStateStore(meta);
    await store.init();
    const value = Buffer.from('"abc"');
    await store.set({ key: 'k', value, metadata: {}, options: {} });
    value[1] = 0x78;
    const got = await store.get({ key: 'k', metadata: {} });
    expect(got?.data.toString()).toBe('"abc"');
    got?.data.fill(0);
    expect((await store.get({ key: 'k', metadata: {} }))?.data.toString()).toBe('"abc"');
    await store.close();
  });

  it('rejects a malformed ttlInSeconds', async () => {
    const store = createInMemoryStateStore(meta);
    await store.init();
    await expect(store.set({ key: 'k', value: Buffer.from('1'), metadata: { ttlInSeconds: 'soon' }, options: {} })).rejects.toMatchObject({ errorKind: 'backend' });
    await store.close();
  });
});
