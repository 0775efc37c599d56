// LockBlock over a recording fake store: daprd's validation order, the stored key per keyPrefix
// strategy, scopes, status mapping, error mapping and resiliency; and the loader.
import { UnlockResponse_Status } from '@tessera/contracts';
import type { ApiError, CallContext, TryLockRequest, UnlockRequest } from '@tessera/contracts';
import { LockStoreError } from '@tessera/spi';
import type { LockStore, LockTryRequest, LockUnlockRequest, LockUnlockStatus } from '@tessera/spi';
import { lockKey, lockKeyStrategy } from './lock-keys';
import { loadLockStores } from './lock-loader';
import { LockBlock } from './lock.block';
import { LockStores } from './lock-stores';
import type { LockStoreEntry } from './lock-stores';

class FakeLockStore implements LockStore {
  readonly tries: LockTryRequest[] = [];
  readonly unlocks: LockUnlockRequest[] = [];
  success = true;
  status: LockUnlockStatus = 'SUCCESS';
  fail: Error | undefined;
  closed = false;
  async init(): Promise<void> {
    this.closed = false;
  }
  features(): readonly never[] {
    return [];
  }
  async tryLock(req: LockTryRequest): Promise<{ success: boolean }> {
    this.tries.push(req);
    if (this.fail) throw this.fail;
    return { success: this.success };
  }
  async unlock(req: LockUnlockRequest): Promise<LockUnlockStatus> {
    this.unlocks.push(req);
    if (this.fail) throw this.fail;
    return this.status;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const ctx: CallContext = { appId: 'app1', namespace: '' };

function entry(name: string, store: LockStore, over: Partial<LockStoreEntry> = {}): LockStoreEntry {
  return { name, type: 'lock.fake', version: 'v1', store, keyStrategy: 'appid', scopes: [], ...over };
}

const lockReq = (over: Partial<TryLockRequest> = {}): TryLockRequest => ({ storeName: 'lockstore', resourceId: 'res', lockOwner: 'owner', expiryInSeconds: 10, ...over });
const unlockReq = (over: Partial<UnlockRequest> = {}): UnlockRequest => ({ storeName: 'lockstore', resourceId: 'res', lockOwner: 'owner', ...over });

async function errorOf(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}

const shape = (e: ApiError) => ({ code: e.code, httpStatus: e.httpStatus, grpcCode: e.grpcCode, message: e.message });

describe('LockBlock validation order (daprd)', () => {
  const store = new FakeLockStore();
  const block = new LockBlock(new LockStores([entry('lockstore', store)]));
  const none = new LockBlock(new LockStores());

  it('checks expiry first, even before "no stores"', async () => {
    expect(shape(await errorOf(none.tryLock(lockReq({ expiryInSeconds: 0, resourceId: '', lockOwner: '' }), ctx)))).toEqual({
      code: 'ERR_MALFORMED_REQUEST', httpStatus: 400, grpcCode: 3, message: 'ExpiryInSeconds is not positive in lock store lockstore',
    });
    expect((await errorOf(block.tryLock(lockReq({ expiryInSeconds: -5 }), ctx))).code).toBe('ERR_MALFORMED_REQUEST');
  });

  it('then answers ERR_LOCK_STORE_NOT_CONFIGURED when no store is visible', async () => {
    expect(shape(await errorOf(none.tryLock(lockReq({ resourceId: '', storeName: 'x' }), ctx)))).toEqual({
      code: 'ERR_LOCK_STORE_NOT_CONFIGURED', httpStatus: 500, grpcCode: 9, message: 'lock store is not configured',
    });
    expect((await errorOf(none.unlock(unlockReq({ resourceId: '' }), ctx))).code).toBe('ERR_LOCK_STORE_NOT_CONFIGURED');
  });

  it('then empty resourceId, then empty lockOwner, before the store lookup', async () => {
    expect((await errorOf(block.tryLock(lockReq({ storeName: 'nope', resourceId: '', lockOwner: '' }), ctx))).message).toBe('ResourceId is empty in lock store nope');
    expect((await errorOf(block.tryLock(lockReq({ storeName: 'nope', lockOwner: '' }), ctx))).message).toBe('LockOwner is empty in lock store nope');
    expect((await errorOf(block.unlock(unlockReq({ storeName: 'nope', resourceId: '' }), ctx))).message).toBe('ResourceId is empty in lock store nope');
    expect((await errorOf(block.unlock(unlockReq({ storeName: 'nope', lockOwner: '' }), ctx))).message).toBe('LockOwner is empty in lock store nope');
  });

  it('then refuses oversized values (4096 UTF-8 bytes max) with ERR_MALFORMED_REQUEST', async () => {
    const e = await errorOf(block.tryLock(lockReq({ storeName: 'nope', lockOwner: 'o'.repeat(4097) }), ctx));
    expect(e.code).toBe('ERR_MALFORMED_REQUEST');
    expect(e.message).toBe('LockOwner is 4097 bytes in lock store nope; at most 4096 bytes are allowed');
    // 1366 three-byte characters = 4098 bytes.
    expect((await errorOf(block.unlock(unlockReq({ resourceId: '€'.repeat(1366) }), ctx))).message).toMatch(/^ResourceId is 4098 bytes/);
    await expect(block.tryLock(lockReq({ resourceId: 'r'.repeat(4096), lockOwner: 'o'.repeat(4096) }), ctx)).resolves.toEqual({ success: true });
  });

  it('then answers ERR_LOCK_STORE_NOT_FOUND for an unknown store', async () => {
    expect(shape(await errorOf(block.tryLock(lockReq({ storeName: 'nope' }), ctx)))).toEqual({
      code: 'ERR_LOCK_STORE_NOT_FOUND', httpStatus: 400, grpcCode: 3, message: 'lock store nope not found',
    });
    expect((await errorOf(block.unlock(unlockReq({ storeName: 'nope' }), ctx))).code).toBe('ERR_LOCK_STORE_NOT_FOUND');
  });

  it('then refuses `||` in the resource id with ERR_TRY_LOCK / ERR_UNLOCK, not retryable', async () => {
    const t = await errorOf(block.tryLock(lockReq({ resourceId: 'a||b' }), ctx));
    expect(shape(t)).toEqual({ code: 'ERR_TRY_LOCK', httpStatus: 500, grpcCode: 13, message: "failed to try acquiring lock: input key/keyPrefix 'a||b' can't contain '||'" });
    expect(t.retryable).toBe(false);
    const u = await errorOf(block.unlock(unlockReq({ resourceId: 'a||b' }), ctx));
    expect(shape(u)).toEqual({ code: 'ERR_UNLOCK', httpStatus: 500, grpcCode: 13, message: "failed to release lock: input key/keyPrefix 'a||b' can't contain '||'" });
  });
});

describe('LockBlock calls', () => {
  it('prefixes the key by strategy and passes owner and expiry', async () => {
    const stores = ['appid', 'name', 'none', 'mycustom'].map((s) => entry(`s-${s}`, new FakeLockStore(), { keyStrategy: s }));
    const block = new LockBlock(new LockStores(stores));
    for (const e of stores) await block.tryLock(lockReq({ storeName: e.name, expiryInSeconds: 7 }), ctx);
    expect(stores.map((e) => (e.store as FakeLockStore).tries[0])).toEqual([
      { resourceId: 'lock||app1||res', lockOwner: 'owner', expiryInSeconds: 7 },
      { resourceId: 'lock||s-name||res', lockOwner: 'owner', expiryInSeconds: 7 },
      { resourceId: 'lock||res', lockOwner: 'owner', expiryInSeconds: 7 },
      { resourceId: 'lock||mycustom||res', lockOwner: 'owner', expiryInSeconds: 7 },
    ]);
    await block.unlock(unlockReq({ storeName: 's-appid' }), { appId: 'other', namespace: 'ns' });
    expect((stores[0]?.store as FakeLockStore).unlocks[0]).toEqual({ resourceId: 'lock||other||res', lockOwner: 'owner' });
  });

  it('answers the store\'s outcome', async () => {
    const store = new FakeLockStore();
    const block = new LockBlock(new LockStores([entry('lockstore', store)]));
    store.success = false;
    expect(await block.tryLock(lockReq(), ctx)).toEqual({ success: false });
    for (const [s, n] of [['SUCCESS', 0], ['LOCK_DOES_NOT_EXIST', 1], ['LOCK_BELONGS_TO_OTHERS', 2]] as const) {
      store.status = s;
      expect(await block.unlock(unlockReq(), ctx)).toEqual({ status: n as UnlockResponse_Status });
    }
  });

  it('maps component failures to ERR_TRY_LOCK / ERR_UNLOCK (500, Internal, retryable)', async () => {
    const store = new FakeLockStore();
    store.fail = new LockStoreError('redis down');
    const block = new LockBlock(new LockStores([entry('lockstore', store)]));
    const t = await errorOf(block.tryLock(lockReq(), ctx));
    expect(shape(t)).toEqual({ code: 'ERR_TRY_LOCK', httpStatus: 500, grpcCode: 13, message: 'failed to try acquiring lock: redis down' });
    expect(t.retryable).toBe(true);
    expect(shape(await errorOf(block.unlock(unlockReq(), ctx)))).toEqual({ code: 'ERR_UNLOCK', httpStatus: 500, grpcCode: 13, message: 'failed to release lock: redis down' });
  });

  it('applies component scopes: out of scope is "not found", all out of scope is "not configured"', async () => {
    const block = new LockBlock(new LockStores([entry('mine', new FakeLockStore(), { scopes: ['app1'] }), entry('theirs', new FakeLockStore(), { scopes: ['app2'] })]));
    await expect(block.tryLock(lockReq({ storeName: 'mine' }), ctx)).resolves.toEqual({ success: true });
    expect((await errorOf(block.tryLock(lockReq({ storeName: 'theirs' }), ctx))).code).toBe('ERR_LOCK_STORE_NOT_FOUND');
    expect((await errorOf(block.tryLock(lockReq({ storeName: 'mine' }), { appId: 'app3', namespace: '' }))).code).toBe('ERR_LOCK_STORE_NOT_CONFIGURED');
    expect((await block.listComponents(ctx)).map((c) => c.name)).toEqual(['mine']);
    expect(await block.listComponents(ctx)).toEqual([{ name: 'mine', type: 'lock.fake', version: 'v1', capabilities: [] }]);
  });

  it('runs the component call under the store\'s policy, with the caller\'s signal', async () => {
    const store = new FakeLockStore();
    const seen: Array<{ name: string; signal?: AbortSignal }> = [];
    const block = new LockBlock(new LockStores([entry('lockstore', store)]), {
      policyFor: (e) => ({
        run: async (fn, opts) => {
          seen.push({ name: e.name, signal: opts?.signal });
          try {
            return await fn(new AbortController().signal);
          } catch {
            return fn(new AbortController().signal); // one retry
          }
        },
      }),
    });
    const ac = new AbortController();
    await block.tryLock(lockReq(), { ...ctx, signal: ac.signal });
    expect(seen).toEqual([{ name: 'lockstore', signal: ac.signal }]);
    let calls = 0;
    store.tryLock = async () => {
      if (calls++ === 0) throw new LockStoreError('flaky');
      return { success: true };
    };
    await expect(block.tryLock(lockReq(), ctx)).resolves.toEqual({ success: true });
  });

  it('logs each rejected request once, at debug', async () => {
    const debug = jest.fn();
    const block = new LockBlock(new LockStores(), { logger: { debug } });
    await errorOf(block.tryLock(lockReq(), ctx));
    expect(debug).toHaveBeenCalledTimes(1);
    expect(debug.mock.calls[0]?.[0]).toBe('lock store is not configured');
  });
});

describe('lock keys', () => {
  it("reads keyPrefix as daprd: default appid, lower-cased, `||` refused", () => {
    expect(lockKeyStrategy(undefined)).toBe('appid');
    expect(lockKeyStrategy('')).toBe('appid');
    expect(lockKeyStrategy('AppID')).toBe('appid');
    expect(lockKeyStrategy('MyPrefix')).toBe('myprefix');
    expect(() => lockKeyStrategy('a||b')).toThrow("input key/keyPrefix 'a||b' can't contain '||'");
  });

  it('lays keys out as lock||…', () => {
    expect(lockKey('appid', 's', 'app', 'r')).toBe('lock||app||r');
    expect(lockKey('appid', 's', '', 'r')).toBe('lock||r');
    expect(lockKey('name', 's', 'app', 'r')).toBe('lock||s||r');
    expect(lockKey('none', 's', 'app', 'r')).toBe('lock||r');
    expect(lockKey('namespace', 's', 'app', 'r')).toBe('lock||namespace||r');
  });
});

describe('loadLockStores', () => {
  const spec = (over: Record<string, unknown> = {}) => ({
    name: 'lockstore', type: 'lock.fake', version: 'v1', metadata: {}, scopes: [], initTimeoutMs: 1000, ignoreErrors: false, file: 'c.yaml', ...over,
  });
  const logger = { info: jest.fn(), warn: jest.fn() };

  it('loads stores with their key strategy and scopes', async () => {
    const stores = await loadLockStores([spec({ metadata: { KeyPrefix: 'Name' }, scopes: ['a'] })], () => () => new FakeLockStore(), '', logger);
    expect(stores.all().map((e) => [e.name, e.keyStrategy, e.scopes])).toEqual([['lockstore', 'name', ['a']]]);
  });

  it('fails naming the file and component: unknown type, bad keyPrefix, failing init', async () => {
    await expect(loadLockStores([spec()], () => undefined, '', logger)).rejects.toThrow('c.yaml: component "lockstore": spec.type: no lock store lock.fake/v1 in this build');
    await expect(loadLockStores([spec({ metadata: { keyPrefix: 'a||b' } })], () => () => new FakeLockStore(), '', logger)).rejects.toThrow(
      "c.yaml: component \"lockstore\": failed to initialise lock.fake: input key/keyPrefix 'a||b' can't contain '||'",
    );
    const failing = new FakeLockStore();
    failing.init = async () => {
      throw new Error('no backend');
    };
    await expect(loadLockStores([spec()], () => () => failing, '', logger)).rejects.toThrow('failed to initialise lock.fake: no backend');
    expect(failing.closed).toBe(true);
  });

  it('skips a failing store with ignoreErrors, closes started stores when a later one fails', async () => {
    const bad = new FakeLockStore();
    bad.init = () => new Promise(() => undefined); // never finishes: the init timeout fires
    const stores = await loadLockStores([spec({ ignoreErrors: true, initTimeoutMs: 20 })], () => () => bad, '', logger);
    expect(stores.all()).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('skipped (spec.ignoreErrors): init did not finish within 20 ms'));
    const first = new FakeLockStore();
    await expect(
      loadLockStores([spec({ name: 'a' }), spec({ name: 'b', type: 'lock.unknown' })], (t) => (t === 'lock.fake' ? () => first : undefined), '', logger),
    ).rejects.toThrow(/lock.unknown/);
    expect(first.closed).toBe(true);
  });
});
