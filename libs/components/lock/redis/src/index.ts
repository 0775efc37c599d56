// Public surface of @tessera/lock-redis: the `lock.redis` v1 factory.
export { createRedisLockStore } from './redis-lock-store';
export { parseRedisLockMetadata } from './redis-lock-metadata';
export type { RedisLockSettings } from './redis-lock-metadata';
