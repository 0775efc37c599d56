// The distributed lock building block: LockApi on top of the loaded LockStores (template: dapr/dapr
// pkg/api/universal/lock.go). Validates in daprd's order, finds the store (scopes applied), builds
// the stored key by the store's keyPrefix strategy, calls the component under the component's
// resiliency policy and maps failures to Dapr's API errors. Written once; served in-process by the
// gateway (all-in-one) and by lock-svc (split). No Nest, no transport, no concrete component.
//
// Validation order (spec/http-api.md 8), the first failing check answers:
//   tryLock only: expiryInSeconds <= 0               -> ERR_MALFORMED_REQUEST
//   no lock store visible to the app                 -> ERR_LOCK_STORE_NOT_CONFIGURED
//   empty resourceId, then empty lockOwner           -> ERR_MALFORMED_REQUEST
//   resourceId / lockOwner over LOCK_MAX_FIELD_BYTES -> ERR_MALFORMED_REQUEST   (Tessera's limit)
//   unknown (or out-of-scope) store                  -> ERR_LOCK_STORE_NOT_FOUND
//   `||` in resourceId                               -> ERR_TRY_LOCK / ERR_UNLOCK (as daprd)
//   component failure                                -> ERR_TRY_LOCK / ERR_UNLOCK
import { LOCK_MAX_FIELD_BYTES, LockErrors, UnlockResponse_Status } from '@tessera/contracts';
import type { ApiError, CallContext, LockApi, RegisteredComponent, TryLockRequest, TryLockResponse, UnlockRequest, UnlockResponse } from '@tessera/contracts';
import type { LockUnlockStatus } from '@tessera/spi';
import { lockKey } from './lock-keys';
import type { LockStoreEntry, LockStores } from './lock-stores';

/** What the block needs of a resiliency policy (runtime-core's Policy satisfies it). */
export interface LockCallPolicy {
  run<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: { readonly signal?: AbortSignal }): Promise<T>;
}

export interface LockBlockOptions {
  /** The outbound policy of a lock component; absent = call the component directly. */
  readonly policyFor?: (entry: LockStoreEntry) => LockCallPolicy;
  /** Rejected requests are logged here once, at debug. */
  readonly logger?: { debug(msg: string, fields?: Record<string, unknown>): void };
}

const NEVER_ABORTED: AbortSignal = new AbortController().signal;
const DIRECT: LockCallPolicy = { run: (fn, opts) => fn(opts?.signal ?? NEVER_ABORTED) };

const STATUS: Readonly<Record<LockUnlockStatus, UnlockResponse_Status>> = {
  SUCCESS: UnlockResponse_Status.SUCCESS,
  LOCK_DOES_NOT_EXIST: UnlockResponse_Status.LOCK_DOES_NOT_EXIST,
  LOCK_BELONGS_TO_OTHERS: UnlockResponse_Status.LOCK_BELONGS_TO_OTHERS,
};

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class LockBlock implements LockApi {
  constructor(
    private readonly stores: LockStores,
    private readonly opts: LockBlockOptions = {},
  ) {}

  async tryLock(req: TryLockRequest, ctx: CallContext): Promise<TryLockResponse> {
    if (!(req.expiryInSeconds > 0)) throw this.reject(LockErrors.expiryNotPositive(req.storeName), ctx);
    const entry = this.validate(req, ctx);
    let key: string;
    try {
      key = lockKey(entry.keyStrategy, entry.name, ctx.appId, req.resourceId);
    } catch (e) {
      throw this.reject(LockErrors.tryLock(messageOf(e), false), ctx);
    }
    try {
      const res = await this.policy(entry).run(
        () => entry.store.tryLock({ resourceId: key, lockOwner: req.lockOwner, expiryInSeconds: req.expiryInSeconds }),
        { signal: ctx.signal },
      );
      return { success: res.success };
    } catch (e) {
      throw LockErrors.tryLock(messageOf(e));
    }
  }

  async unlock(req: UnlockRequest, ctx: CallContext): Promise<UnlockResponse> {
    const entry = this.validate(req, ctx);
    let key: string;
    try {
      key = lockKey(entry.keyStrategy, entry.name, ctx.appId, req.resourceId);
    } catch (e) {
      throw this.reject(LockErrors.unlock(messageOf(e), false), ctx);
    }
    let status: LockUnlockStatus;
    try {
      status = await this.policy(entry).run(() => entry.store.unlock({ resourceId: key, lockOwner: req.lockOwner }), { signal: ctx.signal });
    } catch (e) {
      throw LockErrors.unlock(messageOf(e));
    }
    const mapped = STATUS[status];
    if (mapped === undefined) throw LockErrors.unlock(`lock store ${entry.name} answered an unknown status ${String(status)}`);
    return { status: mapped };
  }

  async listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.stores.visibleTo(ctx.appId).map((e) => this.stores.describe(e));
  }

  /** daprd's lockValidateRequest, plus Tessera's size limit before the store lookup. */
  private validate(req: TryLockRequest | UnlockRequest, ctx: CallContext): LockStoreEntry {
    if (this.stores.visibleTo(ctx.appId).length === 0) throw this.reject(LockErrors.notConfigured(), ctx);
    if (req.resourceId === '') throw this.reject(LockErrors.resourceIdEmpty(req.storeName), ctx);
    if (req.lockOwner === '') throw this.reject(LockErrors.lockOwnerEmpty(req.storeName), ctx);
    const idBytes = Buffer.byteLength(req.resourceId, 'utf8');
    if (idBytes > LOCK_MAX_FIELD_BYTES) throw this.reject(LockErrors.fieldTooLong('ResourceId', idBytes, req.storeName), ctx);
    const ownerBytes = Buffer.byteLength(req.lockOwner, 'utf8');
    if (ownerBytes > LOCK_MAX_FIELD_BYTES) throw this.reject(LockErrors.fieldTooLong('LockOwner', ownerBytes, req.storeName), ctx);
    const entry = this.stores.get(req.storeName, ctx.appId);
    if (!entry) throw this.reject(LockErrors.notFound(req.storeName), ctx);
    return entry;
  }

  private policy(entry: LockStoreEntry): LockCallPolicy {
    return this.opts.policyFor?.(entry) ?? DIRECT;
  }

  private reject(e: ApiError, ctx: CallContext): ApiError {
    this.opts.logger?.debug(e.message, { errorCode: e.code, appId: ctx.appId });
    return e;
  }
}

