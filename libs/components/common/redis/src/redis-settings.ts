// Shared by every Redis component (state, lock, configuration, pub/sub, bindings): one reading of
// Dapr's Redis connection metadata (components.md 5.1/5.5/5.11/5.12/5.18) and one way to turn it
// into an ioredis client. Only a single node is supported for now: `redisType: cluster`, several
// addresses in `redisHost` and Sentinel `failover` fail start-up with a clear message instead of
// silently talking to one node.
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { ComponentConfigError, boolProp, intProp, parseDuration, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface RedisSettings {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls: boolean;
  /** `dialTimeout` (5s): connection establishment. */
  readonly dialTimeoutMs: number;
  /** `readTimeout` (3s; <= 0 means none): reply deadline of non-blocking commands. */
  readonly readTimeoutMs: number;
  /** `writeTimeout` (defaults to readTimeout in Dapr); present only when set explicitly. */
  readonly writeTimeoutMs?: number;
  /** `redisMaxRetries` (3; negative = 0): retries of a command across reconnects. */
  readonly maxRetries: number;
}

export const DEFAULT_DIAL_TIMEOUT_MS = 5000;
export const DEFAULT_READ_TIMEOUT_MS = 3000;
export const DEFAULT_MAX_RETRIES = 3;

/** Reads the connection fields of a Redis component's metadata; throws ComponentConfigError. */
export function parseRedisSettings(meta: ComponentMetadata): RedisSettings {
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
  const { host, port } = parseRedisHost(requiredProp(meta, 'redisHost'));
  const db = intProp(meta, 'redisDB', 0);
  if (db < 0) throw new ComponentConfigError('redisDB', `a database index >= 0, got ${db}`);
  const maxRetries = intProp(meta, 'redisMaxRetries', DEFAULT_MAX_RETRIES);
  const username = nonEmpty(prop(meta, 'redisUsername'));
  const password = nonEmpty(prop(meta, 'redisPassword'));
  const writeTimeoutMs = timeoutProp(meta, 'writeTimeout', undefined);
  return {
    host,
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
    tls: boolProp(meta, 'enableTLS', false),
    dialTimeoutMs: timeoutProp(meta, 'dialTimeout', DEFAULT_DIAL_TIMEOUT_MS) ?? DEFAULT_DIAL_TIMEOUT_MS,
    readTimeoutMs: timeoutProp(meta, 'readTimeout', DEFAULT_READ_TIMEOUT_MS) ?? DEFAULT_READ_TIMEOUT_MS,
    ...(writeTimeoutMs !== undefined ? { writeTimeoutMs } : {}),
    maxRetries: Math.max(0, maxRetries),
  };
}

/** `host:port`, `[ipv6]:port` or a bare host (port 6379). A comma list (cluster) is refused. */
export function parseRedisHost(value: string): { host: string; port: number } {
  const v = value.trim();
  if (v.includes(',')) {
    throw new ComponentConfigError('redisHost', 'a single "host:port" (several addresses mean a cluster, not supported yet)');
  }
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:]+)(?::(\d+))?$/.exec(v);
  if (!m || !m[1]) throw new ComponentConfigError('redisHost', `"host:port", got "${value}"`);
  const port = m[2] === undefined ? 6379 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ComponentConfigError('redisHost', `"host:port" with a port in 1..65535, got "${value}"`);
  }
  return { host: m[1], port };
}

export interface RedisClientOptions {
  /** CLIENT SETNAME, e.g. `tessera-state-<component>`. */
  readonly connectionName?: string;
  /**
   * A connection that runs blocking commands (XREADGROUP BLOCK, SUBSCRIBE): no command deadline,
   * since the server legitimately holds the reply back.
   */
  readonly blocking?: boolean;
  /** Receives connection errors (a listener is always installed so ioredis does not print them). */
  readonly onError?: (e: Error) => void;
}

/** ioredis options for the settings; the client connects lazily (call `connect()`). */
export function toRedisOptions(s: RedisSettings, opts: RedisClientOptions = {}): RedisOptions {
  const commandTimeout = Math.max(s.readTimeoutMs, s.writeTimeoutMs ?? 0);
  return {
    host: s.host,
    port: s.port,
    db: s.db,
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.password !== undefined ? { password: s.password } : {}),
    ...(s.tls ? { tls: { servername: s.host } } : {}),
    connectTimeout: s.dialTimeoutMs,
    ...(commandTimeout > 0 && s.readTimeoutMs > 0 && opts.blocking !== true ? { commandTimeout } : {}),
    maxRetriesPerRequest: s.maxRetries,
    lazyConnect: true,
    ...(opts.connectionName !== undefined ? { connectionName: opts.connectionName } : {}),
  };
}

/** A lazily connecting ioredis client for the settings, with an error listener installed. */
export function createRedisClient(s: RedisSettings, opts: RedisClientOptions = {}): Redis {
  const client = new Redis(toRedisOptions(s, opts));
  const onError = opts.onError;
  client.on('error', (e: Error) => onError?.(e));
  return client;
}

/** `address` for messages: `host:port`. */
export function redisAddress(s: RedisSettings): string {
  return s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

function timeoutProp(meta: ComponentMetadata, name: string, fallbackMs: number | undefined): number | undefined {
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
