// Public surface of @tessera/block-pubsub: the pub/sub block (PubSubApi), the gateway's subscriber
// (AppPubSubDelivery), streaming subscriptions, and the pure pieces they are built from.
export { PubSubBlock } from './pubsub.block';
export type { PubSubBlockOptions, PubSubCallPolicy, PubSubBlockLogger } from './pubsub.block';
export { PubSubComponents, parseTopicScopes, parseAppTopicScopes, topicAllowed } from './pubsub-components';
export type { PubSubEntry, TopicScopes } from './pubsub-components';
export { loadPubSubs, closePubSubs, PubSubLoadError } from './pubsub-loader';
export type { PubSubComponentSpec, PubSubLoaderLogger } from './pubsub-loader';
export { DeliveryStream } from './delivery-stream';
export { AppPubSubDelivery } from './app-delivery';
export type { AppPubSubDeliveryOptions, ActiveSubscription, PubSubDeliveryPolicy, PubSubDeliveryLogger } from './app-delivery';
export { StreamingSubscriptions } from './streaming';
export type { StreamingSubscriptionsOptions } from './streaming';
export {
  parsePublishMetadata,
  buildEnvelope,
  parseBulkEntries,
  readDelivered,
  isExpired,
  contentClass,
  CLOUDEVENT_CONTENT_TYPE,
} from './cloudevents';
export type {
  CloudEventOverrides,
  PublishMetadata,
  EnvelopeInput,
  Envelope,
  PreparedBulkEntry,
  DeliveredEvent,
  DeliveredInput,
  ReadResult,
  ContentClass,
} from './cloudevents';
export { compileRoutes, RouteCompileError, isRouteCompileError } from './routing';
export type { Router, RouteRule, RouteSpec } from './routing';
export { verdictFromHttp, verdictFromGrpc, verdictFromError, bulkVerdictsFromHttp, bulkVerdictsFromGrpc } from './verdicts';
export type { Verdict, VerdictResult } from './verdicts';
export {
  parseHttpSubscriptions,
  parseGrpcSubscriptions,
  subscriptionsFromResources,
  mergeSubscriptions,
  streamingConflict,
  DEFAULT_BULK_MAX_MESSAGES,
  DEFAULT_BULK_MAX_AWAIT_MS,
} from './subscriptions';
export type { SubscriptionSpec, SubscriptionRule, SubscriptionSource, BulkSubscribeSpec, ParsedSubscriptions, SubscriptionsLogger } from './subscriptions';
export { buildHttpDelivery, buildGrpcTopicEvent, buildBulkHttpBody, buildGrpcBulkRequest } from './delivery-messages';
export type { HttpDelivery, BulkEntryInput } from './delivery-messages';
