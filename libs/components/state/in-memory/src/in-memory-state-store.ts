// `state.in-memory` (spec/components.md 5.4): a per-process Map. ETag = random UUID per write,
// atomic transactions, TTL reported as metadata.ttlExpireTime, first-write, bulk ops and the
// query API (shared JS evaluator). Data is lost on restart and never shared between processes.
//
// Concurrency: every method does all its reads and writes synchronously before its first await
// point (there is none), so each call, and each whole transaction, is atomic for this process.
// Values are copied on the way in and out; callers may reuse their buffers.
import { randomUUID } from 'node:crypto';
import { etagMismatch, evaluateStateQuery, parseTtl } from '@tessera/spi';
import type {
  ComponentMetadata,
  QueryCandidate,
  StateFeature,
  StateStore,
  StoreBulkGetItem,
  StoreDeleteRequest,
  StoreGetRequest,
  StoreGetResponse,
  StoreQueryRequest,
  StoreQueryResponse,
  StoreSetRequest,
  StoreTransactionRequest,
} from '@tessera/spi';

interface Entry {
  readonly data: Buffer;
  readonly etag: string;
  /** Epoch ms; undefined = never expires. */
  readonly expiresAt?: number;
}

const FEATURES: readonly StateFeature[] = ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API', 'ACTOR'];
/** How often expired entries are swept from memory; reads never see them either way. */
const SWEEP_INTERVAL_MS = 10_000;

/** RFC 3339 in UTC with whole seconds, as Dapr formats ttlExpireTime. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

class InMemoryStateStore implements StateStore {
  private readonly items = new Map<string, Entry>();
  private sweeper: NodeJS.Timeout | undefined;

  async init(): Promise<void> {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  features(): readonly StateFeature[] {
    return FEATURES;
  }

  async get(req: StoreGetRequest): Promise<StoreGetResponse | undefined> {
    const e = this.live(this.items, req.key, Date.now());
    return e && this.response(e);
  }

  async set(req: StoreSetRequest): Promise<void> {
    this.applySet(this.items, req, Date.now());
  }

  async delete(req: StoreDeleteRequest): Promise<void> {
    this.applyDelete(this.items, req, Date.now());
  }

  async bulkGet(reqs: readonly StoreGetRequest[]): Promise<StoreBulkGetItem[]> {
    const now = Date.now();
    return reqs.map((r) => {
      const e = this.live(this.items, r.key, now);
      return e ? { key: r.key, ...this.response(e) } : { key: r.key };
    });
  }

  async bulkSet(reqs: readonly StoreSetRequest[]): Promise<void> {
    // Not atomic (as the contract allows): every item is tried, the first failure is reported.
    const now = Date.now();
    let first: unknown;
    for (const r of reqs) {
      try {
        this.applySet(this.items, r, now);
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  async multi(req: StoreTransactionRequest): Promise<void> {
    // Stage every operation on an overlay; commit only if all succeed.
    const now = Date.now();
    const overlay = new Overlay(this.items);
    for (const op of req.operations) {
      if (op.operation === 'upsert') this.applySet(overlay, op.request, now);
      else this.applyDelete(overlay, op.request, now);
    }
    overlay.commit();
  }

  multiMaxSize(): number | undefined {
    return undefined;
  }

  async query(req: StoreQueryRequest): Promise<StoreQueryResponse> {
    const now = Date.now();
    const candidates: QueryCandidate[] = [];
    for (const [key, e] of this.items) {
      if (key.startsWith(req.keyPrefix) && !expired(e, now)) candidates.push({ key, data: e.data, etag: e.etag });
    }
    const res = evaluateStateQuery(candidates, req.query);
    return { ...res, results: res.results.map((r) => ({ ...r, data: Buffer.from(r.data) })) };
  }

  async ping(): Promise<void> {
    // nothing to reach: the data lives in this process
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.items.clear();
  }

  private response(e: Entry): StoreGetResponse {
    const data = Buffer.from(e.data);
    return e.expiresAt === undefined ? { data, etag: e.etag } : { data, etag: e.etag, metadata: { ttlExpireTime: rfc3339(e.expiresAt) } };
  }

  private live(map: KeyValues, key: string, now: number): Entry | undefined {
    const e = map.get(key);
    return e && !expired(e, now) ? e : undefined;
  }

  private applySet(map: KeyValues, req: StoreSetRequest, now: number): void {
    const ttl = parseTtl(req.metadata);
    const current = this.live(map, req.key, now);
    if (req.etag !== undefined && req.etag !== '') {
      if (!current || current.etag !== req.etag) throw etagMismatch(req.key);
    } else if (req.options.concurrency === 'first-write' && current) {
      throw etagMismatch(req.key);
    }
    const entry: Entry =
      ttl !== undefined && ttl > 0
        ? { data: Buffer.from(req.value), etag: randomUUID(), expiresAt: now + ttl * 1000 }
        : { data: Buffer.from(req.value), etag: randomUUID() };
    map.set(req.key, entry);
  }

  private applyDelete(map: KeyValues, req: StoreDeleteRequest, now: number): void {
    if (req.etag !== undefined && req.etag !== '') {
      const current = this.live(map, req.key, now);
      if (!current || current.etag !== req.etag) throw etagMismatch(req.key);
    }
    map.delete(req.key);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, e] of this.items) if (expired(e, now)) this.items.delete(key);
  }
}

function expired(e: Entry, now: number): boolean {
  return e.expiresAt !== undefined && e.expiresAt <= now;
}

/** The part of a Map that set/delete need, so a transaction can run against an overlay. */
interface KeyValues {
  get(key: string): Entry | undefined;
  set(key: string, e: Entry): void;
  delete(key: string): void;
}

/** Uncommitted writes over the base map: `null` marks a staged delete. */
class Overlay implements KeyValues {
  private readonly staged = new Map<string, Entry | null>();
  constructor(private readonly base: Map<string, Entry>) {}

  get(key: string): Entry | undefined {
    const s = this.staged.get(key);
    return s === null ? undefined : (s ?? this.base.get(key));
  }

  set(key: string, e: Entry): void {
    this.staged.set(key, e);
  }

  delete(key: string): void {
    this.staged.set(key, null);
  }

  commit(): void {
    for (const [key, e] of this.staged) {
      if (e === null) this.base.delete(key);
      else this.base.set(key, e);
    }
  }
}

/** Factory registered as `state.in-memory` v1; the store takes no metadata. */
export function createInMemoryStateStore(_meta: ComponentMetadata): StateStore {
  return new InMemoryStateStore();
}
