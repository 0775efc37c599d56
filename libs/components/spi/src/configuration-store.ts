// The configuration store contract every configuration component implements (components-contrib
// configuration/store.go restated). Keys are the store's own keys: no app prefix is added.
//
// Implementers owe:
// - get(): the items of `keys`, or every item when `keys` is empty; missing keys are absent from
//   the answer (not an error). Item fields are strings; `metadata` may be empty.
// - subscribe(): starts watching `keys` (all keys when empty) and resolves with a new, unique
//   subscription id once the watch is set up (or rejects: bad metadata, backend down). From then
//   on every change calls `handler` with `{ id, items }` (items of the keys that changed; a deleted
//   key may appear with empty value and version). Calls to one subscription's handler are made one
//   at a time, in the order of the changes; a store should await the handler's promise before the
//   next call (the runtime resolves it once the event is taken, which gives back-pressure). A
//   handler that rejects is logged by the store, never retried.
// - unsubscribe(): stops the subscription; after it resolves the handler is not called again. An
//   unknown id throws ConfigurationStoreError kind 'subscription-not-found'.
// - concurrency: every method may be called concurrently.
// - close(): ends every subscription and releases every connection; no method is called after it.
import type { ComponentMetadata } from './component';

export interface ConfigurationItemSpi {
  readonly value: string;
  readonly version: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ConfigurationGetRequest {
  /** Empty = every item. */
  readonly keys: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ConfigurationSubscribeRequest {
  /** Empty = every key. */
  readonly keys: readonly string[];
  /** Request metadata, e.g. `pgNotifyChannel` for configuration.postgresql. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ConfigurationUpdateEvent {
  readonly id: string;
  readonly items: Readonly<Record<string, ConfigurationItemSpi>>;
}

export type ConfigurationUpdateHandler = (event: ConfigurationUpdateEvent) => Promise<void>;

export interface ConfigurationStore {
  /** Connect and check the backend. Throws ComponentConfigError for bad metadata. */
  init(): Promise<void>;
  get(req: ConfigurationGetRequest): Promise<Record<string, ConfigurationItemSpi>>;
  /** Resolves with the subscription id. */
  subscribe(req: ConfigurationSubscribeRequest, handler: ConfigurationUpdateHandler): Promise<string>;
  unsubscribe(id: string): Promise<void>;
  close(): Promise<void>;
}

/** What the runtime lends a configuration store: where to report what it cannot throw. */
export interface ConfigurationStoreHost {
  /** Warnings a store has no caller to tell (a handler failed, a watch could not be set up). */
  readonly logger?: {
    info(msg: string, fields?: Record<string, unknown>): void;
    warn(msg: string, fields?: Record<string, unknown>): void;
    error(msg: string, fields?: Record<string, unknown>): void;
  };
}

export type ConfigurationStoreFactory = (meta: ComponentMetadata, host?: ConfigurationStoreHost) => ConfigurationStore;

export type ConfigurationStoreErrorKind = 'subscription-not-found' | 'bad-request' | 'backend';

/** The errors a configuration store throws; the block maps them to Dapr's API errors. */
export class ConfigurationStoreError extends Error {
  readonly kind = 'tessera.configuration-store-error' as const;
  constructor(
    readonly errorKind: ConfigurationStoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConfigurationStoreError';
  }
}

export function isConfigurationStoreError(e: unknown): e is ConfigurationStoreError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.configuration-store-error';
}
