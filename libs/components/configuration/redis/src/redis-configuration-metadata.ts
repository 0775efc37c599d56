// Component metadata of `configuration.redis` (components.md 5.12), parsed and checked once at
// init by the connection parser every Redis component shares (single node only: cluster and
// Sentinel fail start-up with a clear message instead of silently talking to one node).
import { parseRedisSettings } from '@tessera/common-redis';
import type { RedisSettings } from '@tessera/common-redis';
import type { ComponentMetadata } from '@tessera/spi';

export type RedisConfigurationSettings = RedisSettings;

export function parseRedisConfigurationMetadata(meta: ComponentMetadata): RedisConfigurationSettings {
  return parseRedisSettings(meta);
}
