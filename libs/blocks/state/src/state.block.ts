// The state building block: StateApi on top of the loaded StateStores. Validates requests,
// finds the store (scopes applied), prefixes keys, calls the component and maps component
// errors to Dapr's API errors. Written once; served in-process by the gateway (all-in-one) and
// by state-svc (split). No Nest, no transport, no concrete component here.
import {
  CommonErrors,
  StateErrors,
  StateOptions_StateConcurrency,
  StateOptions_StateConsistency,
  isApiError,
} from '@tessera/contracts';
import type {
  ApiError,
  BulkStateItem,
  CallContext,
  DeleteBulkStateRequest,
  DeleteStateRequest,
  ExecuteStateTransactionRequest,
  GetBulkStateRequest,
  GetBulkStateResponse,
  GetStateRequest,
  GetStateResponse,
  QueryStateRequest,
  QueryStateResponse,
  RegisteredComponent,
  SaveStateRequest,
  StateApi,
  StateItem,
  StateOptions,
} from '@tessera/contracts';
import { isStateStoreError } from '@tessera/spi';
import type {
  Concurrency,
  Consistency,
  StateOptionsSpi,
  StateQuery,
  StoreDeleteRequest,
  StoreSetRequest,
  TransactionalOperation,
} from '@tessera/spi';
import { KEY_SEPARATOR, keyPrefixFor, stripKeyPrefix } from './state-keys';
import type { StateStoreEntry, StateStores } from './state-stores';

const EMPTY_GET: GetStateResponse = Object.freeze({ data: Buffer.alloc(0), etag: '', metadata: {} }) as GetStateResponse;
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});
const DEFAULT_BULK_PARALLELISM = 10;

function consistencyOf(c: StateOptions_StateConsistency | undefined): Consistency | undefined {
  if (c === StateOptions_StateConsistency.CONSISTENCY_STRONG) return 'strong';
  if (c === StateOptions_StateConsistency.CONSISTENCY_EVENTUAL) return 'eventual';
  return undefined;
}

function concurrencyOf(c: StateOptions_StateConcurrency | undefined): Concurrency | undefined {
  if (c === StateOptions_StateConcurrency.CONCURRENCY_FIRST_WRITE) return 'first-write';
  if (c === StateOptions_StateConcurrency.CONCURRENCY_LAST_WRITE) return 'last-write';
  return undefined;
}

function optionsOf(o: StateOptions | undefined): StateOptionsSpi {
  if (!o) return {};
  return { concurrency: concurrencyOf(o.concurrency), consistency: consistencyOf(o.consistency) };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class StateBlock implements StateApi {
  constructor(private readonly stores: StateStores) {}

  async getState(req: GetStateRequest, ctx: CallContext): Promise<GetStateResponse> {
    const entry = this.entry(req.storeName, ctx);
    const key = this.storedKey(entry, req.key, ctx);
    let res;
    try {
      res = await entry.store.get({ key, metadata: req.metadata ?? NO_METADATA, consistency: consistencyOf(req.consistency) });
    } catch (e) {
      throw StateErrors.get(req.key, req.storeName, messageOf(e));
    }
    if (res === undefined) return EMPTY_GET;
    return { data: res.data, etag: res.etag ?? '', metadata: res.metadata ?? {} };
  }

  async getBulkState(req: GetBulkStateRequest, ctx: CallContext): Promise<GetBulkStateResponse> {
    const entry = this.entry(req.storeName, ctx);
    const prefix = keyPrefixFor(entry, ctx);
    for (const k of req.keys) this.checkKey(entry, k, ctx);
    const metadata = req.metadata ?? NO_METADATA;
    if (req.keys.length === 0) return { items: [] };
    const { store } = entry;
    if (store.bulkGet) {
      let found;
      try {
        found = await store.bulkGet(req.keys.map((k) => ({ key: prefix + k, metadata })));
      } catch (e) {
        throw StateErrors.bulkGet(req.storeName, messageOf(e));
      }
      return {
        items: req.keys.map((k, i): BulkStateItem => {
          const f = found[i];
          return {
            key: k,
            data: f?.data ?? Buffer.alloc(0),
            etag: f?.etag ?? '',
            error: f?.error ?? '',
            metadata: f?.metadata ?? {},
          };
        }),
      };
    }
    const items: BulkStateItem[] = new Array(req.keys.length);
    const parallelism = req.parallelism > 0 ? req.parallelism : DEFAULT_BULK_PARALLELISM;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < req.keys.length) {
        const i = next++;
        const k = req.keys[i] as string;
        try {
          const r = await store.get({ key: prefix + k, metadata });
          items[i] = { key: k, data: r?.data ?? Buffer.alloc(0), etag: r?.etag ?? '', error: '', metadata: r?.metadata ?? {} };
        } catch (e) {
          items[i] = { key: k, data: Buffer.alloc(0), etag: '', error: messageOf(e), metadata: {} };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelism, req.keys.length) }, worker));
    return { items };
  }

  async saveState(req: SaveStateRequest, ctx: CallContext): Promise<void> {
    const entry = this.entry(req.storeName, ctx);
    if (req.states.length === 0) return;
    const sets = req.states.map((s) => this.setRequest(entry, s, ctx));
    try {
      if (sets.length === 1) await entry.store.set(sets[0] as StoreSetRequest);
      else if (entry.store.bulkSet) await entry.store.bulkSet(sets);
      else await Promise.all(sets.map((s) => entry.store.set(s)));
    } catch (e) {
      throw this.writeError('SAVE', e, () => StateErrors.save(req.storeName, messageOf(e)), req.storeName);
    }
  }

  async deleteState(req: DeleteStateRequest, ctx: CallContext): Promise<void> {
    const entry = this.entry(req.storeName, ctx);
    const del = this.deleteRequest(entry, req.key, req.etag?.value, req.metadata, req.options, ctx);
    try {
      await entry.store.delete(del);
    } catch (e) {
      throw this.writeError('DELETE', e, () => StateErrors.delete(req.key, messageOf(e)), req.storeName, req.key);
    }
  }

  async deleteBulkState(req: DeleteBulkStateRequest, ctx: CallContext): Promise<void> {
    const entry = this.entry(req.storeName, ctx);
    const dels = req.states.map((s) => this.deleteRequest(entry, s.key, s.etag?.value, s.metadata, s.options, ctx));
    try {
      await Promise.all(dels.map((d) => entry.store.delete(d)));
    } catch (e) {
      throw this.writeError('DELETE', e, () => StateErrors.bulkDelete(messageOf(e)), req.storeName);
    }
  }

  async executeStateTransaction(req: ExecuteStateTransactionRequest, ctx: CallContext): Promise<void> {
    const entry = this.entry(req.storeName, ctx);
    const { store } = entry;
    if (!store.multi || !entry.features.has('TRANSACTIONAL')) {
      throw StateErrors.transactionsNotSupported(req.storeName, ctx.appId);
    }
    const max = store.multiMaxSize?.();
    if (max !== undefined && max > 0 && req.operations.length > max) {
      throw StateErrors.tooManyTransactions(req.storeName, ctx.appId, req.operations.length, max);
    }
    const operations: TransactionalOperation[] = req.operations.map((op) => {
      const item = op.request;
      if (!item) throw CommonErrors.malformedRequest('transaction operation is missing its request', 'request');
      switch (op.operationType) {
        case 'upsert':
          return { operation: 'upsert', request: this.setRequest(entry, item, ctx) };
        case 'delete':
          return {
            operation: 'delete',
            request: this.deleteRequest(entry, item.key, item.etag?.value, item.metadata, item.options, ctx),
          };
        default:
          throw StateErrors.operationNotSupported(op.operationType);
      }
    });
    if (operations.length === 0) return;
    try {
      await store.multi({ operations, metadata: req.metadata ?? NO_METADATA });
    } catch (e) {
      throw StateErrors.transaction(messageOf(e));
    }
  }

  async queryState(req: QueryStateRequest, ctx: CallContext): Promise<QueryStateResponse> {
    const entry = this.entry(req.storeName, ctx);
    const { store } = entry;
    if (!store.query || !entry.features.has('QUERY_API')) throw StateErrors.queryNotSupported(req.storeName, ctx.appId);
    let query: StateQuery;
    try {
      const parsed: unknown = JSON.parse(req.query);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('query must be a JSON object');
      query = parsed as StateQuery;
    } catch (e) {
      throw StateErrors.query(req.storeName, `failed to parse JSON query body: ${messageOf(e)}`, ctx.appId);
    }
    let res;
    try {
      res = await store.query({ keyPrefix: keyPrefixFor(entry, ctx), query, metadata: req.metadata ?? NO_METADATA });
    } catch (e) {
      throw StateErrors.query(req.storeName, messageOf(e), ctx.appId);
    }
    return {
      results: res.results.map((r) => ({ key: stripKeyPrefix(r.key), data: r.data, etag: r.etag ?? '', error: r.error ?? '' })),
      token: res.token ?? '',
      metadata: res.metadata ?? {},
    };
  }

  async listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.stores.visibleTo(ctx.appId).map((e) => this.stores.describe(e));
  }

  private entry(name: string, ctx: CallContext): StateStoreEntry {
    const e = this.stores.get(name, ctx.appId);
    if (e) return e;
    if (this.stores.visibleTo(ctx.appId).length === 0) throw StateErrors.notConfigured(ctx.appId);
    throw StateErrors.notFound(name, ctx.appId);
  }

  private checkKey(entry: StateStoreEntry, key: string, ctx: CallContext): void {
    if (key.includes(KEY_SEPARATOR)) throw StateErrors.illegalKey(key, entry.name, ctx.appId);
  }

  private storedKey(entry: StateStoreEntry, key: string, ctx: CallContext): string {
    this.checkKey(entry, key, ctx);
    return keyPrefixFor(entry, ctx) + key;
  }

  private setRequest(entry: StateStoreEntry, item: StateItem, ctx: CallContext): StoreSetRequest {
    if (!item.key) throw CommonErrors.malformedRequest('"key" is a required field', 'key');
    const etag = item.etag?.value;
    return {
      key: this.storedKey(entry, item.key, ctx),
      value: item.value,
      etag: etag ? etag : undefined,
      metadata: item.metadata ?? NO_METADATA,
      options: optionsOf(item.options),
    };
  }

  private deleteRequest(
    entry: StateStoreEntry,
    key: string,
    etag: string | undefined,
    metadata: Record<string, string> | undefined,
    options: StateOptions | undefined,
    ctx: CallContext,
  ): StoreDeleteRequest {
    if (!key) throw CommonErrors.malformedRequest('"key" is a required field', 'key');
    return {
      key: this.storedKey(entry, key, ctx),
      etag: etag ? etag : undefined,
      metadata: metadata ?? NO_METADATA,
      options: optionsOf(options),
    };
  }

  private writeError(op: 'SAVE' | 'DELETE', e: unknown, fallback: () => ApiError, store: string, key?: string): ApiError {
    if (isApiError(e)) return e;
    if (isStateStoreError(e)) {
      const what = op === 'SAVE' ? `failed saving state in state store ${store}` : `failed deleting state with key ${key ?? ''}`;
      if (e.errorKind === 'etag-mismatch') return StateErrors.etagMismatch(op, `${what}: ${e.message}`);
      if (e.errorKind === 'etag-invalid') return StateErrors.etagInvalid(op, `${what}: ${e.message}`);
    }
    return fallback();
  }
}
