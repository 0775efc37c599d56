// configuration.redis pieces without a server: metadata, Dapr's value layout, keyspace flags.
import type { ComponentMetadata } from '@tessera/spi';
import { parseRedisConfigurationMetadata } from './redis-configuration-metadata';
import { formatItemValue, keyOfChannel, keyspaceChannel, keyspaceFlagsToSet, keyspacePattern, parseItemValue } from './redis-layout';

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'cfg', type: 'configuration.redis', version: 'v1', properties, appId: 'app' });

const configError = (fn: () => unknown): { kind?: string; field?: string; message: string } => {
  try {
    fn();
  } catch (e) {
    return e as { kind?: string; field?: string; message: string };
  }
  throw new Error('expected a ComponentConfigError');
};

describe('configuration.redis metadata', () => {
  it('applies the defaults', () => {
    expect(parseRedisConfigurationMetadata(meta({ redisHost: 'localhost:6379' }))).toEqual({
      host: 'localhost',
      port: 6379,
      db: 0,
      tls: false,
      dialTimeoutMs: 5000,
      readTimeoutMs: 3000,
      maxRetries: 3,
    });
  });

  it('reads every field, names case-insensitively', () => {
    expect(
      parseRedisConfigurationMetadata(
        meta({ redishost: '[::1]:6380', redisPassword: 'pw', redisUsername: 'u', redisDB: '3', enableTLS: 'true', redisMaxRetries: '0', redisType: 'node' }),
      ),
    ).toEqual({ host: '::1', port: 6380, username: 'u', password: 'pw', db: 3, tls: true, dialTimeoutMs: 5000, readTimeoutMs: 3000, maxRetries: 0 });
  });

  it('refuses what it cannot run', () => {
    expect(configError(() => parseRedisConfigurationMetadata(meta({}))).field).toBe('redisHost');
    expect(configError(() => parseRedisConfigurationMetadata(meta({ redisHost: 'a:1', redisType: 'cluster' }))).message).toMatch(/not supported yet/);
    expect(configError(() => parseRedisConfigurationMetadata(meta({ redisHost: 'a:1,b:2' }))).field).toBe('redisHost');
    expect(configError(() => parseRedisConfigurationMetadata(meta({ redisHost: 'a:1', redisDB: '-1' }))).field).toBe('redisDB');
    expect(configError(() => parseRedisConfigurationMetadata(meta({ redisHost: 'a:1', enableTLS: 'maybe' }))).field).toBe('enableTLS');
  });
});

describe("Dapr's Redis layout", () => {
  it('splits value||version as Go strings.Split does', () => {
    expect(parseItemValue('')).toEqual({ value: '', version: '' });
    expect(parseItemValue('mockValue')).toEqual({ value: 'mockValue', version: '' });
    expect(parseItemValue('mockValue||')).toEqual({ value: 'mockValue', version: '' });
    expect(parseItemValue('mockValue||v1.0.0')).toEqual({ value: 'mockValue', version: 'v1.0.0' });
    expect(parseItemValue('a||b||c')).toEqual({ value: 'a', version: 'b' });
    expect(formatItemValue('v', '')).toBe('v');
    expect(formatItemValue('v', '2')).toBe('v||2');
  });

  it('names keyspace channels per database', () => {
    expect(keyspaceChannel(0, 'a:b')).toBe('__keyspace@0__:a:b');
    expect(keyspacePattern(3)).toBe('__keyspace@3__:*');
    expect(keyOfChannel(3, '__keyspace@3__:a:b')).toBe('a:b');
    expect(keyOfChannel(3, '__keyspace@0__:a')).toBeUndefined();
  });

  it('adds only the keyspace flags that are missing', () => {
    expect(keyspaceFlagsToSet('')).toBe('K$gxe');
    expect(keyspaceFlagsToSet('AKE')).toBeUndefined();
    expect(keyspaceFlagsToSet('KA')).toBeUndefined();
    expect(keyspaceFlagsToSet('E$')).toBe('E$Kgxe');
    expect(keyspaceFlagsToSet('Kg$xe')).toBeUndefined();
    expect(keyspaceFlagsToSet('AE')).toBe('AEK');
  });
});
