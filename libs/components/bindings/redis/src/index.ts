// Public surface of @tessera/bindings-redis: the `bindings.redis` v1 factory (output only).
export { createRedisBinding, REDIS_OPERATIONS } from './redis-binding';
