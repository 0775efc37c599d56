// The in-memory configuration store against the shared conformance suite, plus what only it has.
import { describeConfigurationConformance } from '@tessera/conformance';
import { createInMemoryConfigurationStore, InMemoryConfigurationStore } from './in-memory-configuration-store';

let shared: InMemoryConfigurationStore | undefined;

describeConfigurationConformance(
  'in-memory',
  async () => {
    shared ??= createInMemoryConfigurationStore();
    await shared.init();
    return shared;
  },
  async () => {
    shared ??= createInMemoryConfigurationStore();
    const s = shared;
    return { set: async (k, v, ver) => s.set(k, v, ver), delete: async (k) => s.delete(k) };
  },
  { deleteEvent: 'empty' },
);

describe('in-memory configuration store', () => {
  it('a slow handler holds back the next event of its subscription, never reorders it', async () => {
    const s = createInMemoryConfigurationStore();
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await s.subscribe({ keys: [], metadata: {} }, async (e) => {
      const v = Object.values(e.items)[0]?.value ?? '';
      if (v === '1') await gate;
      seen.push(v);
    });
    s.set('k', '1');
    s.set('k', '2');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]);
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['1', '2']);
  });

  it('a handler that throws is logged and does not stop the subscription', async () => {
    const errors: string[] = [];
    const s = new InMemoryConfigurationStore('cfg', { logger: { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) } });
    const seen: string[] = [];
    await s.subscribe({ keys: ['k'], metadata: {} }, async (e) => {
      if (e.items['k']?.value === 'bad') throw new Error('nope');
      seen.push(e.items['k']?.value ?? '');
    });
    s.set('k', 'bad');
    s.set('k', 'good');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['good']);
    expect(errors).toEqual(['configuration store cfg: update handler failed']);
  });

  it('refuses calls after close()', async () => {
    const s = createInMemoryConfigurationStore();
    await s.close();
    await expect(s.get({ keys: [], metadata: {} })).rejects.toMatchObject({ errorKind: 'backend' });
  });
});
