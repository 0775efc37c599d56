// Public surface of @tessera/lock-in-memory: the `lock.in-memory` v1 factory.
export { createInMemoryLockStore } from './in-memory-lock-store';
