// Component metadata of `configuration.redis` (components.md 5.12), parsed and checked once at
// init. A single Redis node only, like Tessera's state.redis: cluster and Sentinel fail start-up
// with a clear message instead of silently talking to one node. (The parsing rules are the same as
// state.redis's; components do not import each other, so they are restated here.)
import { ComponentConfigError, boolProp, intProp, parseDuration, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface RedisConfigurationSettings {
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

export function parseRedisConfigurationMetadata(meta: ComponentMetadata): RedisConfigurationSettings {
  const redisType = (prop(meta, 'redisType') ?? 'node').trim().toLowerCase();
  if (redisType === 'cluster') throw new ComponentConfigError('redisType', '"node": Redis Cluster is not supported yet by Tessera');
  if (redisType !== 'node' && redisType !== '') throw new ComponentConfigError('redisType', `"node" or "cluster", got "${redisType}"`);
  if (boolProp(meta, 'failover', false)) {
    throw new ComponentConfigError('failover', 'false: Redis Sentinel failover is not supported yet by Tessera');
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
    maxRetries: maxRetries < 0 ? 0 : maxRetries,
  };
}

function parseHostPort(value: string): { host: string; port: number } {
  const v = value.trim();
  if (v.includes(',')) throw new ComponentConfigError('redisHost', 'a single "host:port" (several addresses mean a cluster, not supported yet)');
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:]+)(?::(\d+))?$/.exec(v);
  if (!m || !m[1]) throw new ComponentConfigError('redisHost', `"host:port", got "${value}"`);
  const port = m[2] === undefined ? 6379 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ComponentConfigError('redisHost', `"host:port" with a port in 1..65535, got "${value}"`);
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
