// Streaming subscriptions (gRPC SubscribeTopicEventsAlpha1): a client opens a subscription on its
// gRPC connection instead of declaring a route. Each broker message of the PubSubApi stream is
// read as the app channel would read it (unreadable -> RETRY, expired -> DROP), handed to the
// client as a TopicEventRequest, and settled with the client's answer (SUCCESS / RETRY / DROP).
// A stream the client leaves ends the subscription; the service gives every unanswered message
// back to the broker. One subscription per pubsub+topic per app: a second one, or one for a topic
// the app already subscribes declaratively or programmatically, is refused.
import { randomUUID } from 'node:crypto';
import { ApiError, DeliveryVerdict, GrpcCode, TopicEventResponse_TopicEventResponseStatus } from '@tessera/contracts';
import type {
  AppStreamingSubscriptions,
  CallContext,
  PubSubApi,
  StreamingSubscription,
  SubscribeTopicEventsRequestInitialAlpha1,
  TopicDelivery,
  TopicEventRequest,
} from '@tessera/contracts';
import { isExpired, isRawPayload, readDelivered } from './cloudevents';
import { buildGrpcTopicEvent } from './delivery-messages';

export interface StreamingSubscriptionsOptions {
  readonly api: PubSubApi;
  /** True when the app already has a declarative or programmatic subscription to pubsub/topic. */
  readonly declared?: (pubsubName: string, topic: string) => boolean;
  readonly now?: () => number;
  readonly logger?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

function alreadySubscribed(pubsub: string, topic: string): ApiError {
  return new ApiError({
    code: 'ERR_PUBSUB_SUBSCRIPTION_EXISTS',
    message: `already subscribed to pubsub "${pubsub}" topic "${topic}"`,
    httpStatus: 400,
    grpcCode: GrpcCode.ALREADY_EXISTS,
    retryable: false,
  });
}

const VERDICT: Readonly<Record<number, DeliveryVerdict>> = {
  [TopicEventResponse_TopicEventResponseStatus.SUCCESS]: DeliveryVerdict.DELIVERY_VERDICT_SUCCESS,
  [TopicEventResponse_TopicEventResponseStatus.RETRY]: DeliveryVerdict.DELIVERY_VERDICT_RETRY,
  [TopicEventResponse_TopicEventResponseStatus.DROP]: DeliveryVerdict.DELIVERY_VERDICT_DROP,
};

/** The first item: subscribed (contract: an empty id). */
const SUBSCRIBED: TopicEventRequest = {
  id: '',
  source: '',
  type: '',
  specVersion: '',
  dataContentType: '',
  data: Buffer.alloc(0),
  topic: '',
  pubsubName: '',
  path: '',
  extensions: undefined,
};


export class StreamingSubscriptions implements AppStreamingSubscriptions {
  private readonly open_ = new Map<string, SubscribeTopicEventsRequestInitialAlpha1>();

  constructor(private readonly opts: StreamingSubscriptionsOptions) {}

  /** The streaming subscriptions open now (metadata API). */
  active(): SubscribeTopicEventsRequestInitialAlpha1[] {
    return [...this.open_.values()];
  }

  open(req: SubscribeTopicEventsRequestInitialAlpha1, ctx: CallContext): StreamingSubscription {
    const key = `${ctx.appId}\u0000${req.pubsubName}\u0000${req.topic}`;
    const api = this.opts.api;
    const now = this.opts.now ?? Date.now;
    const log = this.opts.logger;
    const open = this.open_;
    const declared = this.opts.declared;
    /** TopicEventRequest id -> the deliveries sent under it, oldest first. */
    const waiting = new Map<string, TopicDelivery[]>();
    let subscriptionId = '';

    const settle = (d: TopicDelivery, verdict: DeliveryVerdict, reason: string): void => {
      void api.settle({ subscriptionId, deliveryId: d.deliveryId, verdict, reason }, ctx).catch(() => undefined);
    };

    async function* events(): AsyncGenerator<TopicEventRequest> {
      if (open.has(key) || declared?.(req.pubsubName, req.topic) === true) throw alreadySubscribed(req.pubsubName, req.topic);
      open.set(key, req);
      try {
        const rawPayload = isRawPayload(req.metadata);
        const it = api.subscribe({ pubsubName: req.pubsubName, topic: req.topic, metadata: req.metadata, deadLetterTopic: req.deadLetterTopic ?? '' }, ctx);
        for await (const d of it) {
          if (subscriptionId === '') {
            subscriptionId = d.subscriptionId;
            yield SUBSCRIBED;
            continue;
          }
          const read = readDelivered({ data: d.data, contentType: d.contentType, metadata: d.metadata, topic: d.topic || req.topic, pubsubName: req.pubsubName, rawPayload });
          if (!read.ok) {
            log?.warn(`streaming subscription ${req.pubsubName}/${req.topic}: ${read.reason}`);
            settle(d, DeliveryVerdict.DELIVERY_VERDICT_RETRY, read.reason);
            continue;
          }
          if (isExpired(read.event, now())) {
            settle(d, DeliveryVerdict.DELIVERY_VERDICT_DROP, 'the event expired');
            continue;
          }
          const ev = buildGrpcTopicEvent(read.event, { pubsubName: req.pubsubName, topic: d.topic || req.topic, path: '', metadata: d.metadata });
          const id = ev.id !== '' ? ev.id : randomUUID();
          const list = waiting.get(id);
          if (list === undefined) waiting.set(id, [d]);
          else list.push(d);
          yield id === ev.id ? ev : { ...ev, id };
        }
      } finally {
        open.delete(key);
        waiting.clear();
      }
    }

    const gen = events();
    return {
      [Symbol.asyncIterator](): AsyncIterator<TopicEventRequest> {
        return gen;
      },
      processed(id: string, status: TopicEventResponse_TopicEventResponseStatus): void {
        const list = waiting.get(id);
        const d = list?.shift();
        if (d === undefined) return;
        if (list !== undefined && list.length === 0) waiting.delete(id);
        settle(d, VERDICT[status] ?? DeliveryVerdict.DELIVERY_VERDICT_RETRY, `the client answered ${TopicEventResponse_TopicEventResponseStatus[status] ?? status}`);
      },
    };
  }
}
