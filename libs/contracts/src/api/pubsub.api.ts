// The typed pub/sub API (spec/http-api.md 3, grpc-api.md). The gateway's edges and its app
// delivery call it; the pub/sub block implements it in-process and the pub/sub transport client
// over the wire (pubsub-svc), so the gateway cannot tell which one it holds.
//
// Publishing: the block builds the CloudEvent envelope (ctx.appId is the source, ctx.traceparent
// the trace), applies scopes and hands the bytes to the component.
//
// Subscribing: subscribe() opens one broker subscription for ctx.appId and returns a stream
// whose first item carries only the subscription id and whose later items are broker messages
// as the component delivered them (not yet parsed: the subscribing gateway parses, routes and
// calls its app). Each message must be answered with settle() once the app's verdict is known;
// the broker is acknowledged only then. Whoever iterates owns the subscription: leaving the loop
// or aborting ctx.signal ends it, and every message not yet settled goes back to the broker.
import type { CallContext } from '../call-context';
import type {
  BulkPublishRequest,
  BulkPublishResponse,
  PublishEventRequest,
  SubscribeTopicEventsRequestInitialAlpha1,
} from '../generated/dapr/proto/runtime/v1/pubsub';
import type { TopicEventRequest, TopicEventResponse_TopicEventResponseStatus } from '../generated/dapr/proto/runtime/v1/appcallback';
import type {
  SettleDeliveryRequest,
  TopicDelivery,
  TopicSubscribeRequest,
} from '../generated/tessera/internal/v1/pubsub';
import type { RegisteredComponent } from './state.api';

export interface PubSubApi {
  /** Publishes one event. Rejects with Dapr's ERR_PUBSUB_* ApiErrors. */
  publish(req: PublishEventRequest, ctx: CallContext): Promise<void>;
  /**
   * Publishes the entries; resolves with the entries that failed (empty = all published).
   * Rejects (ERR_PUBSUB_*) when nothing could be attempted (unknown pubsub, bad entries, forbidden).
   */
  bulkPublish(req: BulkPublishRequest, ctx: CallContext): Promise<BulkPublishResponse>;
  /**
   * Opens a broker subscription for ctx.appId. Nothing happens until iteration starts; errors
   * (unknown pubsub, forbidden by subscriptionScopes, component refusal) are thrown by the first
   * next(). The first item is `{ subscriptionId }` only.
   */
  subscribe(req: TopicSubscribeRequest, ctx: CallContext): AsyncIterable<TopicDelivery>;
  /** Answers one delivered message. Unknown subscription or delivery ids are ignored (already settled or gone). */
  settle(req: SettleDeliveryRequest, ctx: CallContext): Promise<void>;
  /** The pub/sub components visible to ctx.appId (component scopes applied). */
  listComponents(ctx: CallContext): Promise<RegisteredComponent[]>;
}

/**
 * One streaming subscription (gRPC SubscribeTopicEventsAlpha1): the events to send to the client,
 * already read and checked (expired events are dropped before they get here), and the client's
 * answers. The first item is a marker with an empty id meaning "subscribed" (send the initial
 * response then); every later item is an event. Leaving the loop ends the subscription;
 * unanswered events go back to the broker.
 */
export interface StreamingSubscription extends AsyncIterable<TopicEventRequest> {
  /** The client answered event `id` (the TopicEventRequest id it was sent). Unknown ids are ignored. */
  processed(id: string, status: TopicEventResponse_TopicEventResponseStatus): void;
}

/** The gateway's streaming subscriptions, used by the gRPC edge. */
export interface AppStreamingSubscriptions {
  /**
   * Opens a subscription for ctx.appId. Errors (unknown pubsub, forbidden topic, a subscription
   * to the same pubsub/topic already declared or streaming) are thrown by the first next().
   */
  open(req: SubscribeTopicEventsRequestInitialAlpha1, ctx: CallContext): StreamingSubscription;
}

/** DI token for AppStreamingSubscriptions. */
export const APP_STREAMING_SUBSCRIPTIONS = Symbol.for('tessera.AppStreamingSubscriptions');

/** DI token for PubSubApi (Nest binds it to the block or to the remote client). */
export const PUBSUB_API = Symbol.for('tessera.PubSubApi');
