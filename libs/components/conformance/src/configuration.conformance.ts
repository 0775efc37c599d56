// The configuration store conformance suite: one jest `describe` that every configuration store
// (and every remote adapter of one) registers from its own spec file. Cases follow the
// ConfigurationStore contract in @tessera/spi: get all / by keys, versions, subscribe sees a
// change (and only the keys it watches), ordering, several subscriptions, unsubscribe stops the
// events, unknown ids are refused.
//
// Contract with callers:
// - `factory` returns an INITIALIZED store (init() already awaited); the suite calls close().
// - `backend` changes items the way an operator would (SET in Redis, an UPDATE in the table...),
//   outside the store: configuration stores are read-only through Dapr.
// - Keys are unique per run (`c<run>_<name>`, letters, digits and `_` only, which every store
//   accepts), so suites may share a real backend; the keys written are deleted in afterAll.
// - An unreachable backend passes `opts.skipReason`: the suite is registered as skipped, with the
//   reason in its title and a loud console warning. It never shows as passed.
import { randomUUID } from 'node:crypto';
import { isConfigurationStoreError } from '@tessera/spi';
import type { ConfigurationItemSpi, ConfigurationStore, ConfigurationUpdateEvent } from '@tessera/spi';

/** How the suite changes items in the backend behind the store. */
export interface ConfigurationBackend {
  set(key: string, value: string, version: string): Promise<void>;
  delete(key: string): Promise<void>;
  close?(): Promise<void>;
}

export interface ConfigurationConformanceOptions {
  /** Set when the backend is unreachable: the whole suite is registered as skipped. */
  readonly skipReason?: string;
  /** Request metadata every subscribe() needs (configuration.postgresql: pgNotifyChannel). */
  readonly subscribeMetadata?: Readonly<Record<string, string>>;
  /**
   * What a subscription sees when a key is deleted: `empty` (the key with empty value and version,
   * Redis), `last` (the deleted row as it was, PostgreSQL's trigger), or `unspecified`.
   */
  readonly deleteEvent?: 'empty' | 'last' | 'unspecified';
  /** How long to wait for an event before failing. Default 5 s. */
  readonly eventTimeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Collects the events of one subscription. */
class Recorder {
  readonly events: ConfigurationUpdateEvent[] = [];
  readonly handler = async (e: ConfigurationUpdateEvent): Promise<void> => {
    this.events.push(e);
  };

  /** Items seen for `key`, in order. */
  itemsOf(key: string): ConfigurationItemSpi[] {
    return this.events.flatMap((e) => (e.items[key] !== undefined ? [e.items[key] as ConfigurationItemSpi] : []));
  }

  async waitFor(pred: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > until) throw new Error(`no ${what} within ${timeoutMs} ms; events so far: ${JSON.stringify(this.events)}`);
      await sleep(20);
    }
  }
}

export function describeConfigurationConformance(
  name: string,
  factory: () => Promise<ConfigurationStore>,
  backendFactory: () => Promise<ConfigurationBackend>,
  opts: ConfigurationConformanceOptions = {},
): void {
  if (opts.skipReason !== undefined) {
    const title = `${name} configuration conformance — SKIPPED: ${opts.skipReason}`;
    console.warn(`\n!!!!!!!!!!\n!!! ${title}\n!!! The suite did NOT run; this is not a pass.\n!!!!!!!!!!\n`);
    describe.skip(title, () => {
      it('backend unavailable: conformance not run', () => undefined);
    });
    return;
  }

  const run = randomUUID().replace(/-/g, '').slice(0, 12);
  const written = new Set<string>();
  const eventTimeout = opts.eventTimeoutMs ?? 5000;
  const subMeta = opts.subscribeMetadata ?? {};
  let store: ConfigurationStore;
  let backend: ConfigurationBackend;
  const open: string[] = [];

  const k = (suffix: string): string => {
    const key = `c${run}_${suffix}`;
    written.add(key);
    return key;
  };
  const set = (key: string, value: string, version = ''): Promise<void> => backend.set(key, value, version);
  const subscribe = async (keys: string[], rec: Recorder): Promise<string> => {
    const id = await store.subscribe({ keys, metadata: subMeta }, rec.handler);
    open.push(id);
    return id;
  };
  const unsubscribe = async (id: string): Promise<void> => {
    await store.unsubscribe(id);
    open.splice(open.indexOf(id), 1);
  };

  describe(`${name} configuration conformance`, () => {
    beforeAll(async () => {
      backend = await backendFactory();
      store = await factory();
    });

    afterAll(async () => {
      if (store) {
        await Promise.allSettled(open.map((id) => store.unsubscribe(id)));
        await store.close();
      }
      if (backend) {
        for (const key of written) await backend.delete(key).catch(() => undefined);
        await backend.close?.();
      }
    });

    describe('get', () => {
      it('by keys: the items asked for, with value and version; missing keys are absent', async () => {
        const a = k('get_a');
        const b = k('get_b');
        await set(a, 'alpha', 'v1');
        await set(b, 'beta', '2');
        const got = await store.get({ keys: [a, b, k('get_missing')], metadata: {} });
        expect(Object.keys(got).sort()).toEqual([a, b].sort());
        expect(got[a]).toMatchObject({ value: 'alpha', version: 'v1' });
        expect(got[b]).toMatchObject({ value: 'beta', version: '2' });
        expect(typeof got[a]?.metadata).toBe('object');
      });

      it('only the keys asked for', async () => {
        const a = k('only_a');
        await set(a, 'x', '1');
        await set(k('only_b'), 'y', '1');
        expect(Object.keys(await store.get({ keys: [a], metadata: {} }))).toEqual([a]);
      });

      it('no keys: every item, ours included', async () => {
        const a = k('all_a');
        const b = k('all_b');
        await set(a, 'one', '1');
        await set(b, 'two', '7');
        const all = await store.get({ keys: [], metadata: {} });
        expect(all[a]).toMatchObject({ value: 'one', version: '1' });
        expect(all[b]).toMatchObject({ value: 'two', version: '7' });
      });

      it('an item without a version reads with version ""', async () => {
        const a = k('nover');
        await set(a, 'plain', '');
        expect((await store.get({ keys: [a], metadata: {} }))[a]).toMatchObject({ value: 'plain', version: '' });
      });

      it('keys that were never written: an empty answer, not an error', async () => {
        expect(await store.get({ keys: [k('nothing_1'), k('nothing_2')], metadata: {} })).toEqual({});
      });

      it('a changed item reads changed', async () => {
        const a = k('changed');
        await set(a, 'before', '1');
        await set(a, 'after', '2');
        expect((await store.get({ keys: [a], metadata: {} }))[a]).toMatchObject({ value: 'after', version: '2' });
      });
    });

    describe('subscribe', () => {
      it('sees a change of a watched key, with the subscription id; not the changes of other keys', async () => {
        const watched = k('sub_w');
        const other = k('sub_o');
        const rec = new Recorder();
        const id = await subscribe([watched], rec);
        expect(typeof id).toBe('string');
        expect(id).not.toBe('');
        await set(other, 'not for you', '1');
        await set(watched, 'hello', '3');
        await rec.waitFor(() => rec.itemsOf(watched).length > 0, 'event', eventTimeout);
        expect(rec.events.every((e) => e.id === id)).toBe(true);
        expect(rec.itemsOf(watched).at(-1)).toMatchObject({ value: 'hello', version: '3' });
        await sleep(150);
        expect(rec.itemsOf(other)).toEqual([]);
        await unsubscribe(id);
      });

      it('several keys: each change arrives, in order', async () => {
        const a = k('multi_a');
        const b = k('multi_b');
        const rec = new Recorder();
        const id = await subscribe([a, b], rec);
        for (let i = 1; i <= 5; i++) await set(a, `a${i}`, String(i));
        await set(b, 'b1', '1');
        await rec.waitFor(() => rec.itemsOf(b).length > 0 && rec.itemsOf(a).at(-1)?.value === 'a5', 'events of both keys', eventTimeout);
        const versions = rec.itemsOf(a).map((i) => Number(i.version));
        expect(versions).toEqual([...versions].sort((x, y) => x - y)); // never goes back in time
        expect(rec.itemsOf(b)[0]).toMatchObject({ value: 'b1', version: '1' });
        await unsubscribe(id);
      });

      it('no keys: sees changes of any key', async () => {
        const fresh = k('any');
        const rec = new Recorder();
        const id = await subscribe([], rec);
        await set(fresh, 'anything', '9');
        await rec.waitFor(() => rec.itemsOf(fresh).length > 0, 'event for a key nobody named', eventTimeout);
        expect(rec.itemsOf(fresh).at(-1)).toMatchObject({ value: 'anything', version: '9' });
        await unsubscribe(id);
      });

      it('two subscriptions have their own ids and both see the change', async () => {
        const key = k('two');
        const r1 = new Recorder();
        const r2 = new Recorder();
        const id1 = await subscribe([key], r1);
        const id2 = await subscribe([key], r2);
        expect(id1).not.toBe(id2);
        await set(key, 'both', '1');
        await r1.waitFor(() => r1.itemsOf(key).length > 0, 'event on the first', eventTimeout);
        await r2.waitFor(() => r2.itemsOf(key).length > 0, 'event on the second', eventTimeout);
        expect(r1.events.every((e) => e.id === id1)).toBe(true);
        expect(r2.events.every((e) => e.id === id2)).toBe(true);
        await unsubscribe(id1);
        await set(key, 'second only', '2');
        await r2.waitFor(() => r2.itemsOf(key).at(-1)?.value === 'second only', 'event on the second', eventTimeout);
        await sleep(150);
        expect(r1.itemsOf(key).map((i) => i.value)).not.toContain('second only');
        await unsubscribe(id2);
      });

      if (opts.deleteEvent === 'empty' || opts.deleteEvent === 'last') {
        it(`a deleted key is reported (${opts.deleteEvent === 'empty' ? 'with an empty value' : 'as it was last'})`, async () => {
          const key = k('deleted');
          await set(key, 'doomed', '1');
          const rec = new Recorder();
          const id = await subscribe([key], rec);
          await backend.delete(key);
          await rec.waitFor(() => rec.itemsOf(key).length > 0, 'delete event', eventTimeout);
          const last = rec.itemsOf(key).at(-1);
          if (opts.deleteEvent === 'empty') expect(last).toMatchObject({ value: '', version: '' });
          else expect(last).toMatchObject({ value: 'doomed', version: '1' });
          await unsubscribe(id);
        });
      }
    });

    describe('unsubscribe', () => {
      it('stops the events', async () => {
        const key = k('stop');
        const rec = new Recorder();
        const id = await subscribe([key], rec);
        await set(key, 'seen', '1');
        await rec.waitFor(() => rec.itemsOf(key).length > 0, 'event before unsubscribe', eventTimeout);
        await unsubscribe(id);
        const before = rec.events.length;
        await set(key, 'unseen', '2');
        await sleep(300);
        expect(rec.events.length).toBe(before);
      });

      it('an unknown id is refused as subscription-not-found', async () => {
        const outcome = await store.unsubscribe(`no-such-${run}`).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isConfigurationStoreError(outcome) ? outcome.errorKind : outcome).toBe('subscription-not-found');
      });

      it('twice: the second is refused', async () => {
        const id = await store.subscribe({ keys: [k('twice')], metadata: subMeta }, async () => undefined);
        await store.unsubscribe(id);
        const outcome = await store.unsubscribe(id).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isConfigurationStoreError(outcome) ? outcome.errorKind : outcome).toBe('subscription-not-found');
      });
    });
  });
}
