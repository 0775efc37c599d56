// The state store contract every state component implements (components-contrib state/store.go
// restated). Keys arrive already prefixed by the block (`appid||key`); values are raw bytes: JSON
// text when the caller came over HTTP, arbitrary bytes over gRPC. A store must not interpret the
// key prefix.
//
// Implementers owe:
// - concurrency safety: every method may be called concurrently, also for the same key;
// - ETags: every successful write changes the key's ETag; a write or delete with an ETag succeeds
//   only if it equals the current one, else throw StateStoreError kind 'etag-mismatch' (also when
//   the key does not exist); an ETag that cannot be one of this store's throws 'etag-invalid'
//   (or 'etag-mismatch' where Dapr's store does so);
// - `first-write` concurrency without an ETag: succeed only if the key does not exist;
// - TTL: metadata `ttlInSeconds` (> 0 expire after N s; -1 never, overriding a store default);
//   expired keys read as not found;
// - close() releases every connection; no method is called after it.
import type { ComponentMetadata } from './component';

export type StateFeature = 'ETAG' | 'TRANSACTIONAL' | 'QUERY_API' | 'TTL' | 'ACTOR' | 'DELETE_WITH_PREFIX';

export type Concurrency = 'first-write' | 'last-write';
export type Consistency = 'eventual' | 'strong';

export interface StateOptionsSpi {
  readonly concurrency?: Concurrency;
  readonly consistency?: Consistency;
}

export interface StoreGetRequest {
  readonly key: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly consistency?: Consistency;
}

export interface StoreGetResponse {
  readonly data: Buffer;
  readonly etag?: string;
  /** e.g. `ttlExpireTime` (RFC 3339) for stores that report TTL. */
  readonly metadata?: Record<string, string>;
}

export interface StoreSetRequest {
  readonly key: string;
  readonly value: Buffer;
  readonly etag?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly options: StateOptionsSpi;
}

export interface StoreDeleteRequest {
  readonly key: string;
  readonly etag?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly options: StateOptionsSpi;
}

export interface StoreBulkGetItem {
  readonly key: string;
  readonly data?: Buffer;
  readonly etag?: string;
  readonly metadata?: Record<string, string>;
  readonly error?: string;
}

export type TransactionalOperation =
  | { readonly operation: 'upsert'; readonly request: StoreSetRequest }
  | { readonly operation: 'delete'; readonly request: StoreDeleteRequest };

export interface StoreTransactionRequest {
  readonly operations: readonly TransactionalOperation[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** Dapr's state query language, parsed (spec/http-api.md 2.6). */
export type QueryFilter =
  | { readonly EQ: Readonly<Record<string, unknown>> }
  | { readonly NEQ: Readonly<Record<string, unknown>> }
  | { readonly GT: Readonly<Record<string, unknown>> }
  | { readonly GTE: Readonly<Record<string, unknown>> }
  | { readonly LT: Readonly<Record<string, unknown>> }
  | { readonly LTE: Readonly<Record<string, unknown>> }
  | { readonly IN: Readonly<Record<string, readonly unknown[]>> }
  | { readonly AND: readonly QueryFilter[] }
  | { readonly OR: readonly QueryFilter[] };

export interface StateQuery {
  readonly filter?: QueryFilter;
  readonly sort?: ReadonlyArray<{ readonly key: string; readonly order?: 'ASC' | 'DESC' }>;
  readonly page?: { readonly limit?: number; readonly token?: string };
}

export interface StoreQueryRequest {
  /** Keys in results are prefixed; the store filters on this prefix (`appid||`). */
  readonly keyPrefix: string;
  readonly query: StateQuery;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface StoreQueryResponse {
  readonly results: ReadonlyArray<{ key: string; data: Buffer; etag?: string; error?: string }>;
  readonly token?: string;
  readonly metadata?: Record<string, string>;
}

export interface StateStore {
  /** Connect, create tables, check the backend. Throws ComponentConfigError for bad metadata. */
  init(): Promise<void>;
  features(): readonly StateFeature[];
  /** Resolves to undefined when the key does not exist or has expired. */
  get(req: StoreGetRequest): Promise<StoreGetResponse | undefined>;
  set(req: StoreSetRequest): Promise<void>;
  /** Deleting a missing key without an ETag succeeds. */
  delete(req: StoreDeleteRequest): Promise<void>;
  /** Optional; the block falls back to parallel get() calls. */
  bulkGet?(reqs: readonly StoreGetRequest[]): Promise<StoreBulkGetItem[]>;
  /** Optional, not atomic; the block falls back to set() per item. */
  bulkSet?(reqs: readonly StoreSetRequest[]): Promise<void>;
  /** All-or-nothing where the backend allows it. Present iff features() has TRANSACTIONAL. */
  multi?(req: StoreTransactionRequest): Promise<void>;
  /** Max operations in one multi(); undefined = unbounded. */
  multiMaxSize?(): number | undefined;
  /** Present iff features() has QUERY_API. Throws StateStoreError kind 'query' for a bad query. */
  query?(req: StoreQueryRequest): Promise<StoreQueryResponse>;
  /** Cheap liveness check of the backend connection. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

export type StateStoreFactory = (meta: ComponentMetadata) => StateStore;

export type StateStoreErrorKind = 'etag-mismatch' | 'etag-invalid' | 'query' | 'backend';

/** The errors a state store throws; the block maps kinds to Dapr's API errors. */
export class StateStoreError extends Error {
  readonly kind = 'tessera.state-store-error' as const;
  constructor(readonly errorKind: StateStoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}

export function isStateStoreError(e: unknown): e is StateStoreError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.state-store-error';
}

export const etagMismatch = (key?: string): StateStoreError =>
  new StateStoreError('etag-mismatch', key ? `possible etag mismatch. error from state store: ETag does not match for key ${key}` : 'possible etag mismatch. error from state store: ETag does not match');
export const etagInvalid = (etag: string): StateStoreError =>
  new StateStoreError('etag-invalid', `invalid etag value: ${etag}`);

/** Parses `ttlInSeconds` metadata: undefined when absent, throws on garbage. */
export function parseTtl(metadata: Readonly<Record<string, string>>): number | undefined {
  const v = metadata['ttlInSeconds'];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < -1) {
    throw new StateStoreError('backend', `incorrect value for metadata ttlInSeconds: ${v}`);
  }
  return n;
}
