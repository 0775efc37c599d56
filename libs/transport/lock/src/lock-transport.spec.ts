// LockTransportClient -> LockTransportServer over loopback, against a small in-file fake LockApi:
// round trips of every method (zero values included), ApiError round trips, call context,
// the transport's own failures worded as the lock block's errors, reconnection, a client of
// another service refused, many calls in flight.
import { GrpcCode, LockErrors, UnlockResponse_Status, isApiError } from '@tessera/contracts';
import type { ApiError, CallContext, LockApi, RegisteredComponent, TryLockRequest, TryLockResponse, UnlockRequest, UnlockResponse } from '@tessera/contracts';
import { StateTransportClient } from '@tessera/transport-state';
import { createServer } from 'node:net';
import { LockTransportClient, LockTransportServer } from './index';

type Handler = (req: unknown, ctx: CallContext) => Promise<unknown>;

class FakeLockApi implements LockApi {
  readonly calls: Array<{ method: string; req: unknown; ctx: CallContext }> = [];
  readonly handlers: Partial<Record<keyof LockApi, Handler>> = {};
  private run(method: keyof LockApi, req: unknown, ctx: CallContext, dflt: unknown): Promise<never> {
    this.calls.push({ method, req, ctx });
    const h = this.handlers[method];
    return (h ? h(req, ctx) : Promise.resolve(dflt)) as Promise<never>;
  }
  tryLock(req: TryLockRequest, ctx: CallContext): Promise<TryLockResponse> {
    return this.run('tryLock', req, ctx, { success: true });
  }
  unlock(req: UnlockRequest, ctx: CallContext): Promise<UnlockResponse> {
    return this.run('unlock', req, ctx, { status: UnlockResponse_Status.SUCCESS });
  }
  listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.run('listComponents', undefined, ctx, [{ name: 'lockstore', type: 'lock.redis', version: 'v1', capabilities: [] }]);
  }
}

const ctx: CallContext = { appId: 'app-1', namespace: 'ns-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
const lockReq: TryLockRequest = { storeName: 'lockstore', resourceId: 'résource-😀', lockOwner: 'owner-1', expiryInSeconds: 2_147_483_647 };
const unlockReq: UnlockRequest = { storeName: 'lockstore', resourceId: 'résource-😀', lockOwner: 'owner-1' };

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

describe('lock transport', () => {
  let api: FakeLockApi;
  let server: LockTransportServer;
  let client: LockTransportClient;
  let port: number;

  beforeEach(async () => {
    api = new FakeLockApi();
    server = new LockTransportServer(api);
    ({ port } = await server.listen('127.0.0.1', 0));
    client = new LockTransportClient(`127.0.0.1:${port}`);
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  it('round trips tryLock, both outcomes', async () => {
    expect(await client.tryLock(lockReq, ctx)).toEqual({ success: true });
    expect(api.calls[0]).toMatchObject({ method: 'tryLock', req: lockReq });
    api.handlers.tryLock = async () => ({ success: false });
    expect(await client.tryLock(lockReq, ctx)).toEqual({ success: false });
  });

  it('round trips unlock with every status, SUCCESS (the proto3 zero value) included', async () => {
    for (const status of [UnlockResponse_Status.SUCCESS, UnlockResponse_Status.LOCK_DOES_NOT_EXIST, UnlockResponse_Status.LOCK_BELONGS_TO_OTHERS]) {
      api.handlers.unlock = async () => ({ status });
      expect(await client.unlock(unlockReq, ctx)).toEqual({ status });
    }
    expect(api.calls.every((c) => JSON.stringify(c.req) === JSON.stringify(unlockReq))).toBe(true);
  });

  it('lists components for the calling app', async () => {
    expect(await client.listComponents({ appId: 'app-9', namespace: '' })).toEqual([{ name: 'lockstore', type: 'lock.redis', version: 'v1', capabilities: [] }]);
    expect(api.calls[0]?.ctx.appId).toBe('app-9');
  });

  it('carries the call context (app id, namespace, trace context, deadline)', async () => {
    const deadline = Date.now() + 5000;
    await client.tryLock(lockReq, { ...ctx, deadline });
    const got = api.calls[0]?.ctx as CallContext;
    expect([got.appId, got.namespace, got.traceparent]).toEqual(['app-1', 'ns-1', ctx.traceparent]);
    expect(got.deadline).toBeLessThanOrEqual(deadline + 50);
    expect(got.signal?.aborted).toBe(false);
  });

  it('sends the lock block\'s ApiErrors back intact', async () => {
    const errors = [LockErrors.notConfigured(), LockErrors.notFound('x'), LockErrors.expiryNotPositive('x'), LockErrors.tryLock('input key/keyPrefix \'a||b\' can\'t contain \'||\'', false)];
    for (const original of errors) {
      api.handlers.tryLock = async () => {
        throw original;
      };
      const e = await rejection(client.tryLock(lockReq, ctx));
      expect([e.code, e.message, e.httpStatus, e.grpcCode, e.retryable]).toEqual([original.code, original.message, original.httpStatus, original.grpcCode, original.retryable]);
    }
    api.handlers.unlock = async () => {
      throw LockErrors.unlock('redis down');
    };
    expect((await rejection(client.unlock(unlockReq, ctx))).message).toBe('failed to release lock: redis down');
  });

  it('words its own failures as the block would: ERR_TRY_LOCK / ERR_UNLOCK, UNAVAILABLE, retryable', async () => {
    const dead = new LockTransportClient(`127.0.0.1:${await freePort()}`);
    try {
      const t = await rejection(dead.tryLock(lockReq, ctx));
      expect([t.code, t.httpStatus, t.grpcCode, t.retryable]).toEqual(['ERR_TRY_LOCK', 500, GrpcCode.UNAVAILABLE, true]);
      expect(t.message).toMatch(new RegExp(`^failed to try acquiring lock: lock-svc at ${dead.address} is unreachable: .*ECONNREFUSED`));
      const u = await rejection(dead.unlock(unlockReq, ctx));
      expect([u.code, u.grpcCode]).toEqual(['ERR_UNLOCK', GrpcCode.UNAVAILABLE]);
      expect(u.message).toMatch(/^failed to release lock: lock-svc at .* is unreachable/);
    } finally {
      await dead.close();
    }
  });

  it('a deadline that passes fails with ERR_TRY_LOCK / DEADLINE_EXCEEDED', async () => {
    api.handlers.tryLock = () => new Promise(() => undefined);
    const e = await rejection(client.tryLock(lockReq, { ...ctx, deadline: Date.now() + 100 }));
    expect([e.code, e.grpcCode]).toEqual(['ERR_TRY_LOCK', GrpcCode.DEADLINE_EXCEEDED]);
    expect(e.message).toBe('failed to try acquiring lock: context deadline exceeded');
  });

  it('recovers by itself when lock-svc comes back on its port', async () => {
    await server.close(0);
    expect((await rejection(client.tryLock(lockReq, ctx))).grpcCode).toBe(GrpcCode.UNAVAILABLE);
    api = new FakeLockApi();
    server = new LockTransportServer(api);
    await server.listen('127.0.0.1', port);
    const t0 = Date.now();
    let res: TryLockResponse | undefined;
    while (res === undefined && Date.now() - t0 < 3000) {
      res = await client.tryLock(lockReq, ctx).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 20)));
    }
    expect(res).toEqual({ success: true });
  });

  it('refuses a client of another internal service (a state client at the lock port)', async () => {
    const wrong = new StateTransportClient(`127.0.0.1:${port}`);
    try {
      const e = await rejection(wrong.getState({ storeName: 's', key: 'k', consistency: 0, metadata: {} }, ctx));
      expect(e.grpcCode).toBe(GrpcCode.UNAVAILABLE);
      expect(api.calls).toHaveLength(0);
    } finally {
      await wrong.close();
    }
  });

  it('500 calls in flight on one connection each get their own answer', async () => {
    api.handlers.tryLock = (r) =>
      new Promise((resolve) => setTimeout(() => resolve({ success: (r as TryLockRequest).lockOwner.endsWith('7') }), Math.floor(Math.random() * 20)));
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => client.tryLock({ ...lockReq, lockOwner: `o${i}` }, ctx)));
    results.forEach((r, i) => expect(r.success).toBe(String(i).endsWith('7')));
  });
});
