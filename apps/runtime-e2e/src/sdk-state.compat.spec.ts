// Compatibility: the official Dapr JS SDK (@dapr/dapr 3.x) drives Tessera's state API unchanged,
// over HTTP and over gRPC, in both topologies (all-in-one; split = gateway + state-svc as
// separate processes), on real Redis and Postgres (and the embedded SQLite default), and what it
// writes lands in the backends in Dapr's layout. Every state call the SDK offers is covered,
// including the errors the SDK surfaces (asserted as HTTP status + errorCode / gRPC code + reason).
//
// One runtime (or gateway + state-svc pair) per combination, started in beforeAll. Keys are unique
// per run; Postgres uses a table of its own for this file.
import { join } from 'node:path';
import { StateConcurrencyEnum, StateConsistencyEnum } from '@dapr/dapr';
import type { DaprClient } from '@dapr/dapr';
import { postgresSkipReason, redisSkipReason } from '@tessera/testing';
import { postgresRow, redisHash, sqliteRow } from './support/backends';
import { postgresStateYaml, redisStateYaml } from './support/components';
import { resourcesDir, startRuntime, startStateSvc, tempDir } from './support/processes';
import type { Runtime, StateSvc } from './support/processes';
import { GrpcCode, expectedShape, ok, sdkClient, sdkError, shapeOf } from './support/sdk';
import type { ExpectedDaprError, Protocol } from './support/sdk';

type Mode = 'all-in-one' | 'split';
type Store = 'redis' | 'postgresql' | 'sqlite';

interface Combo {
  mode: Mode;
  store: Store;
  protocol: Protocol;
  skip?: string;
}

const TABLE = 'tessera_e2e_sdk_compat';
const STORE = 'statestore';
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

const skipReason: Record<Store, string | undefined> = {
  redis: redisSkipReason(),
  postgresql: postgresSkipReason(),
  sqlite: undefined,
};

const combos: Combo[] = [];
for (const mode of ['all-in-one', 'split'] as const) {
  for (const store of ['redis', 'postgresql', 'sqlite'] as const) {
    // The embedded SQLite default is a file of the all-in-one process: no split variant.
    if (store === 'sqlite' && mode === 'split') continue;
    for (const protocol of ['HTTP', 'gRPC'] as const) {
      const skip = skipReason[store];
      combos.push(skip === undefined ? { mode, store, protocol } : { mode, store, protocol, skip });
    }
  }
}
const runnable = combos.filter((c) => c.skip === undefined);
const skipped = combos.filter((c) => c.skip !== undefined);
for (const store of new Set(skipped.map((c) => c.store))) {
  console.warn(`SKIPPED: SDK state compatibility on state.${store} (every mode and protocol): ${skipReason[store]}`);
}

if (skipped.length > 0) {
  describe.skip.each(skipped)('SDK state: $mode / state.$store / $protocol — SKIPPED: $skip', () => {
    it('needs its backend', () => undefined);
  });
}

const NOT_FOUND: ExpectedDaprError = {
  http: { status: 400, errorCode: 'ERR_STATE_STORE_NOT_FOUND' },
  grpc: { code: GrpcCode.InvalidArgument, reason: 'DAPR_STATE_NOT_FOUND' },
};
const SAVE_CONFLICT: ExpectedDaprError = { http: { status: 409, errorCode: 'ERR_STATE_SAVE' }, grpc: { code: GrpcCode.Aborted } };
const DELETE_CONFLICT: ExpectedDaprError = { http: { status: 409, errorCode: 'ERR_STATE_DELETE' }, grpc: { code: GrpcCode.Aborted } };
const TX_FAILED: ExpectedDaprError = { http: { status: 500, errorCode: 'ERR_STATE_TRANSACTION' }, grpc: { code: GrpcCode.Internal } };
const QUERY_UNSUPPORTED: ExpectedDaprError = {
  http: { status: 500, errorCode: 'ERR_STATE_STORE_NOT_SUPPORTED' },
  grpc: { code: GrpcCode.Internal, reason: 'DAPR_STATE_QUERYING_NOT_SUPPORTED' },
};
/** Parses as an ETag for every store (Redis: integer; Postgres: uint32 xmin) but matches nothing. */
const WRONG_ETAG = '4000000001';

/** Polls until `fn` resolves truthy; the deadline is a safety net, not a timing assertion. */
async function eventually(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > until) throw new Error(`${what}: not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A missing key: the SDK's get answers '' (HTTP 204 body / empty gRPC data) in both protocols. */
const MISSING = '';

describe.each(runnable)('SDK state: $mode / state.$store / $protocol', ({ mode, store, protocol }) => {
  const appId = `sdk-${mode}-${store}-${protocol}`.toLowerCase();
  const key = (name: string): string => `${RUN}-${protocol}-${name}`;
  const cwd = tempDir('tessera-sdk-');
  let svc: StateSvc | undefined;
  let rt: Runtime;
  let client: DaprClient;

  /** The ETag of a key, as the SDK exposes it (getBulk; get returns the value only). */
  const etagOf = async (k: string): Promise<string> => {
    const [item] = (await client.state.getBulk(STORE, [k])) as Array<{ etag?: string }>;
    expect(item?.etag).toEqual(expect.any(String));
    expect(item?.etag).not.toBe('');
    return item?.etag as string;
  };

  /**
   * gRPC transaction upserts go through Buffer.from(value): the SDK only accepts strings there
   * (an object throws in the SDK), so gRPC callers send JSON text; HTTP callers send the object.
   */
  const txValue = (v: object): unknown => (protocol === 'gRPC' ? JSON.stringify(v) : v);
  /**
   * The SDK types a transaction ETag as { value }, but HTTP posts it as-is (daprd rejects an
   * object) and gRPC calls etag.toString() ("[object Object]"): only a plain string works on both.
   */
  const txEtag = (etag: string): { value: string } => etag as unknown as { value: string };

  beforeAll(async () => {
    const files: Record<string, string> = {};
    if (store === 'redis') files['statestore.yaml'] = redisStateYaml(STORE);
    if (store === 'postgresql') files['statestore.yaml'] = postgresStateYaml(STORE, TABLE);
    const resources = store === 'sqlite' ? [] : [resourcesDir(files)];
    if (mode === 'split') {
      svc = await startStateSvc({ resources, cwd });
      rt = await startRuntime({ appId, stateSvc: svc.address, cwd });
    } else {
      rt = await startRuntime({ appId, resources, cwd });
    }
    client = sdkClient(protocol, rt);
  });

  afterAll(async () => {
    await client?.stop().catch(() => undefined);
    await rt?.stop();
    await svc?.stop();
  });

  it('save one item, then get returns it', async () => {
    const k = key('single');
    await ok(client.state.save(STORE, [{ key: k, value: { name: 'ada', n: 1 } }]));
    expect(await client.state.get(STORE, k)).toEqual({ name: 'ada', n: 1 });
  });

  it('save several items (with consistency/concurrency options), getBulk returns them in request order', async () => {
    const [a, b, c, missing] = [key('bulk-a'), key('bulk-b'), key('bulk-c'), key('bulk-missing')];
    await ok(
      client.state.save(STORE, [
        { key: a, value: { i: 1 }, options: { consistency: StateConsistencyEnum.CONSISTENCY_STRONG, concurrency: StateConcurrencyEnum.CONCURRENCY_LAST_WRITE } },
        { key: b, value: 42 },
        { key: c, value: [1, 'two'] },
      ]),
    );
    const items = (await client.state.getBulk(STORE, [c, missing, a, b], { parallelism: 2 })) as Array<{ key: string; data?: unknown; etag?: string }>;
    expect(items.map((i) => i.key)).toEqual([c, missing, a, b]);
    expect(items[0]?.data).toEqual([1, 'two']);
    expect(items[2]?.data).toEqual({ i: 1 });
    expect(items[3]?.data).toEqual(42);
    // A missing key has no data: HTTP omits the field, the gRPC SDK maps empty bytes to ''.
    expect([undefined, '']).toContainEqual(items[1]?.data);
    for (const i of [items[0], items[2], items[3]]) expect(i?.etag).toMatch(/.+/);
  });

  it('get of a missing key returns empty', async () => {
    expect(await client.state.get(STORE, key('never-written'))).toBe(MISSING);
  });

  it('save with the current etag (first-write) succeeds; with a stale etag it is a conflict', async () => {
    const k = key('etag-save');
    await ok(client.state.save(STORE, [{ key: k, value: { v: 1 } }]));
    const first = await etagOf(k);
    const firstWrite = { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG };
    await ok(client.state.save(STORE, [{ key: k, value: { v: 2 }, etag: first, options: firstWrite }]));
    const second = await etagOf(k);
    expect(second).not.toBe(first);

    const err = await sdkError(protocol, () => client.state.save(STORE, [{ key: k, value: { v: 3 }, etag: first, options: firstWrite }]));
    expect(shapeOf(err)).toEqual(expectedShape(protocol, SAVE_CONFLICT));
    expect(await client.state.get(STORE, k)).toEqual({ v: 2 });
  });

  it('save with metadata ttlInSeconds: the value is readable, then expires', async () => {
    const k = key('ttl');
    await ok(client.state.save(STORE, [{ key: k, value: { short: 'lived' } }], { metadata: { ttlInSeconds: '2' } }));
    const keep = key('ttl-keep');
    await ok(client.state.save(STORE, [{ key: keep, value: { long: 'lived' } }]));
    expect(await client.state.get(STORE, k)).toEqual({ short: 'lived' });
    await eventually(async () => (await client.state.get(STORE, k)) === MISSING, 15_000, `${k} expiring`);
    expect(await client.state.get(STORE, keep)).toEqual({ long: 'lived' });
  });

  it('delete: a wrong etag is rejected, the right etag deletes, a plain delete of a missing key is fine', async () => {
    const k = key('delete');
    await ok(client.state.save(STORE, [{ key: k, value: { doomed: true } }]));
    const etag = await etagOf(k);

    const err = await sdkError(protocol, () => client.state.delete(STORE, k, { etag: WRONG_ETAG }));
    expect(shapeOf(err)).toEqual(expectedShape(protocol, DELETE_CONFLICT));
    expect(await client.state.get(STORE, k)).toEqual({ doomed: true });

    await ok(client.state.delete(STORE, k, { etag }));
    expect(await client.state.get(STORE, k)).toBe(MISSING);
    await ok(client.state.delete(STORE, key('delete-never-written')));
  });

  it('transaction: upserts and a delete apply together', async () => {
    const [a, b, gone] = [key('tx-a'), key('tx-b'), key('tx-gone')];
    await ok(client.state.save(STORE, [{ key: gone, value: { bye: 1 } }]));
    await client.state.transaction(STORE, [
      { operation: 'upsert', request: { key: a, value: txValue({ tx: 'a' }) } },
      { operation: 'upsert', request: { key: b, value: txValue({ tx: 'b' }) } },
      { operation: 'delete', request: { key: gone } },
    ]);
    expect(await client.state.get(STORE, a)).toEqual({ tx: 'a' });
    expect(await client.state.get(STORE, b)).toEqual({ tx: 'b' });
    expect(await client.state.get(STORE, gone)).toBe(MISSING);
  });

  it('transaction: an etag mismatch inside fails the transaction', async () => {
    const [guarded, other] = [key('tx-guarded'), key('tx-other')];
    await ok(client.state.save(STORE, [{ key: guarded, value: { v: 1 } }]));
    const err = await sdkError(protocol, () =>
      client.state.transaction(STORE, [
        { operation: 'upsert', request: { key: other, value: txValue({ should: 'not land' }) } },
        { operation: 'upsert', request: { key: guarded, value: txValue({ v: 2 }), etag: txEtag(WRONG_ETAG) } },
      ]),
    );
    expect(shapeOf(err)).toEqual(expectedShape(protocol, TX_FAILED));
    expect(await client.state.get(STORE, guarded)).toEqual({ v: 1 });
    // All-or-nothing on the SQL stores; Redis applies MULTI/EXEC without rollback (semantics.md 2).
    if (store !== 'redis') expect(await client.state.get(STORE, other)).toBe(MISSING);
  });

  if (store === 'redis') {
    it('query: Redis has no query API, the SDK surfaces ERR_STATE_STORE_NOT_SUPPORTED', async () => {
      const err = await sdkError(protocol, () => client.state.query(STORE, { filter: { EQ: { kind: 'x' } }, sort: [], page: { limit: 10 } }));
      expect(shapeOf(err)).toEqual(expectedShape(protocol, QUERY_UNSUPPORTED));
    });
  } else {
    it('query: filter, sort and paging with a token', async () => {
      const kind = `${RUN}-${protocol}-${mode}`;
      await ok(
        client.state.save(STORE, [
          { key: key('q1'), value: { kind, n: 1 } },
          { key: key('q2'), value: { kind, n: 2 } },
          { key: key('q3'), value: { kind, n: 3 } },
          { key: key('q-other'), value: { kind: `${kind}-other`, n: 4 } },
        ]),
      );
      const data = (d: unknown): unknown => (d instanceof Uint8Array ? JSON.parse(Buffer.from(d).toString('utf8')) : d);
      const page1 = await client.state.query(STORE, { filter: { EQ: { kind } }, sort: [{ key: 'n', order: 'DESC' }], page: { limit: 2 } });
      expect(page1.results.map((r) => [r.key, data(r.data)])).toEqual([
        [key('q3'), { kind, n: 3 }],
        [key('q2'), { kind, n: 2 }],
      ]);
      expect(page1.token).toMatch(/.+/);
      const page2 = await client.state.query(STORE, {
        filter: { EQ: { kind } },
        sort: [{ key: 'n', order: 'DESC' }],
        page: { limit: 2, token: page1.token as string },
      });
      expect(page2.results.map((r) => [r.key, data(r.data)])).toEqual([[key('q1'), { kind, n: 1 }]]);
      const none = await client.state.query(STORE, { filter: { EQ: { kind: `${kind}-nothing` } }, sort: [], page: { limit: 2 } });
      expect(none.results).toEqual([]);
    });
  }

  it('an unknown store is ERR_STATE_STORE_NOT_FOUND (get, save, delete, getBulk, transaction)', async () => {
    const calls: Array<() => Promise<unknown>> = [
      () => client.state.get('no-such-store', key('x')),
      () => client.state.save('no-such-store', [{ key: key('x'), value: 1 }]),
      () => client.state.delete('no-such-store', key('x')),
      () => client.state.getBulk('no-such-store', [key('x')]),
      () => client.state.transaction('no-such-store', [{ operation: 'delete', request: { key: key('x') } }]),
    ];
    for (const call of calls) {
      const err = await sdkError(protocol, call);
      expect(shapeOf(err)).toEqual(expectedShape(protocol, NOT_FOUND));
      expect(err.message).toBe('state store no-such-store is not found');
    }
  });

  it(`stores data in Dapr's key layout in ${store} (<appId>||<key>)`, async () => {
    const k = key('layout');
    await ok(client.state.save(STORE, [{ key: k, value: { layout: 'dapr', n: 7 } }]));
    const etag = await etagOf(k);
    const stored = `${appId}||${k}`;
    if (store === 'redis') {
      const hash = await redisHash(stored);
      expect(Object.keys(hash).sort()).toEqual(['data', 'version']);
      expect(JSON.parse(hash['data'] as string)).toEqual({ layout: 'dapr', n: 7 });
      expect(hash['version']).toBe(etag);
    } else if (store === 'postgresql') {
      const row = await postgresRow(TABLE, stored);
      expect(row).toEqual({ key: stored, value: { layout: 'dapr', n: 7 }, etag });
    } else {
      const row = sqliteRow(join(cwd, '.tessera', 'state.db'), stored);
      expect(row).toEqual({ key: stored, value: JSON.stringify({ layout: 'dapr', n: 7 }), is_binary: 0, etag });
    }
  });
});
