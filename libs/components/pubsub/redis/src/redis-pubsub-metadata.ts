// Component metadata of `pubsub.redis` (components.md 5.5), parsed and checked once at init. The
// connection fields are read by the parser every Redis component shares (@tessera/common-redis).
import { parseRedisSettings } from '@tessera/common-redis';
import type { RedisSettings } from '@tessera/common-redis';
import { ComponentConfigError, intProp, parseDuration, prop } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface RedisPubSubSettings {
  readonly connection: RedisSettings;
  /** `redeliverInterval` (60s; 0 disables the reclaim of idle pending entries). */
  readonly redeliverIntervalMs: number;
  /** `processingTimeout` (15s; 0 disables): idle time after which a pending entry is reclaimed. */
  readonly processingTimeoutMs: number;
  /** `queueDepth` (100): entries read per XREADGROUP / XPENDING and buffered per subscription. */
  readonly queueDepth: number;
  /** `concurrency` (10): handlers running at once per subscription. */
  readonly concurrency: number;
  /** `maxLenApprox` (0 = unlimited): XADD MAXLEN ~ n. */
  readonly maxLenApprox: number;
  /** `streamTTL` (0 = none): XADD MINID ~ <now - streamTTL>, used when maxLenApprox is not set. */
  readonly streamTtlMs: number;
}

export function parseRedisPubSubMetadata(meta: ComponentMetadata): RedisPubSubSettings {
  const connection = parseRedisSettings(meta);
  const queueDepth = intProp(meta, 'queueDepth', 100);
  if (queueDepth < 1) throw new ComponentConfigError('queueDepth', `a positive integer, got ${queueDepth}`);
  const concurrency = intProp(meta, 'concurrency', 10);
  if (concurrency < 1) throw new ComponentConfigError('concurrency', `a positive integer, got ${concurrency}`);
  const maxLenApprox = intProp(meta, 'maxLenApprox', 0);
  if (maxLenApprox < 0) throw new ComponentConfigError('maxLenApprox', `an integer >= 0, got ${maxLenApprox}`);
  return {
    connection,
    redeliverIntervalMs: duration(meta, 'redeliverInterval', 60_000),
    processingTimeoutMs: duration(meta, 'processingTimeout', 15_000),
    queueDepth,
    concurrency,
    maxLenApprox,
    streamTtlMs: duration(meta, 'streamTTL', 0),
  };
}

/** A Go duration or bare seconds; zero or negative means "disabled" (0). */
function duration(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallbackMs;
  const ms = parseDuration(v);
  if (ms === undefined) throw new ComponentConfigError(name, `a duration such as "60s" or "500ms", got "${v}"`);
  return ms <= 0 ? 0 : Math.round(ms);
}
