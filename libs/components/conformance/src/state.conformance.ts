// The state store conformance suite: one jest `describe` that every state store (and every remote
// adapter of one) registers from its own spec file. Cases follow spec/semantics.md 2 and the
// StateStore contract in @tessera/spi; optional cases are gated by the store's features.
//
// Contract with callers:
// - `factory` returns an INITIALIZED store (init() already awaited); the suite calls close().
// - Keys are unique per run (`conf-<uuid>||…`), so suites may share a real backend; the keys
//   written are deleted best-effort in afterAll.
// - Feature gating: jest registers tests before beforeAll can await the factory, so the
//   features are only known at run time. Pass `opts.features` (the store's declared features) to
//   gate at registration: cases for a missing feature then show as *skipped*, and a case checks
//   that store.features() equals the declaration. Without it, a case for a missing feature
//   passes as not applicable and is listed in a warning after the suite.
// - An unreachable backend passes `opts.skipReason`: the suite is registered as skipped, with the
//   reason in its title and a loud console warning. It never shows as passed.
import { randomUUID } from 'node:crypto';
import { isStateStoreError } from '@tessera/spi';
import type {
  StateFeature,
  StateQuery,
  StateStore,
  StateStoreErrorKind,
  StoreDeleteRequest,
  StoreQueryResponse,
  StoreSetRequest,
} from '@tessera/spi';

export interface StateConformanceOptions {
  /** Set when the backend is unreachable: the whole suite is registered as skipped. */
  readonly skipReason?: string;
  /** The features the store declares; gates optional cases at registration (see head comment). */
  readonly features?: readonly StateFeature[];
  /** The store applies multi() all-or-nothing (SQL stores, in-memory); Redis does not. */
  readonly atomicTransactions?: boolean;
  /** The backend re-serialises JSON (e.g. Postgres jsonb): JSON values compare semantically. */
  readonly normalizesJson?: boolean;
  /** Extra metadata for query() requests (e.g. an index name). */
  readonly queryMetadata?: Readonly<Record<string, string>>;
}

const ALL_FEATURES: readonly StateFeature[] = ['ETAG', 'TRANSACTIONAL', 'QUERY_API', 'TTL', 'ACTOR', 'DELETE_WITH_PREFIX'];
const TTL_DEADLINE_MS = 3000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/** Polls `check` until it returns true or `deadlineMs` passes; returns the last answer. */
async function poll(check: () => Promise<boolean>, deadlineMs: number, everyMs = 100): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await sleep(everyMs);
  }
}

async function expectStateError(p: Promise<unknown>, kinds: readonly StateStoreErrorKind[]): Promise<void> {
  const outcome = await p.then(
    () => ({ ok: true as const }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (outcome.ok) throw new Error(`expected a StateStoreError of kind ${kinds.join(' | ')}, but the call succeeded`);
  const e = outcome.e;
  if (!isStateStoreError(e)) throw new Error(`expected a StateStoreError of kind ${kinds.join(' | ')}, got: ${String(e)}`);
  expect(kinds).toContain(e.errorKind);
}

export function describeStateConformance(
  name: string,
  factory: () => Promise<StateStore>,
  opts: StateConformanceOptions = {},
): void {
  if (opts.skipReason !== undefined) {
    const title = `${name} state conformance — SKIPPED: ${opts.skipReason}`;
    console.warn(`\n!!!!!!!!!!\n!!! ${title}\n!!! The suite did NOT run; this is not a pass.\n!!!!!!!!!!\n`);
    describe.skip(title, () => {
      it('backend unavailable: conformance not run', () => undefined);
    });
    return;
  }

  const runId = randomUUID();
  const prefix = `conf-${runId}||`;
  const written = new Set<string>();
  const notApplicable: string[] = [];
  let store: StateStore;

  const k = (suffix: string): string => {
    const key = prefix + suffix;
    written.add(key);
    return key;
  };
  const has = (f: StateFeature): boolean => store.features().includes(f);
  const set = (key: string, value: Buffer, extra: Partial<Omit<StoreSetRequest, 'key' | 'value'>> = {}): Promise<void> =>
    store.set({ key, value, metadata: {}, options: {}, ...extra });
  const del = (key: string, extra: Partial<Omit<StoreDeleteRequest, 'key'>> = {}): Promise<void> =>
    store.delete({ key, metadata: {}, options: {}, ...extra });
  const get = (key: string) => store.get({ key, metadata: {} });
  const etagOf = async (key: string): Promise<string> => {
    const r = await get(key);
    if (r?.etag === undefined) throw new Error(`no etag for ${key}`);
    return r.etag;
  };
  const expectJson = (actual: Buffer | undefined, expected: Buffer): void => {
    expect(actual).toBeDefined();
    if (opts.normalizesJson) expect(JSON.parse((actual as Buffer).toString('utf8'))).toEqual(JSON.parse(expected.toString('utf8')));
    else expect((actual as Buffer).equals(expected)).toBe(true);
  };

  /** Registers a case needing `needs`; see the head comment for how gating works. */
  const gated = (needs: readonly StateFeature[], title: string, fn: () => Promise<void>, timeoutMs?: number): void => {
    const missing = opts.features ? needs.filter((f) => !opts.features?.includes(f)) : [];
    if (missing.length > 0) {
      it.skip(`${title} [store lacks ${missing.join(', ')}]`, () => undefined);
      return;
    }
    it(
      title,
      async () => {
        const absent = needs.filter((f) => !has(f));
        if (absent.length > 0) {
          notApplicable.push(`${title} (lacks ${absent.join(', ')})`);
          return;
        }
        await fn();
      },
      timeoutMs,
    );
  };

  describe(`${name} state conformance`, () => {
    beforeAll(async () => {
      store = await factory();
    });

    afterAll(async () => {
      if (notApplicable.length > 0) {
        console.warn(`${name} state conformance: ${notApplicable.length} case(s) not applicable and NOT verified:\n  - ${notApplicable.join('\n  - ')}`);
      }
      if (!store) return;
      await Promise.allSettled([...written].map((key) => del(key)));
      await store.close();
    });

    describe('contract', () => {
      it('declares only known features, with matching optional methods', () => {
        const features = store.features();
        for (const f of features) expect(ALL_FEATURES).toContain(f);
        expect(typeof store.multi === 'function').toBe(features.includes('TRANSACTIONAL'));
        expect(typeof store.query === 'function').toBe(features.includes('QUERY_API'));
        if (opts.features) expect([...features].sort()).toEqual([...opts.features].sort());
      });
    });

    describe('crud', () => {
      it('get of a missing key resolves to undefined', async () => {
        expect(await get(k('missing'))).toBeUndefined();
      });

      it('round-trips JSON text', async () => {
        const values = [json({ a: 1, b: [true, null, 'x'], c: { d: 'é€😀' } }), json('a string'), json(42), json([1, 2, 3])];
        for (const [i, v] of values.entries()) {
          const key = k(`json-${i}`);
          await set(key, v);
          expectJson((await get(key))?.data, v);
        }
      });

      it('round-trips arbitrary binary bytes exactly', async () => {
        const all = Buffer.alloc(256);
        for (let i = 0; i < 256; i++) all[i] = (i * 7 + 3) & 0xff;
        const values = [
          Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0xa0, 0xa1]),
          all,
          Buffer.from('plain text, not JSON'),
          Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0x7d]), // {"a":<0xff>}
        ];
        for (const [i, v] of values.entries()) {
          const key = k(`bin-${i}`);
          await set(key, v);
          const got = await get(key);
          expect(got?.data.equals(v)).toBe(true);
        }
      });

      it('overwrites without an ETag (last-write-wins)', async () => {
        const key = k('overwrite');
        await set(key, json({ v: 1 }));
        await set(key, json({ v: 2 }));
        expectJson((await get(key))?.data, json({ v: 2 }));
      });

      it('deletes a key; deleting a missing key succeeds', async () => {
        const key = k('delete');
        await set(key, json('x'));
        await del(key);
        expect(await get(key)).toBeUndefined();
        await del(key);
        await del(k('never-written'));
      });
    });

    describe('etag', () => {
      gated(['ETAG'], 'returns an ETag that changes on every write', async () => {
        const key = k('etag-changes');
        const seen = new Set<string>();
        for (let i = 0; i < 3; i++) {
          await set(key, json('same value'));
          const etag = await etagOf(key);
          expect(etag).not.toBe('');
          expect(seen.has(etag)).toBe(false);
          seen.add(etag);
        }
      });

      gated(['ETAG'], 'set with the current ETag succeeds; with a stale one fails with etag-mismatch', async () => {
        const key = k('etag-set');
        await set(key, json(1));
        const stale = await etagOf(key);
        await set(key, json(2), { etag: stale });
        const current = await etagOf(key);
        expect(current).not.toBe(stale);
        await expectStateError(set(key, json(3), { etag: stale }), ['etag-mismatch']);
        const after = await get(key);
        expectJson(after?.data, json(2));
        expect(after?.etag).toBe(current);
      });

      gated(['ETAG'], 'set with an ETag on a missing key fails with etag-mismatch', async () => {
        const key = k('etag-missing');
        await set(key, json('x'));
        const etag = await etagOf(key);
        await del(key);
        await expectStateError(set(key, json('y'), { etag }), ['etag-mismatch']);
        expect(await get(key)).toBeUndefined();
      });

      gated(['ETAG'], 'rejects an ETag that cannot be one of the store (mismatch or invalid)', async () => {
        const key = k('etag-garbage');
        await set(key, json('x'));
        await expectStateError(set(key, json('y'), { etag: 'not-an-etag-@@' }), ['etag-mismatch', 'etag-invalid']);
        expectJson((await get(key))?.data, json('x'));
      });

      gated(['ETAG'], 'first-write without an ETag: inserts a new key, rejects an existing one', async () => {
        const key = k('first-write');
        await set(key, json(1), { options: { concurrency: 'first-write' } });
        await expectStateError(set(key, json(2), { options: { concurrency: 'first-write' } }), ['etag-mismatch']);
        expectJson((await get(key))?.data, json(1));
        const etag = await etagOf(key);
        await set(key, json(3), { etag, options: { concurrency: 'first-write' } });
        expectJson((await get(key))?.data, json(3));
      });

      gated(['ETAG'], 'delete checks the ETag: stale and missing-key fail, current succeeds', async () => {
        const key = k('etag-delete');
        await set(key, json(1));
        const stale = await etagOf(key);
        await set(key, json(2));
        await expectStateError(del(key, { etag: stale }), ['etag-mismatch']);
        expectJson((await get(key))?.data, json(2));
        await del(key, { etag: await etagOf(key) });
        expect(await get(key)).toBeUndefined();
        await expectStateError(del(key, { etag: stale }), ['etag-mismatch']);
      });
    });

    describe('bulk', () => {
      it('bulkGet keeps request order and reports missing keys without data', async () => {
        if (!store.bulkGet) return void notApplicable.push('bulkGet (not implemented; the block falls back to get)');
        const [a, b, missing] = [k('bulk-a'), k('bulk-b'), k('bulk-missing')];
        await set(a, json('A'));
        await set(b, Buffer.from([0xff, 0x00, 0xfe]));
        const items = await store.bulkGet([b, missing, a].map((key) => ({ key, metadata: {} })));
        expect(items.map((i) => i.key)).toEqual([b, missing, a]);
        expect(items[0]?.data?.equals(Buffer.from([0xff, 0x00, 0xfe]))).toBe(true);
        expect(items[1]?.data).toBeUndefined();
        expect(items[1]?.error).toBeUndefined();
        expectJson(items[2]?.data, json('A'));
        if (has('ETAG')) expect(items[2]?.etag).toBe(await etagOf(a));
      });

      it('bulkSet writes every item', async () => {
        if (!store.bulkSet) return void notApplicable.push('bulkSet (not implemented; the block falls back to set)');
        const keys = [0, 1, 2, 3].map((i) => k(`bulkset-${i}`));
        await store.bulkSet(keys.map((key, i) => ({ key, value: json({ i }), metadata: {}, options: {} })));
        for (const [i, key] of keys.entries()) expectJson((await get(key))?.data, json({ i }));
      });
    });

    describe('ttl', () => {
      gated(
        ['TTL'],
        'ttlInSeconds=1 expires; -1 never expires and overrides an earlier TTL',
        async () => {
          const [short, overridden, never, viaMulti] = [k('ttl-1'), k('ttl-override'), k('ttl-never'), k('ttl-multi')];
          const start = Date.now();
          await set(short, json('short'), { metadata: { ttlInSeconds: '1' } });
          await set(overridden, json('o'), { metadata: { ttlInSeconds: '1' } });
          await set(overridden, json('o2'), { metadata: { ttlInSeconds: '-1' } });
          await set(never, json('n'), { metadata: { ttlInSeconds: '-1' } });
          if (store.multi) {
            await store.multi({
              operations: [{ operation: 'upsert', request: { key: viaMulti, value: json('m'), metadata: { ttlInSeconds: '1' }, options: {} } }],
              metadata: {},
            });
          }
          expect(await get(short)).toBeDefined();
          const expired = await poll(async () => (await get(short)) === undefined && (!store.multi || (await get(viaMulti)) === undefined), Math.max(0, start + TTL_DEADLINE_MS - Date.now()));
          expect(expired).toBe(true);
          if (store.bulkGet) expect((await store.bulkGet([{ key: short, metadata: {} }]))[0]?.data).toBeUndefined();
          const wait = start + 1500 - Date.now();
          if (wait > 0) await sleep(wait);
          expectJson((await get(overridden))?.data, json('o2'));
          expectJson((await get(never))?.data, json('n'));
        },
        15_000,
      );

      gated(['TTL'], 'reports ttlExpireTime as RFC 3339 when the store reports it', async () => {
        const key = k('ttl-report');
        const before = Date.now();
        await set(key, json('x'), { metadata: { ttlInSeconds: '100' } });
        const after = Date.now();
        const got = await get(key);
        expect(got).toBeDefined();
        const t = got?.metadata?.['ttlExpireTime'];
        if (t === undefined) return void notApplicable.push('ttlExpireTime (store does not report it)');
        expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
        const ms = Date.parse(t);
        expect(ms).toBeGreaterThanOrEqual(before + 100_000 - 2000);
        expect(ms).toBeLessThanOrEqual(after + 100_000 + 2000);
      });
    });

    describe('transactions', () => {
      gated(['TRANSACTIONAL'], 'multi applies upserts and deletes together', async () => {
        const [a, b] = [k('tx-a'), k('tx-b')];
        await set(a, json('a'));
        await store.multi?.({
          operations: [
            { operation: 'upsert', request: { key: b, value: json('b'), metadata: {}, options: {} } },
            { operation: 'delete', request: { key: a, metadata: {}, options: {} } },
          ],
          metadata: {},
        });
        expect(await get(a)).toBeUndefined();
        expectJson((await get(b))?.data, json('b'));
      });

      gated(['TRANSACTIONAL'], 'multi applies operations in order', async () => {
        const [x, y] = [k('tx-order-x'), k('tx-order-y')];
        const up = (key: string, v: unknown) => ({ operation: 'upsert' as const, request: { key, value: json(v), metadata: {}, options: {} } });
        await store.multi?.({
          operations: [up(x, 1), up(x, 2), up(y, 'y'), { operation: 'delete', request: { key: y, metadata: {}, options: {} } }],
          metadata: {},
        });
        expectJson((await get(x))?.data, json(2));
        expect(await get(y)).toBeUndefined();
      });

      gated(['TRANSACTIONAL', 'ETAG'], 'an ETag mismatch fails the transaction' + (opts.atomicTransactions ? ' and applies nothing' : ''), async () => {
        const [a, fresh, gone] = [k('tx-mm-a'), k('tx-mm-fresh'), k('tx-mm-gone')];
        await set(a, json('a1'));
        const stale = await etagOf(a);
        await set(a, json('a2'));
        const current = await etagOf(a);
        await set(gone, json('g'));
        await store.multi?.({
          operations: [{ operation: 'upsert', request: { key: a, value: json('a3'), etag: current, metadata: {}, options: {} } }],
          metadata: {},
        });
        const afterOk = await etagOf(a);
        await expectStateError(
          store.multi?.({
            operations: [
              { operation: 'upsert', request: { key: fresh, value: json('f'), metadata: {}, options: {} } },
              { operation: 'delete', request: { key: gone, metadata: {}, options: {} } },
              { operation: 'upsert', request: { key: a, value: json('a4'), etag: stale, metadata: {}, options: {} } },
            ],
            metadata: {},
          }) ?? Promise.resolve(),
          ['etag-mismatch'],
        );
        if (opts.atomicTransactions) {
          expect(await get(fresh)).toBeUndefined();
          expectJson((await get(gone))?.data, json('g'));
          const a3 = await get(a);
          expectJson(a3?.data, json('a3'));
          expect(a3?.etag).toBe(afterOk);
        }
      });
    });

    describe('query', () => {
      // `%` and `_` in the prefix catch unescaped LIKE patterns; the upper-cased twin catches
      // case-insensitive matching.
      const qPrefix = `conf-${runId}-q%_||`;
      const others = [`conf-${runId}-qXY||`, `conf-${runId}-q%_Z||`, qPrefix.toUpperCase()];
      const docs: Record<string, { person: { org: string; id: number }; city: string; state: string }> = {
        d1: { person: { org: 'Dev Ops', id: 1036 }, city: 'Seattle', state: 'WA' },
        d2: { person: { org: 'Hardware', id: 1028 }, city: 'Portland', state: 'OR' },
        d3: { person: { org: 'Finance', id: 1071 }, city: 'Sacramento', state: 'CA' },
        d4: { person: { org: 'Dev Ops', id: 1042 }, city: 'Spokane', state: 'WA' },
        d5: { person: { org: 'Hardware', id: 1007 }, city: 'Los Angeles', state: 'CA' },
        d6: { person: { org: 'Dev Ops', id: 1015 }, city: 'San Francisco', state: 'CA' },
      };
      const byIdAsc = ['d5', 'd6', 'd2', 'd1', 'd4', 'd3'];
      const q = async (query: StateQuery): Promise<StoreQueryResponse> => {
        if (!store.query) throw new Error('store has QUERY_API but no query()');
        return store.query({ keyPrefix: qPrefix, query, metadata: { ...opts.queryMetadata } });
      };
      const ids = (r: StoreQueryResponse): string[] => r.results.map((x) => x.key.slice(qPrefix.length));
      const idSet = (r: StoreQueryResponse): string[] => ids(r).sort();

      beforeAll(async () => {
        if (!store || !has('QUERY_API')) return;
        const meta = { contentType: 'application/json' };
        for (const [id, doc] of Object.entries(docs)) {
          written.add(qPrefix + id);
          await set(qPrefix + id, json(doc), { metadata: meta });
        }
        for (const p of others) {
          written.add(`${p}intruder`);
          await set(`${p}intruder`, json({ person: { org: 'Dev Ops', id: 1000 }, city: 'Nowhere', state: 'CA' }), { metadata: meta });
        }
      });

      gated(['QUERY_API'], 'returns only keys under the requested prefix', async () => {
        const r = await q({});
        expect(idSet(r)).toEqual(Object.keys(docs).sort());
        for (const x of r.results) expect(x.key.startsWith(qPrefix)).toBe(true);
        const d1 = r.results.find((x) => x.key === `${qPrefix}d1`);
        expect(JSON.parse(d1?.data.toString('utf8') ?? 'null')).toEqual(docs['d1']);
      });

      gated(['QUERY_API'], 'EQ on a top-level and on a nested field', async () => {
        expect(idSet(await q({ filter: { EQ: { state: 'CA' } } }))).toEqual(['d3', 'd5', 'd6']);
        expect(idSet(await q({ filter: { EQ: { 'person.org': 'Dev Ops' } } }))).toEqual(['d1', 'd4', 'd6']);
        expect(idSet(await q({ filter: { EQ: { state: 'TX' } } }))).toEqual([]);
      });

      gated(['QUERY_API'], 'IN', async () => {
        expect(idSet(await q({ filter: { IN: { state: ['CA', 'OR'] } } }))).toEqual(['d2', 'd3', 'd5', 'd6']);
      });

      gated(['QUERY_API'], 'AND and OR, nested', async () => {
        const and = await q({ filter: { AND: [{ EQ: { 'person.org': 'Dev Ops' } }, { IN: { state: ['CA', 'WA'] } }] } });
        expect(idSet(and)).toEqual(['d1', 'd4', 'd6']);
        const or = await q({ filter: { OR: [{ EQ: { state: 'OR' } }, { EQ: { 'person.org': 'Finance' } }] } });
        expect(idSet(or)).toEqual(['d2', 'd3']);
        const nested = await q({
          filter: { OR: [{ AND: [{ EQ: { state: 'CA' } }, { EQ: { 'person.org': 'Hardware' } }] }, { EQ: { city: 'Seattle' } }] },
        });
        expect(idSet(nested)).toEqual(['d1', 'd5']);
      });

      gated(['QUERY_API'], 'sorts ASC and DESC', async () => {
        expect(ids(await q({ sort: [{ key: 'person.id' }] }))).toEqual(byIdAsc);
        expect(ids(await q({ sort: [{ key: 'person.id', order: 'ASC' }] }))).toEqual(byIdAsc);
        expect(ids(await q({ sort: [{ key: 'person.id', order: 'DESC' }] }))).toEqual([...byIdAsc].reverse());
        const filtered = await q({ filter: { EQ: { state: 'CA' } }, sort: [{ key: 'person.id', order: 'DESC' }] });
        expect(ids(filtered)).toEqual(['d3', 'd6', 'd5']);
      });

      gated(['QUERY_API'], 'pages with limit and continues with the token', async () => {
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const r = await q({ sort: [{ key: 'person.id' }], page: token === undefined ? { limit: 2 } : { limit: 2, token } });
          expect(r.results.length).toBeLessThanOrEqual(2);
          seen.push(...ids(r));
          token = r.token || undefined;
          pages++;
        } while (token !== undefined && pages < 10);
        expect(seen).toEqual(byIdAsc);
        expect(pages).toBeGreaterThanOrEqual(3);
      });
    });

    describe('concurrency', () => {
      gated(
        ['ETAG'],
        '100 concurrent writers with the same ETag: exactly one succeeds',
        async () => {
          const key = k('race-once');
          await set(key, json({ writer: -1 }));
          const etag = await etagOf(key);
          const outcomes = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => set(key, json({ writer: i }), { etag })));
          const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
          expect(won).toHaveLength(1);
          for (const o of outcomes) {
            if (o.status === 'rejected') {
              expect(isStateStoreError(o.reason)).toBe(true);
              expect((o.reason as { errorKind?: string }).errorKind).toBe('etag-mismatch');
            }
          }
          expectJson((await get(key))?.data, json({ writer: won[0] }));
        },
        30_000,
      );

      gated(
        ['ETAG'],
        '100 concurrent read-modify-write increments with retry: the counter is exact',
        async () => {
          const key = k('race-counter');
          await set(key, json({ n: 0 }));
          const increment = async (): Promise<void> => {
            for (let attempt = 0; attempt < 2000; attempt++) {
              const cur = await get(key);
              if (!cur?.etag) throw new Error('counter vanished');
              const n = (JSON.parse(cur.data.toString('utf8')) as { n: number }).n;
              try {
                await set(key, json({ n: n + 1 }), { etag: cur.etag });
                return;
              } catch (e) {
                if (!isStateStoreError(e) || e.errorKind !== 'etag-mismatch') throw e;
                await sleep(Math.random() * Math.min(20, attempt + 1));
              }
            }
            throw new Error('gave up after 2000 attempts');
          };
          await Promise.all(Array.from({ length: 100 }, increment));
          expect(JSON.parse((await get(key))?.data.toString('utf8') ?? 'null')).toEqual({ n: 100 });
        },
        60_000,
      );

      it('100 concurrent writes without an ETag all succeed (last-write-wins)', async () => {
        const key = k('race-lww');
        await Promise.all(Array.from({ length: 100 }, (_, i) => set(key, json({ i }))));
        const got = JSON.parse((await get(key))?.data.toString('utf8') ?? 'null') as { i: number };
        expect(got.i).toBeGreaterThanOrEqual(0);
        expect(got.i).toBeLessThan(100);
      });
    });
  });
}
