// Public surface of @tessera/spi: one interface per component kind plus shared helpers.
export type { ComponentMetadata } from './component';
export { prop, requiredProp, intProp, boolProp, clientTlsProps, redactUrl, ComponentConfigError } from './component';
export type { ClientTlsProps } from './component';
export type {
  StateStore,
  StateStoreFactory,
  StateFeature,
  Concurrency,
  Consistency,
  StateOptionsSpi,
  StoreGetRequest,
  StoreGetResponse,
  StoreSetRequest,
  StoreDeleteRequest,
  StoreBulkGetItem,
  TransactionalOperation,
  StoreTransactionRequest,
  QueryFilter,
  StateQuery,
  StoreQueryRequest,
  StoreQueryResponse,
  StateStoreErrorKind,
} from './state-store';
export { StateStoreError, isStateStoreError, etagMismatch, etagInvalid, parseTtl } from './state-store';
export type { QueryCandidate } from './state-query';
export { evaluateStateQuery, validateStateQuery } from './state-query';
export { parseDuration, durationProp, tryParseGoDuration } from './duration';
export type { NameResolver, NameResolverFactory, NameResolverRegistration } from './name-resolver';
export { NameResolverError, isNameResolverError } from './name-resolver';
export type { LockStore, LockStoreFactory, LockFeature, LockTryRequest, LockTryResponse, LockUnlockRequest, LockUnlockStatus } from './lock-store';
export { LockStoreError, isLockStoreError } from './lock-store';
export type { SecretStore, SecretStoreFactory, SecretStoreFeature, SecretStoreHost, SecretStoreErrorKind } from './secret-store';
export { SecretStoreError, isSecretStoreError, secretNotFound } from './secret-store';
export type {
  ConfigurationStore,
  ConfigurationStoreFactory,
  ConfigurationStoreHost,
  ConfigurationItemSpi,
  ConfigurationGetRequest,
  ConfigurationSubscribeRequest,
  ConfigurationUpdateEvent,
  ConfigurationUpdateHandler,
  ConfigurationStoreErrorKind,
} from './configuration-store';
export { ConfigurationStoreError, isConfigurationStoreError } from './configuration-store';
export type { LoadableComponentSpec } from './component-spec';
export { initWithTimeout } from './component-spec';
export type {
  PubSub,
  PubSubFactory,
  PubSubFeature,
  PubSubPublishRequest,
  PubSubBulkEntry,
  PubSubBulkPublishRequest,
  PubSubBulkPublishResult,
  PubSubSubscribeRequest,
  PubSubMessage,
  PubSubHandler,
  PubSubSubscription,
  PubSubErrorKind,
  ComponentHost,
} from './pubsub';
export { PubSubError, isPubSubError, PubSubAbandonError, isPubSubAbandon } from './pubsub';
export type {
  Binding,
  BindingFactory,
  BindingInvokeRequest,
  BindingInvokeResponse,
  BindingReadEvent,
  BindingReadHandler,
  BindingReader,
  BindingErrorKind,
} from './bindings';
export { BindingError, isBindingError } from './bindings';
