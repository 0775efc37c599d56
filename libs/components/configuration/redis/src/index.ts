// Public surface of @tessera/configuration-redis: the `configuration.redis` v1 factory.
export { createRedisConfigurationStore } from './redis-configuration-store';
export { parseRedisConfigurationMetadata } from './redis-configuration-metadata';
export type { RedisConfigurationSettings } from './redis-configuration-metadata';
export { formatItemValue, parseItemValue, keyspaceFlagsToSet } from './redis-layout';
