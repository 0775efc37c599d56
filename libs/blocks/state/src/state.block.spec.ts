// StateBlock unit tests over a small fake store: key layout, scopes, validation, error mapping.
import { StateOptions_StateConcurrency } from '@tessera/contracts';
import type { CallContext, StateItem } from '@tessera/contracts';
import { StateStoreError } from '@tessera/spi';
import type { StateFeature, StateStore, StoreDeleteRequest, StoreGetRequest, StoreSetRequest, StoreTransactionRequest } from '@tessera/spi';
import { StateBlock } from './state.block';
import { StateStores } from './state-stores';
import type { StateStoreEntry } from './state-stores';

class FakeStore implements StateStore {
  readonly data = new Map<string, { value: Buffer; etag: string }>();
  private n = 0;
  constructor(private readonly feats: StateFeature[] = ['ETAG', 'TRANSACTIONAL']) {}
  async init(): Promise<void> {
    return undefined;
  }
  features(): StateFeature[] {
    return this.feats;
  }
  async get(req: StoreGetRequest) {
    const v = this.data.get(req.key);
    return v ? { data: v.value, etag: v.etag } : undefined;
  }
  async set(req: StoreSetRequest): Promise<void> {
    const cur = this.data.get(req.key);
    if (req.etag !== undefined && cur?.etag !== req.etag) throw new StateStoreError('etag-mismatch', 'etag mismatch');
    if (req.etag === 'bad') throw new StateStoreError('etag-invalid', 'invalid etag');
    this.data.set(req.key, { value: req.value, etag: String(++this.n) });
  }
  async delete(req: StoreDeleteRequest): Promise<void> {
    const cur = this.data.get(req.key);
    if (req.etag !== undefined && cur?.etag !== req.etag) throw new StateStoreError('etag-mismatch', 'etag mismatch');
    this.data.delete(req.key);
  }
  async multi(req: StoreTransactionRequest): Promise<void> {
    for (const op of req.operations) {
      if (op.operation === 'upsert') await this.set(op.request);
      else await this.delete(op.request);
    }
  }
  multiMaxSize(): number {
    return 3;
  }
  async close(): Promise<void> {
    return undefined;
  }
}

function entry(store: StateStore, over: Partial<StateStoreEntry> = {}): StateStoreEntry {
  return {
    name: 'store',
    type: 'state.fake',
    version: 'v1',
    store,
    features: new Set(store.features()),
    keyPrefix: 'appid',
    scopes: [],
    actorStateStore: false,
    ...over,
  };
}

const ctx: CallContext = { appId: 'app1', namespace: '' };
const item = (key: string, value: string, etag?: string): StateItem => ({
  key,
  value: Buffer.from(value),
  etag: etag === undefined ? undefined : { value: etag },
  metadata: {},
  options: undefined,
});

async function rejection(p: Promise<unknown>): Promise<{ code: string; httpStatus: number; grpcCode: number }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; httpStatus: number; grpcCode: number };
  }
  throw new Error('expected a rejection');
}

describe('StateBlock', () => {
  let store: FakeStore;
  let block: StateBlock;
  beforeEach(() => {
    store = new FakeStore();
    block = new StateBlock(new StateStores([entry(store)]));
  });

  it('stores keys as <appId>||<key> and returns them unprefixed', async () => {
    await block.saveState({ storeName: 'store', states: [item('k', '"v"')] }, ctx);
    expect([...store.data.keys()]).toEqual(['app1||k']);
    const got = await block.getState({ storeName: 'store', key: 'k', consistency: 0, metadata: {} }, ctx);
    expect(got.data.toString()).toBe('"v"');
    expect(got.etag).toBe('1');
  });

  it.each([
    ['name', 'store||k'],
    ['none', 'k'],
    ['custom', 'custom||k'],
    ['namespace', 'ns1.app1||k'],
  ])('keyPrefix %s stores %s', async (keyPrefix, stored) => {
    block = new StateBlock(new StateStores([entry(store, { keyPrefix })]));
    await block.saveState({ storeName: 'store', states: [item('k', '1')] }, { appId: 'app1', namespace: 'ns1' });
    expect([...store.data.keys()]).toEqual([stored]);
  });

  it('answers an empty response for a missing key', async () => {
    const got = await block.getState({ storeName: 'store', key: 'missing', consistency: 0, metadata: {} }, ctx);
    expect(got.data.length).toBe(0);
  });

  it('refuses keys containing ||', async () => {
    const e = await rejection(block.saveState({ storeName: 'store', states: [item('a||b', '1')] }, ctx));
    expect(e).toMatchObject({ code: 'ERR_MALFORMED_REQUEST', httpStatus: 400, grpcCode: 3 });
  });

  it('refuses an empty key', async () => {
    const e = await rejection(block.saveState({ storeName: 'store', states: [item('', '1')] }, ctx));
    expect(e).toMatchObject({ code: 'ERR_MALFORMED_REQUEST', httpStatus: 400 });
  });

  it('unknown store -> ERR_STATE_STORE_NOT_FOUND; none configured -> ERR_STATE_STORE_NOT_CONFIGURED', async () => {
    expect(await rejection(block.getState({ storeName: 'x', key: 'k', consistency: 0, metadata: {} }, ctx))).toMatchObject({
      code: 'ERR_STATE_STORE_NOT_FOUND',
      httpStatus: 400,
    });
    const empty = new StateBlock(new StateStores());
    expect(await rejection(empty.getState({ storeName: 'x', key: 'k', consistency: 0, metadata: {} }, ctx))).toMatchObject({
      code: 'ERR_STATE_STORE_NOT_CONFIGURED',
      httpStatus: 500,
    });
  });

  it('hides a store scoped to other apps', async () => {
    block = new StateBlock(new StateStores([entry(store, { scopes: ['other'] })]));
    const e = await rejection(block.getState({ storeName: 'store', key: 'k', consistency: 0, metadata: {} }, ctx));
    expect(e.code).toBe('ERR_STATE_STORE_NOT_CONFIGURED');
    expect(await block.listComponents({ appId: 'other', namespace: '' })).toHaveLength(1);
    expect(await block.listComponents(ctx)).toHaveLength(0);
  });

  it('maps ETag mismatch to 409/Aborted and invalid ETag to 400/InvalidArgument', async () => {
    await block.saveState({ storeName: 'store', states: [item('k', '1')] }, ctx);
    expect(await rejection(block.saveState({ storeName: 'store', states: [item('k', '2', '99')] }, ctx))).toMatchObject({
      code: 'ERR_STATE_SAVE',
      httpStatus: 409,
      grpcCode: 10,
    });
    expect(
      await rejection(block.deleteState({ storeName: 'store', key: 'k', etag: { value: '99' }, options: undefined, metadata: {} }, ctx)),
    ).toMatchObject({ code: 'ERR_STATE_DELETE', httpStatus: 409 });
  });

  it('runs transactions, refusing unknown operations and too many operations', async () => {
    const ops = (n: number) => Array.from({ length: n }, (_, i) => ({ operationType: 'upsert', request: item(`t${i}`, '1') }));
    await block.executeStateTransaction({ storeName: 'store', operations: ops(2), metadata: {} }, ctx);
    expect(store.data.has('app1||t1')).toBe(true);
    expect(await rejection(block.executeStateTransaction({ storeName: 'store', operations: ops(4), metadata: {} }, ctx))).toMatchObject({
      code: 'ERR_STATE_STORE_TOO_MANY_TRANSACTIONS',
      httpStatus: 400,
    });
    expect(
      await rejection(
        block.executeStateTransaction({ storeName: 'store', operations: [{ operationType: 'merge', request: item('k', '1') }], metadata: {} }, ctx),
      ),
    ).toMatchObject({ code: 'ERR_NOT_SUPPORTED_STATE_OPERATION', httpStatus: 400 });
    expect(
      await rejection(
        block.executeStateTransaction({ storeName: 'store', operations: [{ operationType: 'upsert', request: item('t0', '2', 'nope') }], metadata: {} }, ctx),
      ),
    ).toMatchObject({ code: 'ERR_STATE_TRANSACTION', httpStatus: 500 });
  });

  it('refuses transactions and queries on stores without those features', async () => {
    block = new StateBlock(new StateStores([entry(new FakeStore(['ETAG']))]));
    expect(await rejection(block.executeStateTransaction({ storeName: 'store', operations: [], metadata: {} }, ctx))).toMatchObject({
      code: 'ERR_STATE_STORE_NOT_SUPPORTED',
      grpcCode: 12,
    });
    expect(await rejection(block.queryState({ storeName: 'store', query: '{}', metadata: {} }, ctx))).toMatchObject({
      code: 'ERR_STATE_STORE_NOT_SUPPORTED',
      httpStatus: 500,
    });
  });

  it('bulk get falls back to parallel gets and keeps request order', async () => {
    await block.saveState({ storeName: 'store', states: [item('a', '1'), item('c', '3')] }, ctx);
    const res = await block.getBulkState({ storeName: 'store', keys: ['c', 'b', 'a'], parallelism: 2, metadata: {} }, ctx);
    expect(res.items.map((i) => [i.key, i.data.toString()])).toEqual([
      ['c', '3'],
      ['b', ''],
      ['a', '1'],
    ]);
  });

  it('passes first-write concurrency to the store', async () => {
    const seen: StoreSetRequest[] = [];
    const spy = new FakeStore();
    const orig = spy.set.bind(spy);
    spy.set = async (r) => {
      seen.push(r);
      return orig(r);
    };
    block = new StateBlock(new StateStores([entry(spy)]));
    await block.saveState(
      {
        storeName: 'store',
        states: [{ ...item('k', '1'), options: { concurrency: StateOptions_StateConcurrency.CONCURRENCY_FIRST_WRITE, consistency: 2 } }],
      },
      ctx,
    );
    expect(seen[0]?.options).toEqual({ concurrency: 'first-write', consistency: 'strong' });
  });
});
