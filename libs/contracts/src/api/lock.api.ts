// The typed distributed lock API (spec/http-api.md 8, grpc-api.md 2.8). The gateway's HTTP and
// gRPC edges call it; the lock block implements it in-process and the lock transport client
// implements it over the wire (lock-svc), so the edges cannot tell which one they hold.
// Requests and responses are the generated Dapr messages.
import type { CallContext } from '../call-context';
import type { TryLockRequest, TryLockResponse, UnlockRequest, UnlockResponse } from '../generated/dapr/proto/runtime/v1/lock';
import type { RegisteredComponent } from './state.api';

export interface LockApi {
  /**
   * Tries to take the lock on `resourceId` for `lockOwner` for `expiryInSeconds`. A lock held by
   * anyone (the same owner included) answers `success: false`; errors are ApiErrors.
   */
  tryLock(req: TryLockRequest, ctx: CallContext): Promise<TryLockResponse>;
  /** Releases the lock if `lockOwner` holds it; otherwise the status says why not. */
  unlock(req: UnlockRequest, ctx: CallContext): Promise<UnlockResponse>;
  /** The lock stores visible to `ctx.appId` (component scopes applied). */
  listComponents(ctx: CallContext): Promise<RegisteredComponent[]>;
}

/** DI token for LockApi (Nest binds it to the block or to the remote client). */
export const LOCK_API = Symbol.for('tessera.LockApi');
