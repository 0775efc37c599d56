// Public surface of @tessera/testing: fakes, builders and backend fixtures for tests.
export {
  DEFAULT_REDIS_URL,
  DEFAULT_POSTGRES_URL,
  testRedisUrl,
  testPostgresUrl,
  redisAvailable,
  postgresAvailable,
  redisSkipReason,
  postgresSkipReason,
} from './backend-reachability';
