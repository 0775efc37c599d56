import type { ComponentMetadata } from '@tessera/spi';
import { createRedisClient, parseRedisHost, parseRedisSettings, redisAddress, toRedisOptions } from './redis-settings';

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'c', type: 'pubsub.redis', version: 'v1', properties, appId: 'app' });

const configError = (fn: () => unknown): { kind?: string; field?: string; message: string } => {
  try {
    fn();
  } catch (e) {
    return e as { kind?: string; field?: string; message: string };
  }
  throw new Error('expected a ComponentConfigError');
};

describe('parseRedisSettings', () => {
  it('applies Dapr defaults', () => {
    expect(parseRedisSettings(meta({ redisHost: 'localhost:6379' }))).toEqual({
      host: 'localhost', port: 6379, db: 0, tls: false, dialTimeoutMs: 5000, readTimeoutMs: 3000, maxRetries: 3,
    });
  });

  it('reads every field, names matched case-insensitively', () => {
    expect(
      parseRedisSettings(
        meta({
          redishost: '[::1]:6380', redisUsername: 'u', REDISPASSWORD: 'pw', redisDB: '2', enableTLS: 'true', redisMaxRetries: '-1',
          dialTimeout: '1.5s', readTimeout: '250ms', writeTimeout: '2', redisType: 'node', unrelated: 'x',
        }),
      ),
    ).toEqual({ host: '::1', port: 6380, username: 'u', password: 'pw', db: 2, tls: true, dialTimeoutMs: 1500, readTimeoutMs: 250, writeTimeoutMs: 2000, maxRetries: 0 });
  });

  it('treats negative timeouts as "none" and empty strings as unset', () => {
    const s = parseRedisSettings(meta({ redisHost: 'h', readTimeout: '-1s', redisPassword: '', dialTimeout: '' }));
    expect(s.readTimeoutMs).toBe(0);
    expect(s.dialTimeoutMs).toBe(5000);
    expect(s.password).toBeUndefined();
  });

  it('refuses cluster, sentinel and malformed values, naming the field', () => {
    const cluster = configError(() => parseRedisSettings(meta({ redisHost: 'a:1', redisType: 'cluster' })));
    expect(cluster.kind).toBe('tessera.component-config');
    expect(cluster.field).toBe('redisType');
    expect(cluster.message).toMatch(/Cluster is not supported yet/);
    expect(configError(() => parseRedisSettings(meta({ redisHost: 'a:1,b:2' }))).message).toMatch(/cluster/);
    expect(configError(() => parseRedisSettings(meta({ redisHost: 'a:1', redisType: 'sharded' }))).field).toBe('redisType');
    expect(configError(() => parseRedisSettings(meta({ redisHost: 'a:1', failover: 'true' }))).field).toBe('failover');
    expect(configError(() => parseRedisSettings(meta({}))).field).toBe('redisHost');
    expect(configError(() => parseRedisSettings(meta({ redisHost: 'a:99999' }))).field).toBe('redisHost');
    expect(configError(() => parseRedisSettings(meta({ redisHost: 'a:1', redisDB: 'x' }))).field).toBe('redisDB');
    expect(configError(() => parseRedisSettings(meta({ redisHost: 'a:1', redisDB: '-1' }))).field).toBe('redisDB');
    expect(configError(() => parseRedisSettings(meta({ redisHost: 'a:1', enableTLS: 'maybe' }))).field).toBe('enableTLS');
    expect(configError(() => parseRedisSettings(meta({ redisHost: 'a:1', writeTimeout: 'soon' }))).field).toBe('writeTimeout');
    expect(configError(() => parseRedisSettings(meta({ redisHost: 'a:1', redisMaxRetries: '1.5' }))).field).toBe('redisMaxRetries');
  });

  it('parses host forms', () => {
    expect(parseRedisHost('redis')).toEqual({ host: 'redis', port: 6379 });
    expect(parseRedisHost(' 10.0.0.1:7000 ')).toEqual({ host: '10.0.0.1', port: 7000 });
    expect(parseRedisHost('[fe80::1]')).toEqual({ host: 'fe80::1', port: 6379 });
    expect(configError(() => parseRedisHost('a:b:c')).field).toBe('redisHost');
  });
});

describe('toRedisOptions / createRedisClient', () => {
  it('maps settings to ioredis options', () => {
    const s = parseRedisSettings(meta({ redisHost: 'h:1', redisUsername: 'u', redisPassword: 'p', redisDB: '4', enableTLS: 'true', writeTimeout: '5s' }));
    expect(toRedisOptions(s, { connectionName: 'tessera-x' })).toEqual({
      host: 'h', port: 1, db: 4, username: 'u', password: 'p', tls: { servername: 'h' }, connectTimeout: 5000,
      commandTimeout: 5000, maxRetriesPerRequest: 3, lazyConnect: true, connectionName: 'tessera-x',
    });
    expect(toRedisOptions(s, { blocking: true }).commandTimeout).toBeUndefined();
    expect(toRedisOptions(parseRedisSettings(meta({ redisHost: 'h', readTimeout: '0' }))).commandTimeout).toBeUndefined();
    expect(redisAddress(parseRedisSettings(meta({ redisHost: '[::1]:6380' })))).toBe('[::1]:6380');
  });

  it('creates a lazy client that reports connection errors to onError', async () => {
    const errors: Error[] = [];
    const client = createRedisClient(parseRedisSettings(meta({ redisHost: '127.0.0.1:1', dialTimeout: '300ms', redisMaxRetries: '0' })), {
      onError: (e) => errors.push(e),
    });
    expect(client.status).toBe('wait');
    client.options.retryStrategy = () => null;
    const ended = new Promise((resolve) => client.once('end', resolve));
    await expect(client.connect()).rejects.toThrow();
    expect(errors.length).toBeGreaterThan(0);
    client.disconnect();
    await ended;
  });
});
