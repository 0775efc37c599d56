// lock.redis against the shared lock conformance suite (real Redis; skipped loudly when absent),
// plus Dapr's exact data layout and the metadata checks.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describeLockConformance } from '@tessera/conformance';
import type { ComponentMetadata, LockStore } from '@tessera/spi';
import { redisSkipReason, testRedisUrl } from '@tessera/testing';
import { parseRedisLockMetadata } from './redis-lock-metadata';
import { connectedReplicas, createRedisLockStore } from './redis-lock-store';

const url = new URL(testRedisUrl());
const skipReason = redisSkipReason();

function meta(properties: Record<string, string>): ComponentMetadata {
  return { name: 'lockstore', type: 'lock.redis', version: 'v1', appId: 'app', properties };
}

const connection = (): Record<string, string> => ({
  redisHost: `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`,
  ...(url.username ? { redisUsername: decodeURIComponent(url.username) } : {}),
  ...(url.password ? { redisPassword: decodeURIComponent(url.password) } : {}),
});

async function open(): Promise<LockStore> {
  const s = createRedisLockStore(meta(connection()));
  await s.init();
  return s;
}

describeLockConformance('lock.redis', open, skipReason === undefined ? {} : { skipReason });

(skipReason === undefined ? describe : describe.skip)('lock.redis layout (Dapr compatible)', () => {
  let store: LockStore;
  let raw: Redis;
  beforeAll(async () => {
    store = await open();
    raw = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    await store.close();
    raw.disconnect();
  });

  it('stores the owner as a plain string under the full key, with a PX expiry', async () => {
    const key = `lock||layout-${randomUUID()}||res`;
    expect(await store.tryLock({ resourceId: key, lockOwner: 'owner-1', expiryInSeconds: 30 })).toEqual({ success: true });
    expect(await raw.type(key)).toBe('string');
    expect(await raw.get(key)).toBe('owner-1');
    const pttl = await raw.pttl(key);
    expect(pttl).toBeGreaterThan(28_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
    expect(await store.unlock({ resourceId: key, lockOwner: 'owner-1' })).toBe('SUCCESS');
    expect(await raw.exists(key)).toBe(0);
  });

  it('honours a lock written by a Dapr sidecar (SET NX EX) and releases it for its owner', async () => {
    const key = `lock||dapr-${randomUUID()}||res`;
    await raw.set(key, 'dapr-owner', 'EX', 30, 'NX');
    expect(await store.tryLock({ resourceId: key, lockOwner: 'tessera', expiryInSeconds: 30 })).toEqual({ success: false });
    expect(await store.unlock({ resourceId: key, lockOwner: 'tessera' })).toBe('LOCK_BELONGS_TO_OTHERS');
    expect(await store.unlock({ resourceId: key, lockOwner: 'dapr-owner' })).toBe('SUCCESS');
  });

  it('fails init with a clear message when Redis is unreachable', async () => {
    const s = createRedisLockStore(meta({ redisHost: '127.0.0.1:1', dialTimeout: '500ms', redisMaxRetries: '0' }));
    await expect(s.init()).rejects.toThrow(/lock store: error connecting to redis at 127.0.0.1:1/);
    await s.close();
  });
});

describe('lock.redis metadata', () => {
  const fieldOf = (properties: Record<string, string>): string | undefined => {
    try {
      parseRedisLockMetadata(meta(properties));
    } catch (e) {
      return (e as { field?: string }).field;
    }
    return undefined;
  };

  it('applies defaults and reads every supported field', () => {
    expect(parseRedisLockMetadata(meta({ redisHost: 'localhost' }))).toEqual({
      host: 'localhost', port: 6379, db: 0, tls: false, dialTimeoutMs: 5000, readTimeoutMs: 3000, maxRetries: 3,
    });
    expect(parseRedisLockMetadata(meta({ redishost: '[::1]:6380', redisPassword: 'pw', redisUsername: 'u', redisDB: '2', enableTLS: 'true', dialTimeout: '1s', readTimeout: '250ms', redisMaxRetries: '-1' }))).toEqual({
      host: '::1', port: 6380, username: 'u', password: 'pw', db: 2, tls: true, dialTimeoutMs: 1000, readTimeoutMs: 250, maxRetries: 0,
    });
  });

  it('refuses what Dapr\'s standalone lock store refuses, naming the field', () => {
    expect(fieldOf({})).toBe('redisHost');
    expect(fieldOf({ redisHost: 'a:1,b:2' })).toBe('redisHost');
    expect(fieldOf({ redisHost: 'a:1', redisType: 'cluster' })).toBe('redisType');
    expect(fieldOf({ redisHost: 'a:1', failover: 'true' })).toBe('failover');
    expect(fieldOf({ redisHost: 'a:99999' })).toBe('redisHost');
    expect(fieldOf({ redisHost: 'a:1', redisDB: 'x' })).toBe('redisDB');
    expect(fieldOf({ redisHost: 'a:1', dialTimeout: 'soon' })).toBe('dialTimeout');
  });

  it('reads connected replicas from INFO replication', () => {
    expect(connectedReplicas('# Replication\r\nrole:master\r\nconnected_slaves:2\r\n')).toBe(2);
    expect(connectedReplicas('# Replication\r\nrole:master\r\nconnected_slaves:0\r\n')).toBe(0);
    expect(connectedReplicas('')).toBe(0);
  });
});
