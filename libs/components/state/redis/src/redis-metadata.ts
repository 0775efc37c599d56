// Component metadata of `state.redis` (components.md 5.1), parsed and checked once at init.
// Only a single node is supported for now; cluster and Sentinel fail start-up with a clear error
// instead of silently talking to one node.
import { ComponentConfigError, boolProp, intProp, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';
import { parseDuration } from '@tessera/spi';

export interface RedisStateSettings {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls: boolean;
  readonly dialTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly maxRetries: number;
  /** Store-wide default for `ttlInSeconds`; undefined = keys never expire unless asked. */
  readonly defaultTtlSeconds?: number;
}

const DEFAULT_DIAL_TIMEOUT_MS = 5000;
const DEFAULT_READ_TIMEOUT_MS = 3000;
const DEFAULT_MAX_RETRIES = 3;

export function parseRedisMetadata(meta: ComponentMetadata): RedisStateSettings {
  const redisType = (prop(meta, 'redisType') ?? 'node').trim().toLowerCase();
  if (redisType === 'cluster') {
    throw new ComponentConfigError('redisType', '"node": Redis Cluster is not supported yet by Tessera');
  }
  if (redisType !== 'node' && redisType !== '') {
    throw new ComponentConfigError('redisType', `"node" or "cluster", got "${redisType}"`);
  }
  if (boolProp(meta, 'failover', false)) {
    throw new ComponentConfigError('failover', 'false: Redis Sentinel failover is not supported yet by Tessera');
  }

  const { host, port } = parseHostPort(requiredProp(meta, 'redisHost'));
  const db = intProp(meta, 'redisDB', 0);
  if (db < 0) throw new ComponentConfigError('redisDB', `a database index >= 0, got ${db}`);
  const maxRetries = intProp(meta, 'redisMaxRetries', DEFAULT_MAX_RETRIES);

  let defaultTtlSeconds: number | undefined;
  const ttl = prop(meta, 'ttlInSeconds');
  if (ttl !== undefined && ttl.trim() !== '') {
    const n = Number(ttl);
    if (!Number.isInteger(n)) throw new ComponentConfigError('ttlInSeconds', `an integer number of seconds, got "${ttl}"`);
    defaultTtlSeconds = n;
  }

  const username = nonEmpty(prop(meta, 'redisUsername'));
  const password = nonEmpty(prop(meta, 'redisPassword'));
  return {
    host,
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
    tls: boolProp(meta, 'enableTLS', false),
    dialTimeoutMs: durationProp(meta, 'dialTimeout', DEFAULT_DIAL_TIMEOUT_MS),
    readTimeoutMs: durationProp(meta, 'readTimeout', DEFAULT_READ_TIMEOUT_MS),
    maxRetries: maxRetries < 0 ? 0 : maxRetries,
    ...(defaultTtlSeconds !== undefined ? { defaultTtlSeconds } : {}),
  };
}

function parseHostPort(value: string): { host: string; port: number } {
  const v = value.trim();
  if (v.includes(',')) {
    throw new ComponentConfigError('redisHost', 'a single "host:port" (several addresses mean a cluster, not supported yet)');
  }
  // "[::1]:6379", "host:6379", or a bare host (Redis default port).
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:]+)(?::(\d+))?$/.exec(v);
  if (!m || !m[1]) throw new ComponentConfigError('redisHost', `"host:port", got "${value}"`);
  const port = m[2] === undefined ? 6379 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ComponentConfigError('redisHost', `"host:port" with a port in 1..65535, got "${value}"`);
  }
  return { host: m[1], port };
}

function durationProp(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallbackMs;
  const ms = parseDuration(v);
  if (ms === undefined) throw new ComponentConfigError(name, `a Go duration such as "5s" or "500ms", got "${v}"`);
  // Go's client treats a negative timeout as "no timeout"; so do we.
  return ms <= 0 ? 0 : ms;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
