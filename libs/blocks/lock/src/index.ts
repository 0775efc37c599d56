// Public surface of @tessera/block-lock.
export { LockBlock } from './lock.block';
export type { LockBlockOptions, LockCallPolicy } from './lock.block';
export { LockStores } from './lock-stores';
export type { LockStoreEntry } from './lock-stores';
export { lockKey, lockKeyStrategy, IllegalLockKeyError, LOCK_KEY_SEPARATOR } from './lock-keys';
export { loadLockStores, closeLockStores, LockStoreLoadError } from './lock-loader';
export type { LockComponentSpec, LockLoaderLogger } from './lock-loader';
