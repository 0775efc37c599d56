// Component metadata of `lock.redis` (components.md 5.11), parsed and checked once at init.
// Dapr's lock store is standalone-only: Redis Cluster, Sentinel failover and replicated servers
// are refused (the first two by the shared connection parser, the last one in init, where the
// server can be asked).
import { parseRedisSettings } from '@tessera/common-redis';
import type { RedisSettings } from '@tessera/common-redis';
import type { ComponentMetadata } from '@tessera/spi';

export type RedisLockSettings = RedisSettings;

export function parseRedisLockMetadata(meta: ComponentMetadata): RedisLockSettings {
  return parseRedisSettings(meta);
}
