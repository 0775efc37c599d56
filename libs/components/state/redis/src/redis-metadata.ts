// Component metadata of `state.redis` (components.md 5.1), parsed and checked once at init. The
// connection fields are read by the parser every Redis component shares (single node only:
// cluster and Sentinel fail start-up with a clear error instead of silently talking to one node).
import { parseRedisSettings } from '@tessera/common-redis';
import type { RedisSettings } from '@tessera/common-redis';
import { ComponentConfigError, prop } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface RedisStateSettings extends RedisSettings {
  /** Store-wide default for `ttlInSeconds`; undefined = keys never expire unless asked. */
  readonly defaultTtlSeconds?: number;
}

export function parseRedisMetadata(meta: ComponentMetadata): RedisStateSettings {
  const connection = parseRedisSettings(meta);
  let defaultTtlSeconds: number | undefined;
  const ttl = prop(meta, 'ttlInSeconds');
  if (ttl !== undefined && ttl.trim() !== '') {
    const n = Number(ttl);
    if (!Number.isInteger(n)) throw new ComponentConfigError('ttlInSeconds', `an integer number of seconds, got "${ttl}"`);
    defaultTtlSeconds = n;
  }
  return { ...connection, ...(defaultTtlSeconds !== undefined ? { defaultTtlSeconds } : {}) };
}
