// Component metadata of `lock.redis` (components.md 5.11), parsed and checked once at init.
// Dapr's lock store is standalone-only: Redis Cluster, Sentinel failover and replicated servers
// are refused (the last one in init, where the server can be asked).
import { ComponentConfigError, boolProp, intProp, parseDuration, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface RedisLockSettings {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls: boolean;
  readonly dialTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly maxRetries: number;
}

export function parseRedisLockMetadata(meta: ComponentMetadata): RedisLockSettings {
  const redisType = (prop(meta, 'redisType') ?? 'node').trim().toLowerCase();
  if (redisType !== 'node' && redisType !== '') {
    throw new ComponentConfigError('redisType', `"node": the Redis lock store works on a single standalone server only, got "${redisType}"`);
  }
  if (boolProp(meta, 'failover', false)) {
    throw new ComponentConfigError('failover', 'false: the Redis lock store does not support Sentinel failover');
  }
  const { host, port } = parseHostPort(requiredProp(meta, 'redisHost'));
  const db = intProp(meta, 'redisDB', 0);
  if (db < 0) throw new ComponentConfigError('redisDB', `a database index >= 0, got ${db}`);
  const maxRetries = intProp(meta, 'redisMaxRetries', 3);
  const username = nonEmpty(prop(meta, 'redisUsername'));
  const password = nonEmpty(prop(meta, 'redisPassword'));
  return {
    host,
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
    tls: boolProp(meta, 'enableTLS', false),
    dialTimeoutMs: duration(meta, 'dialTimeout', 5000),
    readTimeoutMs: duration(meta, 'readTimeout', 3000),
    maxRetries: Math.max(0, maxRetries),
  };
}

function parseHostPort(value: string): { host: string; port: number } {
  const v = value.trim();
  if (v.includes(',')) {
    throw new ComponentConfigError('redisHost', 'a single "host:port" (the Redis lock store works on one standalone server)');
  }
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:]+)(?::(\d+))?$/.exec(v);
  if (!m || !m[1]) throw new ComponentConfigError('redisHost', `"host:port", got "${value}"`);
  const port = m[2] === undefined ? 6379 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ComponentConfigError('redisHost', `"host:port" with a port in 1..65535, got "${value}"`);
  }
  return { host: m[1], port };
}

function duration(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallbackMs;
  const ms = parseDuration(v);
  if (ms === undefined) throw new ComponentConfigError(name, `a Go duration such as "5s" or "500ms", got "${v}"`);
  return ms <= 0 ? 0 : ms;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
