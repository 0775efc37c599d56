// ConfigurationBlock over the in-memory store: lookups and scopes, error mapping, and the
// subscription streams (first item = id, changes in order, break / abort / unsubscribe end them
// and unsubscribe from the component, back-pressure).
import { GrpcCode, isApiError } from '@tessera/contracts';
import type { ApiError, CallContext, SubscribeConfigurationResponse } from '@tessera/contracts';
import { createInMemoryConfigurationStore } from '@tessera/configuration-in-memory';
import type { InMemoryConfigurationStore } from '@tessera/configuration-in-memory';
import { ConfigurationStoreError } from '@tessera/spi';
import type { ConfigurationStore, ConfigurationUpdateHandler } from '@tessera/spi';
import { ConfigurationBlock } from './configuration.block';
import { ConfigurationStores } from './configuration-stores';

const ctx: CallContext = { appId: 'app', namespace: '' };
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

function setup(extra: { scopes?: string[]; store?: ConfigurationStore } = {}): { block: ConfigurationBlock; mem: InMemoryConfigurationStore } {
  const mem = createInMemoryConfigurationStore();
  const stores = new ConfigurationStores([
    { name: 'cfg', type: 'configuration.in-memory', version: 'v1', store: extra.store ?? mem, scopes: extra.scopes ?? [] },
  ]);
  return { block: new ConfigurationBlock(stores), mem };
}

describe('ConfigurationBlock get', () => {
  it('answers the items asked for, or every item', async () => {
    const { block, mem } = setup();
    mem.set('a', '1', 'v1', { m: 'x' });
    mem.set('b', '2');
    expect(await block.get({ storeName: 'cfg', keys: ['a', 'missing'], metadata: {} }, ctx)).toEqual({ items: { a: { value: '1', version: 'v1', metadata: { m: 'x' } } } });
    expect(Object.keys((await block.get({ storeName: 'cfg', keys: [], metadata: {} }, ctx)).items).sort()).toEqual(['a', 'b']);
  });

  it('unknown store: 400 ERR_CONFIGURATION_STORE_NOT_FOUND; none visible: 500 ERR_CONFIGURATION_STORE_NOT_CONFIGURED', async () => {
    const { block } = setup({ scopes: ['app'] });
    const e1 = await failure(block.get({ storeName: 'nope', keys: [], metadata: {} }, ctx));
    expect([e1.code, e1.httpStatus, e1.grpcCode, e1.message]).toEqual(['ERR_CONFIGURATION_STORE_NOT_FOUND', 400, GrpcCode.INVALID_ARGUMENT, 'configuration store nope not found']);
    const e2 = await failure(block.get({ storeName: 'cfg', keys: [], metadata: {} }, { appId: 'other', namespace: '' }));
    expect([e2.code, e2.httpStatus, e2.message]).toEqual(['ERR_CONFIGURATION_STORE_NOT_CONFIGURED', 500, 'configuration stores not configured']);
    const empty = new ConfigurationBlock(new ConfigurationStores());
    expect((await failure(empty.get({ storeName: 'cfg', keys: [], metadata: {} }, ctx))).code).toBe('ERR_CONFIGURATION_STORE_NOT_CONFIGURED');
  });

  it('a component failure is ERR_CONFIGURATION_GET worded as daprd', async () => {
    const mem = createInMemoryConfigurationStore();
    const broken: ConfigurationStore = Object.assign(Object.create(mem) as ConfigurationStore, {
      get: async () => {
        throw new ConfigurationStoreError('backend', 'connection refused');
      },
    });
    const { block } = setup({ store: broken });
    const e = await failure(block.get({ storeName: 'cfg', keys: ['a', 'b'], metadata: {} }, ctx));
    expect([e.code, e.httpStatus, e.grpcCode, e.message]).toEqual(['ERR_CONFIGURATION_GET', 500, GrpcCode.INTERNAL, 'failed to get [a b] from Configuration store cfg: connection refused']);
  });

  it('lists the stores visible to the app', async () => {
    const { block } = setup({ scopes: ['app'] });
    expect(await block.listComponents(ctx)).toEqual([{ name: 'cfg', type: 'configuration.in-memory', version: 'v1', capabilities: [] }]);
    expect(await block.listComponents({ appId: 'other', namespace: '' })).toEqual([]);
  });
});

describe('ConfigurationBlock subscriptions', () => {
  it('first item is the id alone; then each change, in order; break unsubscribes from the component', async () => {
    const { block, mem } = setup();
    const it = block.subscribe({ storeName: 'cfg', keys: ['a'], metadata: {} }, ctx)[Symbol.asyncIterator]();
    expect(mem.subscriptions).toBe(0); // nothing happens before iteration starts
    const first = await it.next();
    const id = (first.value as SubscribeConfigurationResponse).id;
    expect(first).toEqual({ value: { id, items: {} }, done: false });
    expect(mem.subscriptions).toBe(1);
    mem.set('a', '1', '1');
    mem.set('b', 'not watched');
    mem.set('a', '2', '2');
    expect(await it.next()).toEqual({ value: { id, items: { a: { value: '1', version: '1', metadata: {} } } }, done: false });
    expect(await it.next()).toEqual({ value: { id, items: { a: { value: '2', version: '2', metadata: {} } } }, done: false });
    await it.return?.();
    expect(mem.subscriptions).toBe(0);
    expect(block.subscriptions).toBe(0);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('errors come from the first next(): unknown store, or the component refusing', async () => {
    const { block } = setup();
    const e1 = await failure(block.subscribe({ storeName: 'nope', keys: [], metadata: {} }, ctx)[Symbol.asyncIterator]().next());
    expect(e1.code).toBe('ERR_CONFIGURATION_STORE_NOT_FOUND');
    const mem = createInMemoryConfigurationStore();
    const refusing: ConfigurationStore = Object.assign(Object.create(mem) as ConfigurationStore, {
      subscribe: async () => {
        throw new ConfigurationStoreError('bad-request', "unable to subscribe to 't'. pgNotifyChannel attribute cannot be empty");
      },
    });
    const b2 = setup({ store: refusing }).block;
    const e2 = await failure(b2.subscribe({ storeName: 'cfg', keys: ['k'], metadata: {} }, ctx)[Symbol.asyncIterator]().next());
    expect([e2.code, e2.httpStatus, e2.grpcCode, e2.message]).toEqual([
      'ERR_CONFIGURATION_SUBSCRIBE',
      500,
      GrpcCode.INTERNAL,
      "failed to subscribe [k] from Configuration store cfg: unable to subscribe to 't'. pgNotifyChannel attribute cannot be empty",
    ]);
  });

  it('aborting ctx.signal ends the stream and the component subscription', async () => {
    const { block, mem } = setup();
    const ac = new AbortController();
    const it = block.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, { ...ctx, signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    ac.abort();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    await tick();
    expect(mem.subscriptions).toBe(0);
  });

  it('a signal aborted while subscribing still ends the component subscription', async () => {
    const { block, mem } = setup();
    const ac = new AbortController();
    const it = block.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, { ...ctx, signal: ac.signal })[Symbol.asyncIterator]();
    const first = it.next();
    ac.abort();
    await expect(first).resolves.toEqual({ value: undefined, done: true });
    expect(mem.subscriptions).toBe(0);
    expect(block.subscriptions).toBe(0);
  });

  it('unsubscribe() by id completes the iteration; unknown ids, other apps and other stores get ok:false', async () => {
    const { block, mem } = setup();
    const it = block.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)[Symbol.asyncIterator]();
    const id = ((await it.next()).value as SubscribeConfigurationResponse).id;
    const pending = it.next();
    expect(await block.unsubscribe({ storeName: 'cfg', id }, { appId: 'intruder', namespace: '' })).toEqual({
      ok: false,
      message: `failed to unsubscribe to configuration request ${id}: subscription with id ${id} does not exist`,
    });
    expect((await block.unsubscribe({ storeName: 'cfg', id: 'nope' }, ctx)).ok).toBe(false);
    expect(await block.unsubscribe({ storeName: 'cfg', id }, ctx)).toEqual({ ok: true, message: '' });
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(mem.subscriptions).toBe(0);
    expect((await block.unsubscribe({ storeName: 'cfg', id }, ctx)).ok).toBe(false);
    expect((await failure(block.unsubscribe({ storeName: 'nope', id }, ctx))).code).toBe('ERR_CONFIGURATION_STORE_NOT_FOUND');
  });

  it('a component that fails to unsubscribe answers ok:false with its reason', async () => {
    const mem = createInMemoryConfigurationStore();
    const sticky: ConfigurationStore = Object.assign(Object.create(mem) as ConfigurationStore, {
      subscribe: (req: Parameters<ConfigurationStore['subscribe']>[0], h: Parameters<ConfigurationStore['subscribe']>[1]) => mem.subscribe(req, h),
      unsubscribe: async () => {
        throw new ConfigurationStoreError('backend', 'error un-listening to channel: boom');
      },
    });
    const { block } = setup({ store: sticky });
    const it = block.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)[Symbol.asyncIterator]();
    const id = ((await it.next()).value as SubscribeConfigurationResponse).id;
    expect(await block.unsubscribe({ storeName: 'cfg', id }, ctx)).toEqual({
      ok: false,
      message: `failed to unsubscribe to configuration request ${id}: error un-listening to channel: boom`,
    });
  });

  it('back-pressure: the component handler resolves only when the consumer takes the event', async () => {
    const mem = createInMemoryConfigurationStore();
    let handler: ConfigurationUpdateHandler | undefined;
    const capturing: ConfigurationStore = Object.assign(Object.create(mem) as ConfigurationStore, {
      subscribe: async (_r: unknown, h: ConfigurationUpdateHandler) => {
        handler = h;
        return 'sub-1';
      },
      unsubscribe: async () => undefined,
    });
    const { block } = setup({ store: capturing });
    const it = block.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)[Symbol.asyncIterator]();
    await it.next();
    const item = { value: '1', version: '', metadata: {} };
    let taken = 0;
    void handler?.({ id: 'sub-1', items: { k: item } }).then(() => taken++);
    void handler?.({ id: 'sub-1', items: { k: item } }).then(() => taken++);
    await tick();
    expect(taken).toBe(0);
    await it.next();
    await tick();
    expect(taken).toBe(1);
    await it.return?.(); // ending releases the component's pending handler calls too
    await tick();
    expect(taken).toBe(2);
  });

  it('close() completes every stream without unsubscribing from the components', async () => {
    const { block, mem } = setup();
    const it = block.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    await block.close();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(block.subscriptions).toBe(0);
    expect(mem.subscriptions).toBe(1); // closing the store is the loader's job
  });

  it('concurrent next() calls are refused', async () => {
    const { block } = setup();
    const it = block.subscribe({ storeName: 'cfg', keys: [], metadata: {} }, ctx)[Symbol.asyncIterator]();
    await it.next();
    const a = it.next();
    await expect(it.next()).rejects.toThrow('concurrent next()');
    await it.return?.();
    await expect(a).resolves.toEqual({ value: undefined, done: true });
  });
});
