// LockApi over the internal framed transport: what the gateway holds in split mode instead of the
// lock block. It fails exactly as the block would (the server sends every ApiError field back),
// and its own failures read like the block's: ERR_TRY_LOCK / ERR_UNLOCK, httpStatus 500, gRPC
// UNAVAILABLE, "failed to try acquiring lock: lock-svc at host:port is unreachable: <reason>".
// Connection handling is @tessera/transport-core's FramedClient (one TCP connection, reopened
// after a drop with backoff; ctx.signal and ctx.deadline honoured on both sides). A tryLock in
// flight when the connection breaks fails: whether lock-svc took the lock is then unknown, and
// since locks are not reentrant a retry by the same owner answers `success: false` until expiry.
import type { CallContext, LockApi, ListComponentsResponse, RegisteredComponent, TryLockRequest, TryLockResponse, UnlockRequest, UnlockResponse } from '@tessera/contracts';
import { FramedClient } from '@tessera/transport-core';
import type { FramedClientOptions } from '@tessera/transport-core';
import { LIST_COMPONENTS_REQUEST, LOCK_METHODS, LOCK_SERVICE } from './lock-methods';

export type LockTransportClientOptions = FramedClientOptions;

export class LockTransportClient implements LockApi {
  private readonly t: FramedClient;

  constructor(
    readonly address: string,
    opts: LockTransportClientOptions = {},
  ) {
    this.t = new FramedClient(address, LOCK_SERVICE, opts);
  }

  tryLock(req: TryLockRequest, ctx: CallContext): Promise<TryLockResponse> {
    return this.t.call(LOCK_METHODS.tryLock, req, ctx);
  }

  unlock(req: UnlockRequest, ctx: CallContext): Promise<UnlockResponse> {
    return this.t.call(LOCK_METHODS.unlock, req, ctx);
  }

  listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.t.call(LOCK_METHODS.listComponents, LIST_COMPONENTS_REQUEST, ctx).then((r: ListComponentsResponse) => r.components);
  }

  /** Opens the connection now rather than at the first call; rejects with an UNAVAILABLE ApiError. */
  connect(): Promise<void> {
    return this.t.connect();
  }

  /** Fails calls in flight and closes the connection; later calls fail at once. */
  close(): Promise<void> {
    return this.t.close();
  }
}
