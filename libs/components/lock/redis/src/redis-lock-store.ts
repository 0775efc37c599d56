// `lock.redis` v1 on one standalone Redis server, in Dapr's layout (components.md 5.11), so a
// Dapr sidecar and Tessera contend for the same locks: the lock is a plain string key (the full
// `lock||<appId>||<resourceId>` key from the block) holding the owner, taken with
// `SET <key> <owner> NX PX <ms>` and released by Dapr's Lua script below (missing -> -1, other
// owner -> -2, else DEL). Expiry is Redis's own. One ioredis connection per store.
// Refused, as Dapr refuses them: cluster, Sentinel failover, a server with connected replicas
// (a lock acknowledged by a primary that then fails over could be granted twice).
import type { Redis } from 'ioredis';
import { createRedisClient } from '@tessera/common-redis';
import { LockStoreError } from '@tessera/spi';
import type { ComponentMetadata, LockFeature, LockStore, LockTryRequest, LockTryResponse, LockUnlockRequest, LockUnlockStatus } from '@tessera/spi';
import { parseRedisLockMetadata } from './redis-lock-metadata';

/** Dapr's unlock script, verbatim in behaviour: -1 no lock, -2 someone else's, else DEL's count. */
export const UNLOCK_SCRIPT =
  'local v = redis.call("get",KEYS[1]); if v==false then return -1 end; if v~=ARGV[1] then return -2 else return redis.call("del",KEYS[1]) end';

type ScriptedRedis = Redis & { tesseraLockUnlock(key: string, owner: string): Promise<number> };

export function createRedisLockStore(meta: ComponentMetadata): LockStore {
  return new RedisLockStore(meta);
}

/** `connected_slaves:N` of INFO replication (0 when absent). */
export function connectedReplicas(info: string): number {
  const m = /^connected_slaves:(\d+)/m.exec(info);
  return m ? Number(m[1]) : 0;
}

class RedisLockStore implements LockStore {
  private client: ScriptedRedis | undefined;
  private lastError: Error | undefined;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const s = parseRedisLockMetadata(this.meta);
    const client = createRedisClient(s, {
      connectionName: `tessera-lock-${this.meta.name}`,
      onError: (e) => {
        this.lastError = e;
      },
    }) as ScriptedRedis;
    client.defineCommand('tesseraLockUnlock', { numberOfKeys: 1, lua: UNLOCK_SCRIPT });
    let replicas: number;
    try {
      await client.connect();
      replicas = connectedReplicas(await client.info('replication'));
    } catch (e) {
      client.disconnect();
      const cause = this.lastError ?? e;
      throw new LockStoreError(`redis lock store: error connecting to redis at ${s.host}:${s.port}: ${messageOf(cause)}`, { cause });
    }
    if (replicas > 0) {
      client.disconnect();
      throw new LockStoreError(`redis lock store: ${s.host}:${s.port} has ${replicas} connected replica(s); replication is not supported by the Redis lock store`);
    }
    this.client = client;
  }

  features(): readonly LockFeature[] {
    return [];
  }

  async tryLock(req: LockTryRequest): Promise<LockTryResponse> {
    const client = this.connected();
    try {
      const reply = await client.set(req.resourceId, req.lockOwner, 'PX', req.expiryInSeconds * 1000, 'NX');
      return { success: reply === 'OK' };
    } catch (e) {
      throw new LockStoreError(`redis lock store: SET NX failed for ${req.resourceId}: ${messageOf(e)}`, { cause: e });
    }
  }

  async unlock(req: LockUnlockRequest): Promise<LockUnlockStatus> {
    const client = this.connected();
    let reply: number;
    try {
      reply = Number(await client.tesseraLockUnlock(req.resourceId, req.lockOwner));
    } catch (e) {
      throw new LockStoreError(`redis lock store: unlock script failed for ${req.resourceId}: ${messageOf(e)}`, { cause: e });
    }
    if (reply >= 0) return 'SUCCESS';
    if (reply === -1) return 'LOCK_DOES_NOT_EXIST';
    if (reply === -2) return 'LOCK_BELONGS_TO_OTHERS';
    throw new LockStoreError(`redis lock store: unexpected unlock reply ${reply} for ${req.resourceId}`);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    try {
      await c.quit();
    } catch {
      c.disconnect();
    }
  }

  private connected(): ScriptedRedis {
    if (!this.client) throw new LockStoreError('redis lock store is not initialized or already closed');
    return this.client;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
