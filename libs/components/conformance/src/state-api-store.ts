// A StateStore on top of a StateApi, so the store conformance suite can run through the whole
// block path: the suite's keys `<prefix>||<key>` become calls as app `<prefix>` for `<key>` (the
// block adds the prefix back with keyPrefix `appid`), and the block's API errors are mapped back
// to store error kinds. Run it over StateTransportClient -> state-svc -> StateBlock -> real store
// to prove split mode behaves exactly as the store itself.
import { StateOptions_StateConcurrency, StateOptions_StateConsistency } from '@tessera/contracts';
import type { ApiError, CallContext, StateApi, StateItem } from '@tessera/contracts';
import { StateStoreError } from '@tessera/spi';
import type {
  StateFeature,
  StateOptionsSpi,
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

const SEP = '||';

function split(key: string): { appId: string; key: string } {
  const i = key.indexOf(SEP);
  if (i < 0) throw new Error(`StateApiStore needs keys of the form <app>||<key>, got ${key}`);
  return { appId: key.slice(0, i), key: key.slice(i + SEP.length) };
}

function options(o: StateOptionsSpi): { concurrency: StateOptions_StateConcurrency; consistency: StateOptions_StateConsistency } {
  return {
    concurrency:
      o.concurrency === 'first-write'
        ? StateOptions_StateConcurrency.CONCURRENCY_FIRST_WRITE
        : o.concurrency === 'last-write'
          ? StateOptions_StateConcurrency.CONCURRENCY_LAST_WRITE
          : StateOptions_StateConcurrency.CONCURRENCY_UNSPECIFIED,
    consistency:
      o.consistency === 'strong'
        ? StateOptions_StateConsistency.CONSISTENCY_STRONG
        : o.consistency === 'eventual'
          ? StateOptions_StateConsistency.CONSISTENCY_EVENTUAL
          : StateOptions_StateConsistency.CONSISTENCY_UNSPECIFIED,
  };
}

/** ETag conflicts come back as 409 (mismatch) / 400 (invalid) from save and delete. */
function toStoreError(e: unknown): unknown {
  const a = e as Partial<ApiError>;
  if (typeof a.code !== 'string') return e;
  if ((a.code === 'ERR_STATE_SAVE' || a.code === 'ERR_STATE_DELETE') && a.httpStatus === 409) {
    return new StateStoreError('etag-mismatch', a.message ?? '');
  }
  if ((a.code === 'ERR_STATE_SAVE' || a.code === 'ERR_STATE_DELETE') && a.httpStatus === 400) {
    return new StateStoreError('etag-invalid', a.message ?? '');
  }
  if (a.code === 'ERR_STATE_QUERY') return new StateStoreError('query', a.message ?? '');
  // Dapr answers a failed transaction with one 500 whatever the cause; the store's message says.
  if (a.code === 'ERR_STATE_TRANSACTION' && /etag/i.test(a.message ?? '')) return new StateStoreError('etag-mismatch', a.message ?? '');
  return new StateStoreError('backend', `${a.code}: ${a.message ?? ''}`);
}

export class StateApiStore implements StateStore {
  private feats: StateFeature[] = [];
  /** Present only when the served store has the feature, as the StateStore contract says. */
  multi?: (req: StoreTransactionRequest) => Promise<void>;
  query?: (req: StoreQueryRequest) => Promise<StoreQueryResponse>;

  constructor(
    private readonly api: StateApi,
    private readonly storeName: string,
    private readonly close$: () => Promise<void> = async () => undefined,
  ) {}

  private ctx(appId: string): CallContext {
    return { appId, namespace: '' };
  }

  async init(): Promise<void> {
    const comps = await this.api.listComponents(this.ctx('conformance'));
    const mine = comps.find((c) => c.name === this.storeName);
    if (!mine) throw new Error(`state store ${this.storeName} is not served by the API`);
    this.feats = mine.capabilities.filter((c) => c !== 'ACTOR') as StateFeature[];
    if (this.feats.includes('TRANSACTIONAL')) this.multi = (req) => this.transact(req);
    if (this.feats.includes('QUERY_API')) this.query = (req) => this.runQuery(req);
  }

  features(): readonly StateFeature[] {
    return this.feats;
  }

  private item(r: StoreSetRequest): { appId: string; item: StateItem } {
    const { appId, key } = split(r.key);
    return { appId, item: { key, value: r.value, etag: r.etag ? { value: r.etag } : undefined, metadata: { ...r.metadata }, options: options(r.options) } };
  }

  async get(req: StoreGetRequest): Promise<StoreGetResponse | undefined> {
    const { appId, key } = split(req.key);
    try {
      const res = await this.api.getState(
        { storeName: this.storeName, key, consistency: options({ consistency: req.consistency }).consistency, metadata: { ...req.metadata } },
        this.ctx(appId),
      );
      if (res.data.length === 0) return undefined;
      return { data: res.data, etag: res.etag || undefined, metadata: Object.keys(res.metadata).length ? res.metadata : undefined };
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async set(req: StoreSetRequest): Promise<void> {
    const { appId, item } = this.item(req);
    await this.api.saveState({ storeName: this.storeName, states: [item] }, this.ctx(appId)).catch((e: unknown) => {
      throw toStoreError(e);
    });
  }

  async delete(req: StoreDeleteRequest): Promise<void> {
    const { appId, key } = split(req.key);
    await this.api
      .deleteState(
        { storeName: this.storeName, key, etag: req.etag ? { value: req.etag } : undefined, options: options(req.options), metadata: { ...req.metadata } },
        this.ctx(appId),
      )
      .catch((e: unknown) => {
        throw toStoreError(e);
      });
  }

  async bulkGet(reqs: readonly StoreGetRequest[]): Promise<StoreBulkGetItem[]> {
    if (reqs.length === 0) return [];
    const { appId } = split((reqs[0] as StoreGetRequest).key);
    const res = await this.api
      .getBulkState({ storeName: this.storeName, keys: reqs.map((r) => split(r.key).key), parallelism: 0, metadata: { ...(reqs[0]?.metadata ?? {}) } }, this.ctx(appId))
      .catch((e: unknown) => {
        throw toStoreError(e);
      });
    return res.items.map((it, i) => ({
      key: (reqs[i] as StoreGetRequest).key,
      data: it.data.length > 0 ? it.data : undefined,
      etag: it.etag || undefined,
      error: it.error || undefined,
    }));
  }

  async bulkSet(reqs: readonly StoreSetRequest[]): Promise<void> {
    if (reqs.length === 0) return;
    const items = reqs.map((r) => this.item(r));
    await this.api.saveState({ storeName: this.storeName, states: items.map((i) => i.item) }, this.ctx(items[0]?.appId ?? '')).catch((e: unknown) => {
      throw toStoreError(e);
    });
  }

  private async transact(req: StoreTransactionRequest): Promise<void> {
    const first = req.operations[0];
    if (!first) return;
    const { appId } = split(first.request.key);
    const operations = req.operations.map((op) => {
      if (op.operation === 'upsert') return { operationType: 'upsert', request: this.item(op.request).item };
      const { key } = split(op.request.key);
      return {
        operationType: 'delete',
        request: { key, value: Buffer.alloc(0), etag: op.request.etag ? { value: op.request.etag } : undefined, metadata: { ...op.request.metadata }, options: options(op.request.options) },
      };
    });
    await this.api.executeStateTransaction({ storeName: this.storeName, operations, metadata: { ...req.metadata } }, this.ctx(appId)).catch((e: unknown) => {
      throw toStoreError(e);
    });
  }

  private async runQuery(req: StoreQueryRequest): Promise<StoreQueryResponse> {
    const appId = req.keyPrefix.endsWith(SEP) ? req.keyPrefix.slice(0, -SEP.length) : req.keyPrefix;
    const res = await this.api
      .queryState({ storeName: this.storeName, query: JSON.stringify(req.query), metadata: { ...req.metadata } }, this.ctx(appId))
      .catch((e: unknown) => {
        throw toStoreError(e);
      });
    return {
      results: res.results.map((r) => ({ key: req.keyPrefix + r.key, data: r.data, etag: r.etag || undefined, error: r.error || undefined })),
      token: res.token || undefined,
    };
  }

  async close(): Promise<void> {
    await this.close$();
  }
}
