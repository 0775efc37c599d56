// `state.redis` v1 on a single Redis node, in Dapr's hash layout (see redis-scripts.ts).
// One ioredis connection per store, shared by all callers (Redis serialises commands anyway).
// Hot path: get() is one HGETALL; set()/delete() are one EVALSHA each (ioredis sends EVAL once per
// connection, EVALSHA after). Only a key still in the legacy plain-string layout costs a second
// GET. Not here: RedisJSON documents and the query API (they need modules this deployment lacks),
// cluster and Sentinel (rejected in redis-metadata.ts).
import type { Redis } from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import { createRedisClient } from '@tessera/common-redis';
import { StateStoreError, etagInvalid, etagMismatch, parseTtl } from '@tessera/spi';
import type {
  ComponentMetadata,
  StateFeature,
  StateStore,
  StoreBulkGetItem,
  StoreDeleteRequest,
  StoreGetRequest,
  StoreGetResponse,
  StoreSetRequest,
  StoreTransactionRequest,
} from '@tessera/spi';
import { parseRedisMetadata } from './redis-metadata';
import type { RedisStateSettings } from './redis-metadata';
import { DELETE_SCRIPT, ETAG_MISMATCH_REPLY, FIELD_DATA, FIELD_VERSION, SET_SCRIPT } from './redis-scripts';

const FEATURES: readonly StateFeature[] = Object.freeze(['ETAG', 'TRANSACTIONAL', 'TTL'] as const);
/** Dapr waits up to 1 s for replicas after a write with strong consistency. */
const WAIT_TIMEOUT_MS = 1000;
/** Redis ETags are the decimal `version`; Dapr parses them with Go's strconv.Atoi. */
const ETAG_SYNTAX = /^[+-]?\d+$/;

interface StateScripts<R> {
  tesseraStateSet(key: string, etag: string, value: Buffer, firstWrite: '0' | '1', ttl: string): R;
  tesseraStateDelete(key: string, etag: string): R;
}
type ScriptedRedis = Redis & StateScripts<Promise<number>>;
type ScriptedMulti = ChainableCommander & StateScripts<ScriptedMulti>;

export function createRedisStateStore(meta: ComponentMetadata): StateStore {
  return new RedisStateStore(meta);
}

class RedisStateStore implements StateStore {
  private client: ScriptedRedis | undefined;
  private settings: RedisStateSettings | undefined;
  private replicas = 0;
  private lastError: Error | undefined;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const s = parseRedisMetadata(this.meta);
    this.settings = s;
    // Keep the last connection error for messages.
    const client = createRedisClient(s, {
      connectionName: `tessera-state-${this.meta.name}`,
      onError: (e) => {
        this.lastError = e;
      },
    }) as ScriptedRedis;
    client.defineCommand('tesseraStateSet', { numberOfKeys: 1, lua: SET_SCRIPT });
    client.defineCommand('tesseraStateDelete', { numberOfKeys: 1, lua: DELETE_SCRIPT });
    try {
      await client.connect();
      this.replicas = parseConnectedReplicas(await client.info('replication'));
    } catch (e) {
      client.disconnect();
      const cause = this.lastError ?? e;
      throw new StateStoreError('backend', `redis store: error connecting to redis at ${s.host}:${s.port}: ${errorMessage(cause)}`, { cause });
    }
    this.client = client;
  }

  features(): readonly StateFeature[] {
    return FEATURES;
  }

  async get(req: StoreGetRequest): Promise<StoreGetResponse | undefined> {
    const client = this.connected();
    let hash: Record<string, Buffer>;
    try {
      hash = await client.hgetallBuffer(req.key);
    } catch (e) {
      if (isWrongType(e)) return this.getLegacy(req.key);
      throw backendError(`failed to get key ${req.key}`, e);
    }
    return fromHash(req.key, hash);
  }

  async bulkGet(reqs: readonly StoreGetRequest[]): Promise<StoreBulkGetItem[]> {
    if (reqs.length === 0) return [];
    const client = this.connected();
    const pipeline = client.pipeline();
    for (const r of reqs) pipeline.hgetallBuffer(r.key);
    const replies = await execPipeline(pipeline, 'bulk get failed');
    const out: StoreBulkGetItem[] = new Array(reqs.length);
    const legacy: number[] = [];
    for (let i = 0; i < reqs.length; i++) {
      const key = (reqs[i] as StoreGetRequest).key;
      const [err, hash] = replies[i] ?? [new Error('no reply')];
      if (err) {
        if (isWrongType(err)) legacy.push(i);
        else out[i] = { key, error: errorMessage(err) };
        continue;
      }
      try {
        const found = fromHash(key, hash as Record<string, Buffer>);
        out[i] = found ? { key, data: found.data, etag: found.etag as string } : { key };
      } catch (e) {
        out[i] = { key, error: errorMessage(e) };
      }
    }
    if (legacy.length > 0) {
      const p2 = client.pipeline();
      for (const i of legacy) p2.getBuffer((reqs[i] as StoreGetRequest).key);
      const r2 = await execPipeline(p2, 'bulk get failed');
      legacy.forEach((i, j) => {
        const key = (reqs[i] as StoreGetRequest).key;
        const [err, data] = r2[j] ?? [new Error('no reply')];
        out[i] = err ? { key, error: errorMessage(err) } : data ? { key, data: data as Buffer } : { key };
      });
    }
    return out;
  }

  async set(req: StoreSetRequest): Promise<void> {
    const client = this.connected();
    const etag = req.etag ?? '';
    if (etag !== '' && !ETAG_SYNTAX.test(etag)) throw etagInvalid(etag);
    const ttl = this.ttlArg(req.metadata);
    try {
      await client.tesseraStateSet(req.key, etag, req.value, req.options.concurrency === 'first-write' ? '1' : '0', ttl);
    } catch (e) {
      if (isEtagMismatch(e)) throw etagMismatch(req.key);
      throw backendError(`failed to set key ${req.key}`, e);
    }
    if (req.options.consistency === 'strong') await this.waitForReplicas();
  }

  /** One pipelined round trip of write scripts; not atomic, every item is tried. */
  async bulkSet(reqs: readonly StoreSetRequest[]): Promise<void> {
    if (reqs.length === 0) return;
    const client = this.connected();
    const ttls = reqs.map((r) => {
      if (r.etag && !ETAG_SYNTAX.test(r.etag)) throw etagInvalid(r.etag);
      return this.ttlArg(r.metadata);
    });
    const pipeline = client.pipeline() as ScriptedMulti;
    reqs.forEach((r, i) => {
      pipeline.tesseraStateSet(r.key, r.etag ?? '', r.value, r.options.concurrency === 'first-write' ? '1' : '0', ttls[i] ?? '');
    });
    const replies = await execPipeline(pipeline, 'bulk set failed');
    let failure: unknown;
    for (let i = 0; i < reqs.length; i++) {
      const err = replies[i]?.[0] ?? (replies[i] ? null : new Error('no reply'));
      if (!err) continue;
      if (isEtagMismatch(err)) throw etagMismatch(reqs[i]?.key);
      failure ??= err;
    }
    if (failure !== undefined) throw backendError('bulk set failed', failure);
    if (reqs.some((r) => r.options.consistency === 'strong')) await this.waitForReplicas();
  }

  async delete(req: StoreDeleteRequest): Promise<void> {
    const client = this.connected();
    // Like Dapr, a malformed ETag on delete is just one that cannot match.
    try {
      await client.tesseraStateDelete(req.key, req.etag ?? '');
    } catch (e) {
      if (isEtagMismatch(e)) throw etagMismatch(req.key);
      throw backendError(`failed to delete key ${req.key}`, e);
    }
    if (req.options.consistency === 'strong') await this.waitForReplicas();
  }

  /**
   * MULTI/EXEC of the same scripts, as Dapr does. Redis has no rollback: when one script fails
   * (ETag mismatch) the other operations of the transaction are still applied.
   */
  async multi(req: StoreTransactionRequest): Promise<void> {
    if (req.operations.length === 0) return;
    const client = this.connected();
    // Validate everything before anything is sent.
    const ttls: string[] = [];
    for (const op of req.operations) {
      if (op.operation === 'upsert') {
        const etag = op.request.etag ?? '';
        if (etag !== '' && !ETAG_SYNTAX.test(etag)) throw etagInvalid(etag);
        ttls.push(this.ttlArg(op.request.metadata));
      } else {
        ttls.push('');
      }
    }
    const tx = client.multi() as ScriptedMulti;
    let strong = false;
    req.operations.forEach((op, i) => {
      const r = op.request;
      if (r.options.consistency === 'strong') strong = true;
      if (op.operation === 'upsert') {
        tx.tesseraStateSet(r.key, op.request.etag ?? '', op.request.value, r.options.concurrency === 'first-write' ? '1' : '0', ttls[i] ?? '');
      } else {
        tx.tesseraStateDelete(r.key, r.etag ?? '');
      }
    });
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await tx.exec();
    } catch (e) {
      throw backendError('redis transaction failed', e);
    }
    if (replies === null) throw new StateStoreError('backend', 'redis transaction was aborted');
    let failure: unknown;
    for (let i = 0; i < replies.length; i++) {
      const err = replies[i]?.[0];
      if (!err) continue;
      if (isEtagMismatch(err)) throw etagMismatch(req.operations[i]?.request.key);
      failure ??= err;
    }
    if (failure !== undefined) throw backendError('redis transaction failed', failure);
    if (strong) await this.waitForReplicas();
  }

  multiMaxSize(): number | undefined {
    return undefined;
  }

  async ping(): Promise<void> {
    await this.connected().ping();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  }

  private connected(): ScriptedRedis {
    const c = this.client;
    if (!c) throw new StateStoreError('backend', 'redis state store is not initialized (or already closed)');
    return c;
  }

  private async getLegacy(key: string): Promise<StoreGetResponse | undefined> {
    let data: Buffer | null;
    try {
      data = await this.connected().getBuffer(key);
    } catch (e) {
      throw backendError(`failed to get key ${key}`, e);
    }
    return data === null ? undefined : { data };
  }

  /** The script's TTL argument: request metadata, else the store default, else ''. */
  private ttlArg(metadata: Readonly<Record<string, string>>): string {
    const ttl = parseTtl(metadata) ?? this.settings?.defaultTtlSeconds;
    return ttl === undefined ? '' : String(ttl);
  }

  private async waitForReplicas(): Promise<void> {
    if (this.replicas <= 0) return;
    try {
      await this.connected().wait(this.replicas, WAIT_TIMEOUT_MS);
    } catch (e) {
      throw backendError(`redis waiting for ${this.replicas} replicas to acknowledge write`, e);
    }
  }
}

function fromHash(key: string, hash: Record<string, Buffer>): StoreGetResponse | undefined {
  const data = hash[FIELD_DATA];
  const version = hash[FIELD_VERSION];
  if (data !== undefined && version !== undefined) return { data, etag: version.toString('latin1') };
  for (const _field in hash) {
    throw new StateStoreError('backend', `required hash field 'data' or 'version' was not found for key ${key}`);
  }
  return undefined;
}

async function execPipeline(p: ChainableCommander, what: string): Promise<[Error | null, unknown][]> {
  try {
    return (await p.exec()) ?? [];
  } catch (e) {
    throw backendError(what, e);
  }
}

function parseConnectedReplicas(info: string): number {
  const m = /(?:^|\r?\n)connected_slaves:(\d+)/.exec(info);
  return m?.[1] ? Number(m[1]) : 0;
}

function isWrongType(e: unknown): boolean {
  return errorMessage(e).startsWith('WRONGTYPE');
}

function isEtagMismatch(e: unknown): boolean {
  return errorMessage(e).startsWith(ETAG_MISMATCH_REPLY);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function backendError(what: string, cause: unknown): StateStoreError {
  return new StateStoreError('backend', `${what}: ${errorMessage(cause)}`, { cause });
}
