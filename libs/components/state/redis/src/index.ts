// Public surface of @tessera/state-redis: the `state.redis` v1 factory.
export { createRedisStateStore } from './redis-state-store';
export { parseRedisMetadata } from './redis-metadata';
export type { RedisStateSettings } from './redis-metadata';
