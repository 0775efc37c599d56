// The lock store contract every lock component implements (components-contrib lock/store.go
// restated). The block hands over the complete stored key (`lock||<appId>||<resourceId>` or
// another keyPrefix form); a store must use it verbatim and never interpret it.
//
// Implementers owe:
// - mutual exclusion: of any number of concurrent tryLock() calls for one key that is free, from
//   any number of processes sharing the backend, exactly one succeeds;
// - no reentrancy: tryLock() on a held key fails, also for the owner holding it (as Dapr's Redis
//   store, SET NX, does);
// - expiry: a lock is held for `expiryInSeconds` (> 0, checked by the block) from the moment it
//   was taken; after that it is free: tryLock() may take it, unlock() answers LOCK_DOES_NOT_EXIST;
// - unlock() releases only when `lockOwner` holds the key: LOCK_DOES_NOT_EXIST when nobody holds
//   it, LOCK_BELONGS_TO_OTHERS when someone else does (the lock stays held);
// - failures throw LockStoreError; no method answers an "internal error" status;
// - concurrency safety: every method may be called concurrently;
// - close() releases every connection; no method is called after it.
import type { ComponentMetadata } from './component';

/** Dapr defines no optional lock capabilities yet; metadata reports lock stores without any. */
export type LockFeature = never;

export interface LockTryRequest {
  /** The complete stored key, prefix included. */
  readonly resourceId: string;
  readonly lockOwner: string;
  /** Positive whole seconds. */
  readonly expiryInSeconds: number;
}

export interface LockTryResponse {
  readonly success: boolean;
}

export interface LockUnlockRequest {
  readonly resourceId: string;
  readonly lockOwner: string;
}

export type LockUnlockStatus = 'SUCCESS' | 'LOCK_DOES_NOT_EXIST' | 'LOCK_BELONGS_TO_OTHERS';

export interface LockStore {
  /** Connect, create tables, check the backend. Throws ComponentConfigError for bad metadata. */
  init(): Promise<void>;
  features(): readonly LockFeature[];
  tryLock(req: LockTryRequest): Promise<LockTryResponse>;
  unlock(req: LockUnlockRequest): Promise<LockUnlockStatus>;
  close(): Promise<void>;
}

export type LockStoreFactory = (meta: ComponentMetadata) => LockStore;

/** The error a lock store throws when its backend fails; the block maps it to ERR_TRY_LOCK / ERR_UNLOCK. */
export class LockStoreError extends Error {
  readonly kind = 'tessera.lock-store-error' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LockStoreError';
  }
}

export function isLockStoreError(e: unknown): e is LockStoreError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.lock-store-error';
}
