// Public surface of @tessera/common-redis: the Redis connection helpers components share.
export {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_READ_TIMEOUT_MS,
  createRedisClient,
  parseRedisHost,
  parseRedisSettings,
  redisAddress,
  toRedisOptions,
} from './redis-settings';
export type { RedisClientOptions, RedisSettings } from './redis-settings';
