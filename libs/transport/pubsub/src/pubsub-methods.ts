// The PubSubService method table: for each PubSubApi method, its wire id (PubSubMethod in
// tessera/internal/v1/pubsub.proto), its codecs, how the server calls the API, and how a failure
// of the transport itself (unreachable, deadline, cancel, server shutting down) is worded so that
// it reads like the pub/sub block's own error for that operation (contracts errors/pubsub.errors.ts:
// "error when publish to topic T in pubsub P: <reason>"; a subscription that cannot be opened,
// "error when subscribing to topic T in pubsub P: <reason>"). Subscribe is a server stream; Settle
// a unary call the subscribing gateway makes on the same client (and so the same connection) as
// its stream.
import {
  BulkPublishRequest,
  BulkPublishResponse,
  ListComponentsRequest,
  ListComponentsResponse,
  PublishEventRequest,
  PubSubMethod,
  SettleDeliveryRequest,
  TopicDelivery,
  TopicSubscribeRequest,
} from '@tessera/contracts';
import type { PubSubApi, RegisteredComponent } from '@tessera/contracts';
import { defineMethod, defineService, defineStreamMethod } from '@tessera/transport-core';
import type { ServiceDef } from '@tessera/transport-core';

/** Fully qualified name sent in Hello; the server refuses a connection that expects another. */
export const PUBSUB_SERVICE_NAME = 'tessera.internal.v1.PubSubService';

export const LIST_COMPONENTS_REQUEST: ListComponentsRequest = {};

const publishing = (topic: string, pubsub: string): string => `error when publish to topic ${topic} in pubsub ${pubsub}`;
const subscribing = (topic: string, pubsub: string): string => `error when subscribing to topic ${topic} in pubsub ${pubsub}`;

export const PUBSUB_METHODS = {
  publish: defineMethod<PubSubApi, PublishEventRequest, void>({
    id: PubSubMethod.PUB_SUB_METHOD_PUBLISH_EVENT,
    name: 'PublishEvent',
    errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE',
    request: PublishEventRequest,
    response: null,
    describe: (r) => publishing(r.topic, r.pubsubName),
    invoke: (api, r, ctx) => api.publish(r, ctx),
  }),
  bulkPublish: defineMethod<PubSubApi, BulkPublishRequest, BulkPublishResponse>({
    id: PubSubMethod.PUB_SUB_METHOD_BULK_PUBLISH_EVENT,
    name: 'BulkPublishEvent',
    errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE',
    request: BulkPublishRequest,
    response: BulkPublishResponse,
    describe: (r) => publishing(r.topic, r.pubsubName),
    invoke: (api, r, ctx) => api.bulkPublish(r, ctx),
  }),
  subscribe: defineStreamMethod<PubSubApi, TopicSubscribeRequest, TopicDelivery>({
    id: PubSubMethod.PUB_SUB_METHOD_SUBSCRIBE,
    name: 'Subscribe',
    errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE',
    request: TopicSubscribeRequest,
    response: TopicDelivery,
    describe: (r) => subscribing(r.topic, r.pubsubName),
    open: (api, r, ctx) => api.subscribe(r, ctx),
  }),
  settle: defineMethod<PubSubApi, SettleDeliveryRequest, void>({
    id: PubSubMethod.PUB_SUB_METHOD_SETTLE,
    name: 'Settle',
    errorCode: 'ERR_INTERNAL',
    request: SettleDeliveryRequest,
    response: null,
    describe: (r) => `failed to settle message ${r.deliveryId} of subscription ${r.subscriptionId}`,
    invoke: (api, r, ctx) => api.settle(r, ctx),
  }),
  listComponents: defineMethod<PubSubApi, ListComponentsRequest, ListComponentsResponse>({
    id: PubSubMethod.PUB_SUB_METHOD_LIST_COMPONENTS,
    name: 'ListComponents',
    errorCode: 'ERR_INTERNAL',
    request: ListComponentsRequest,
    response: ListComponentsResponse,
    describe: () => 'failed listing pubsub components',
    invoke: (api, _r, ctx) => api.listComponents(ctx).then(toListResponse),
  }),
} as const;

function toListResponse(components: readonly RegisteredComponent[]): ListComponentsResponse {
  return { components: components.map((c) => ({ name: c.name, type: c.type, version: c.version, capabilities: [...c.capabilities] })) };
}

/** PubSubService as the framed transport serves and calls it. */
export const PUBSUB_SERVICE: ServiceDef<PubSubApi> = defineService<PubSubApi>({
  name: PUBSUB_SERVICE_NAME,
  serverLabel: 'pubsub-svc',
  clientLabel: 'gateway',
  methods: PUBSUB_METHODS,
});
