// TryLockAlpha1 / UnlockAlpha1 on the gRPC edge over a real @grpc/grpc-js client: requests pass
// through to LockApi, answers and Dapr's status codes come back, and without a lock block both
// RPCs answer UNIMPLEMENTED naming the distributed lock block.
import * as grpc from '@grpc/grpc-js';
import { DaprClient, LockErrors, UnlockResponse_Status } from '@tessera/contracts';
import type { CallContext, LockApi, MetadataApi, RuntimeLifecycle, StateApi, TryLockRequest, UnlockRequest } from '@tessera/contracts';
import { GrpcEdge } from './grpc-edge';

type Client = InstanceType<typeof DaprClient>;

const seen: Array<{ req: TryLockRequest | UnlockRequest; ctx: CallContext }> = [];
const lock: LockApi = {
  async tryLock(req, ctx) {
    seen.push({ req, ctx });
    if (req.expiryInSeconds <= 0) throw LockErrors.expiryNotPositive(req.storeName);
    if (req.storeName === 'down') throw LockErrors.tryLock('redis down');
    return { success: req.lockOwner === 'winner' };
  },
  async unlock(req, ctx) {
    seen.push({ req, ctx });
    if (req.storeName === 'none') throw LockErrors.notConfigured();
    return { status: req.lockOwner === 'owner' ? UnlockResponse_Status.SUCCESS : UnlockResponse_Status.LOCK_BELONGS_TO_OTHERS };
  },
  listComponents: async () => [],
};
const metadata: MetadataApi = { getMetadata: async () => ({ id: 'app1', runtimeVersion: 't', enabledFeatures: [], components: [], extended: {} }), setMetadata: async () => undefined };
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: () => undefined };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };
const base = { appId: 'app1', namespace: 'ns', maxBodySize: 1 << 20, enableApiLogging: false, state: {} as StateApi, metadata, lifecycle, logger };

function call<T>(fn: (cb: (e: grpc.ServiceError | null, r: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));
}

describe('gRPC lock RPCs', () => {
  let edge: GrpcEdge;
  let bare: GrpcEdge;
  let client: Client;
  let bareClient: Client;

  beforeAll(async () => {
    edge = new GrpcEdge({ ...base, lock });
    bare = new GrpcEdge(base);
    client = new DaprClient(`127.0.0.1:${await edge.listen('127.0.0.1', 0)}`, grpc.credentials.createInsecure());
    bareClient = new DaprClient(`127.0.0.1:${await bare.listen('127.0.0.1', 0)}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    bareClient.close();
    await Promise.all([edge.close(), bare.close()]);
  });

  it('TryLockAlpha1 passes the request through and answers success', async () => {
    const req: TryLockRequest = { storeName: 'lockstore', resourceId: 'r', lockOwner: 'winner', expiryInSeconds: 30 };
    expect(await call((cb) => client.tryLockAlpha1(req, cb))).toEqual({ success: true });
    expect(seen.at(-1)).toMatchObject({ req, ctx: { appId: 'app1', namespace: 'ns' } });
    expect(await call((cb) => client.tryLockAlpha1({ ...req, lockOwner: 'loser' }, cb))).toEqual({ success: false });
  });

  it('UnlockAlpha1 answers the status, SUCCESS (0) included', async () => {
    const req: UnlockRequest = { storeName: 'lockstore', resourceId: 'r', lockOwner: 'owner' };
    expect(await call((cb) => client.unlockAlpha1(req, cb))).toEqual({ status: UnlockResponse_Status.SUCCESS });
    expect(await call((cb) => client.unlockAlpha1({ ...req, lockOwner: 'x' }, cb))).toEqual({ status: UnlockResponse_Status.LOCK_BELONGS_TO_OTHERS });
  });

  it("answers the block's errors with Dapr's gRPC codes and messages", async () => {
    const bad = await call((cb) => client.tryLockAlpha1({ storeName: 's', resourceId: 'r', lockOwner: 'o', expiryInSeconds: 0 }, cb)).catch((e: grpc.ServiceError) => e);
    expect(bad).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'ExpiryInSeconds is not positive in lock store s' });
    const down = await call((cb) => client.tryLockAlpha1({ storeName: 'down', resourceId: 'r', lockOwner: 'o', expiryInSeconds: 1 }, cb)).catch((e: grpc.ServiceError) => e);
    expect(down).toMatchObject({ code: grpc.status.INTERNAL, details: 'failed to try acquiring lock: redis down' });
    const none = await call((cb) => client.unlockAlpha1({ storeName: 'none', resourceId: 'r', lockOwner: 'o' }, cb)).catch((e: grpc.ServiceError) => e);
    expect(none).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: 'lock store is not configured' });
  });

  it('without a lock block both RPCs answer UNIMPLEMENTED naming the block', async () => {
    for (const p of [
      call((cb) => bareClient.tryLockAlpha1({ storeName: 's', resourceId: 'r', lockOwner: 'o', expiryInSeconds: 1 }, cb)),
      call((cb) => bareClient.unlockAlpha1({ storeName: 's', resourceId: 'r', lockOwner: 'o' }, cb)),
    ]) {
      const e = (await p.catch((err: grpc.ServiceError) => err)) as grpc.ServiceError;
      expect(e.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(e.details).toContain('distributed lock');
    }
  });
});
