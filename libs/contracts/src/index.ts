// Public surface of @tessera/contracts: the Dapr wire messages, one typed API per block, errors.
export type { AbortHandler, CallContext, LazyAbortContext } from './call-context';
export { AbortHandlers, callContext, lazyAbortOf } from './call-context';
export { goJsonMarshal } from './go-json';
export {
  ApiError,
  GrpcCode,
  isApiError,
  errorInfo,
  resourceInfo,
  badRequest,
  grpcToHttpStatus,
  httpToGrpcCode,
  DAPR_DOMAIN,
} from './errors/api-error';
export type { ApiErrorInit, ErrorDetail, ErrorInfoDetail, ResourceInfoDetail, BadRequestDetail } from './errors/api-error';
export { CommonErrors } from './errors/common.errors';
export { StateErrors } from './errors/state.errors';
export { ERROR_CATALOG, matchesCatalog } from './errors/catalog';
export { InvokeErrors } from './errors/invoke.errors';
export type { CatalogEntry } from './errors/catalog';
export type { StateApi, RegisteredComponent } from './api/state.api';
export { STATE_API } from './api/state.api';
export type { MetadataApi, RuntimeMetadata, SubscriptionInfo, RuntimeLifecycle, AppConnectionInfo, AppHealthInfo, EdgeOptions, EdgeLogger } from './api/runtime.api';
export { METADATA_API, RUNTIME_LIFECYCLE } from './api/runtime.api';
export {
  Etag,
  StateItem,
  StateOptions,
  StateOptions_StateConcurrency,
  StateOptions_StateConsistency,
} from './generated/dapr/proto/common/v1/common';
export {
  GetStateRequest,
  GetStateResponse,
  GetBulkStateRequest,
  GetBulkStateResponse,
  BulkStateItem,
  SaveStateRequest,
  DeleteStateRequest,
  DeleteBulkStateRequest,
  ExecuteStateTransactionRequest,
  TransactionalStateOperation,
  QueryStateRequest,
  QueryStateResponse,
  QueryStateItem,
} from './generated/dapr/proto/runtime/v1/state';
export { DAPR_RPC_BLOCKS } from './api/rpc-blocks';
export { DaprService, DaprClient } from './generated/dapr/proto/runtime/v1/dapr';
export type { DaprServer } from './generated/dapr/proto/runtime/v1/dapr';
export {
  AppCallbackService,
  AppCallbackClient,
  AppCallbackHealthCheckService,
  AppCallbackHealthCheckClient,
  AppCallbackAlphaService,
  AppCallbackAlphaClient,
} from './generated/dapr/proto/runtime/v1/appcallback';
export type {
  AppCallbackServer,
  AppCallbackHealthCheckServer,
  AppCallbackAlphaServer,
} from './generated/dapr/proto/runtime/v1/appcallback';
export {
  GetMetadataRequest,
  GetMetadataResponse,
  SetMetadataRequest,
  RegisteredComponents,
  ActiveActorsCount,
  ActorRuntime,
  ActorRuntime_ActorRuntimeStatus,
  AppConnectionProperties,
  AppConnectionHealthProperties,
  PubsubSubscription,
  PubsubSubscriptionRules,
  PubsubSubscriptionRule,
  PubsubSubscriptionType,
  MetadataHTTPEndpoint,
  MetadataScheduler,
  MetadataWorkflows,
  MetadataMCPServer,
  MetadataWorkflowAccessPolicy,
  MetadataResiliency,
} from './generated/dapr/proto/runtime/v1/metadata';
export { ShutdownRequest } from './generated/dapr/proto/runtime/v1/misc';
export { InvokeServiceRequest } from './generated/dapr/proto/runtime/v1/invoke';
export { InvokeRequest, InvokeResponse, HTTPExtension, HTTPExtension_Verb } from './generated/dapr/proto/common/v1/common';
// Internal service definitions (tessera.internal.v1): the split-mode transport's messages.
export { FrameType, Hello, RequestHeader, ErrorStatus } from './generated/tessera/internal/v1/transport';
export { StateMethod, ListComponentsRequest, ListComponentsResponse, ComponentInfo } from './generated/tessera/internal/v1/state';
// Service invocation (dapr.proto.internals.v1 carries invocations between gateways).
export type { AppCallbackMethod, InvokeApi, LocalInvokeApi, AppChannel, CallerIdentity } from './api/invoke.api';
export { INVOKE_API, LOCAL_INVOKE_API, APP_CHANNEL, GRPC_PROXY_CONTENT_TYPE, AppCallbackStatusError, isAppCallbackStatusError } from './api/invoke.api';
export {
  APIVersion,
  ListStringValue,
  Actor as InternalActor,
  InternalInvokeRequest,
  InternalInvokeResponse,
  Status as InternalStatus,
} from './generated/dapr/proto/internals/v1/service_invocation';
// Internal invocation service (gateway -> gateway over the framed transport): its method ids.
export { InvokeMethod, GrpcProxyFrame, GrpcProxyHeaders, GrpcProxyStatus } from './generated/tessera/internal/v1/invoke';
export { PROXY_STREAM, withProxyStream, proxyStreamOf } from './api/invoke.api';
// Distributed lock (spec/http-api.md 8, grpc-api.md 2.8) and its internal service (lock-svc).
export type { LockApi } from './api/lock.api';
export { LOCK_API } from './api/lock.api';
export { LockErrors, LOCK_MAX_FIELD_BYTES } from './errors/lock.errors';
export { TryLockRequest, TryLockResponse, UnlockRequest, UnlockResponse, UnlockResponse_Status } from './generated/dapr/proto/runtime/v1/lock';
export { LockMethod } from './generated/tessera/internal/v1/lock';
// Secrets (spec/http-api.md 6, grpc-api.md 2.6) and its internal service (secrets-svc).
export type { SecretsApi } from './api/secrets.api';
export { SECRETS_API } from './api/secrets.api';
export { SecretsErrors } from './errors/secrets.errors';
export { GetSecretRequest, GetSecretResponse, GetBulkSecretRequest, GetBulkSecretResponse, SecretResponse } from './generated/dapr/proto/runtime/v1/secrets';
export { SecretsMethod } from './generated/tessera/internal/v1/secrets';
// Server-streaming calls of the internal framed transport (STREAM_CREDIT payload).
export { StreamCredit } from './generated/tessera/internal/v1/transport';
// Configuration (spec/http-api.md 7, grpc-api.md 2.7) and its internal service (configuration-svc).
export type { ConfigurationApi, AppConfigurationSubscriptions } from './api/configuration.api';
export { CONFIGURATION_API, APP_CONFIGURATION_SUBSCRIPTIONS } from './api/configuration.api';
export { ConfigurationErrors } from './errors/configuration.errors';
export {
  GetConfigurationRequest,
  GetConfigurationResponse,
  SubscribeConfigurationRequest,
  SubscribeConfigurationResponse,
  UnsubscribeConfigurationRequest,
  UnsubscribeConfigurationResponse,
} from './generated/dapr/proto/runtime/v1/configuration';
export { ConfigurationItem } from './generated/dapr/proto/common/v1/common';
export { ConfigurationMethod } from './generated/tessera/internal/v1/configuration';
// Publish and subscribe (spec/http-api.md 3, grpc-api.md) and its internal service (pubsub-svc).
export type { PubSubApi, StreamingSubscription, AppStreamingSubscriptions } from './api/pubsub.api';
export { PUBSUB_API, APP_STREAMING_SUBSCRIPTIONS } from './api/pubsub.api';
export { PubSubErrors } from './errors/pubsub.errors';
export {
  PublishEventRequest,
  BulkPublishRequest,
  BulkPublishRequestEntry,
  BulkPublishResponse,
  BulkPublishResponseFailedEntry,
  SubscribeTopicEventsRequestAlpha1,
  SubscribeTopicEventsRequestInitialAlpha1,
  SubscribeTopicEventsRequestProcessedAlpha1,
  SubscribeTopicEventsResponseAlpha1,
  SubscribeTopicEventsResponseInitialAlpha1,
} from './generated/dapr/proto/runtime/v1/pubsub';
export {
  TopicEventRequest,
  TopicEventResponse,
  TopicEventResponse_TopicEventResponseStatus,
  TopicEventBulkRequest,
  TopicEventBulkRequestEntry,
  TopicEventBulkResponse,
  TopicEventBulkResponseEntry,
  TopicEventCERequest,
  ListTopicSubscriptionsResponse,
  TopicSubscription,
  TopicRoutes,
  TopicRule,
  BulkSubscribeConfig,
  BindingEventRequest,
  BindingEventResponse,
  BindingEventResponse_BindingEventConcurrency,
  ListInputBindingsResponse,
} from './generated/dapr/proto/runtime/v1/appcallback';
export {
  PubSubMethod,
  TopicSubscribeRequest,
  TopicDelivery,
  SettleDeliveryRequest,
  SettleDeliveryResponse,
  DeliveryVerdict,
  PublishEventResponse,
} from './generated/tessera/internal/v1/pubsub';
// Bindings (spec/http-api.md 4, grpc-api.md) and its internal service (bindings-svc).
export type { BindingsApi } from './api/bindings.api';
export { BINDINGS_API } from './api/bindings.api';
export { BindingsErrors } from './errors/bindings.errors';
export { InvokeBindingRequest, InvokeBindingResponse } from './generated/dapr/proto/runtime/v1/bindings';
export {
  BindingsMethod,
  InputBindingInfo,
  ListInputBindingsRequest,
  ListInputBindingsResponse as InternalListInputBindingsResponse,
  ReadBindingRequest,
  BindingDelivery,
  SettleBindingEventRequest,
  SettleBindingEventResponse,
} from './generated/tessera/internal/v1/bindings';
