import type { ComponentMetadata } from '@tessera/spi';
import { parseRedisMetadata } from './redis-metadata';

const meta = (properties: Record<string, string>): ComponentMetadata => ({
  name: 'statestore',
  type: 'state.redis',
  version: 'v1',
  properties,
  appId: 'app',
});

const configError = (fn: () => unknown): { kind?: string; field?: string; message: string } => {
  try {
    fn();
  } catch (e) {
    return e as { kind?: string; field?: string; message: string };
  }
  throw new Error('expected a ComponentConfigError');
};

describe('parseRedisMetadata', () => {
  it('applies Dapr defaults', () => {
    expect(parseRedisMetadata(meta({ redisHost: 'localhost:6379' }))).toEqual({
      host: 'localhost',
      port: 6379,
      db: 0,
      tls: false,
      dialTimeoutMs: 5000,
      readTimeoutMs: 3000,
      maxRetries: 3,
    });
  });

  it('reads every supported field, names matched case-insensitively', () => {
    const s = parseRedisMetadata(
      meta({
        redishost: '[::1]:6380',
        redisPassword: 'pw',
        redisUsername: 'user',
        redisDB: '2',
        enableTLS: 'true',
        dialTimeout: '1.5s',
        readTimeout: '250ms',
        redisMaxRetries: '5',
        poolSize: '20',
        ttlInSeconds: '60',
        redisType: 'node',
      }),
    );
    expect(s).toEqual({
      host: '::1',
      port: 6380,
      username: 'user',
      password: 'pw',
      db: 2,
      tls: true,
      dialTimeoutMs: 1500,
      readTimeoutMs: 250,
      maxRetries: 5,
      defaultTtlSeconds: 60,
    });
  });

  it('requires redisHost', () => {
    const e = configError(() => parseRedisMetadata(meta({})));
    expect(e.kind).toBe('tessera.component-config');
    expect(e.field).toBe('redisHost');
  });

  it('rejects cluster mode with a clear "not supported yet"', () => {
    const e = configError(() => parseRedisMetadata(meta({ redisHost: 'a:1', redisType: 'cluster' })));
    expect(e.field).toBe('redisType');
    expect(e.message).toMatch(/not supported yet/);
    expect(configError(() => parseRedisMetadata(meta({ redisHost: 'a:1,b:2' }))).message).toMatch(/cluster/);
    expect(configError(() => parseRedisMetadata(meta({ redisHost: 'a:1', failover: 'true' }))).field).toBe('failover');
  });

  it('rejects malformed values', () => {
    expect(configError(() => parseRedisMetadata(meta({ redisHost: 'a:99999' }))).field).toBe('redisHost');
    expect(configError(() => parseRedisMetadata(meta({ redisHost: 'a:1', dialTimeout: 'soon' }))).field).toBe('dialTimeout');
    expect(configError(() => parseRedisMetadata(meta({ redisHost: 'a:1', redisDB: 'x' }))).field).toBe('redisDB');
    expect(configError(() => parseRedisMetadata(meta({ redisHost: 'a:1', ttlInSeconds: '1.5' }))).field).toBe('ttlInSeconds');
    expect(configError(() => parseRedisMetadata(meta({ redisHost: 'a:1', enableTLS: 'maybe' }))).field).toBe('enableTLS');
  });
});
