// `bindings.redis` v1 (components.md 5.18): an output binding on one ioredis connection built by
// @tessera/common-redis from Dapr's Redis connection metadata. Every operation needs request
// metadata `key`:
// - `create`: SET key <data> (+ EXPIRE key <ttlInSeconds> in the same MULTI when it is > 0);
// - `get`: GET key, or GETDEL with metadata `delete: "true"`; data = the stored bytes verbatim
//   (no data, i.e. 204, when the key does not exist);
// - `delete`: DEL key;  `increment`: INCR key.
// create/delete/increment answer no data, as Dapr's do. Request mistakes are 'bad-request',
// Redis failures (unreachable, WRONGTYPE…) 'backend'.
import type { Redis } from 'ioredis';
import { createRedisClient, parseRedisSettings, redisAddress } from '@tessera/common-redis';
import { BindingError } from '@tessera/spi';
import type { Binding, BindingInvokeRequest, BindingInvokeResponse, ComponentMetadata } from '@tessera/spi';

export const REDIS_OPERATIONS = ['create', 'get', 'delete', 'increment'] as const;

export function createRedisBinding(meta: ComponentMetadata): Binding {
  return new RedisBinding(meta);
}

class RedisBinding implements Binding {
  private client: Redis | undefined;
  private lastError: Error | undefined;
  private closed = false;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const s = parseRedisSettings(this.meta);
    const client = createRedisClient(s, {
      connectionName: `tessera-binding-${this.meta.name}`,
      onError: (e) => {
        this.lastError = e;
      },
    });
    try {
      await client.connect();
      await client.ping();
    } catch (e) {
      client.disconnect();
      const cause = this.lastError ?? e;
      throw new BindingError('backend', `redis binding ${this.meta.name}: error connecting to redis at ${redisAddress(s)}: ${messageOf(cause)}`, { cause });
    }
    this.client = client;
  }

  operations(): readonly string[] {
    return REDIS_OPERATIONS;
  }

  async invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    if (!(REDIS_OPERATIONS as readonly string[]).includes(req.operation)) {
      throw new BindingError('bad-request', `redis binding ${this.meta.name}: invalid operation type: ${req.operation}. Expected ${REDIS_OPERATIONS.join(', ')}`);
    }
    const client = this.client;
    if (this.closed || !client) throw new BindingError('closed', `redis binding ${this.meta.name} is not initialized or closed`);
    const key = req.metadata['key'];
    if (key === undefined || key === '') throw new BindingError('bad-request', 'redis binding: missing key in request metadata');
    const ttl = parseTtl(req.metadata['ttlInSeconds']);
    try {
      switch (req.operation) {
        case 'create': {
          const value = Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
          if (ttl === undefined || ttl <= 0) {
            await client.set(key, value);
          } else {
            const results = await client.multi().set(key, value).expire(key, ttl).exec();
            const failed = results?.find(([err]) => err !== null)?.[0];
            if (failed) throw failed;
          }
          return undefined;
        }
        case 'get': {
          const v = req.metadata['delete'] === 'true' ? await client.getdelBuffer(key) : await client.getBuffer(key);
          if (v === null) return undefined;
          return { data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
        }
        case 'delete':
          await client.del(key);
          return undefined;
        default:
          await client.incr(key);
          return undefined;
      }
    } catch (e) {
      const cause = isConnectionError(e) && this.lastError ? this.lastError : e;
      throw new BindingError('backend', `redis binding ${this.meta.name}: ${req.operation} of "${key}" failed: ${messageOf(cause)}`, { cause: e });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    if (c.status !== 'ready') {
      c.disconnect(); // also stops a reconnect loop towards a server that is gone
      return;
    }
    try {
      await c.quit();
    } catch {
      c.disconnect();
    }
  }
}

function parseTtl(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new BindingError('bad-request', `redis binding: metadata ttlInSeconds must be an integer, got "${v}"`);
  return n;
}

function isConnectionError(e: unknown): boolean {
  return e instanceof Error && /max retries|Connection is closed|timed out/i.test(e.message);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
