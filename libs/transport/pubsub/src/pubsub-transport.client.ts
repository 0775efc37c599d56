// PubSubApi over the internal framed transport: what the gateway holds in split mode instead of
// the pub/sub block. It fails exactly as the block would (the server sends every ApiError field
// back, rich details included), and its own failures read like the block's: the operation's Dapr
// code, gRPC UNAVAILABLE, "…: pubsub-svc at host:port is unreachable: <reason>", retryable.
//
// subscribe() is a server stream (transport-core's FramedClient.stream): the first item carries
// only the subscription id, the next ones broker messages. settle() is a unary call on the same
// FramedClient, so it travels on the connection that carries the stream. Leaving the loop or
// aborting ctx.signal sends CANCEL (the service ends the broker subscription and hands unsettled
// messages back); a pubsub-svc that goes away makes the iterator throw a retryable UNAVAILABLE
// error after the messages already received, so the gateway can subscribe again.
import type {
  BulkPublishRequest,
  BulkPublishResponse,
  CallContext,
  ListComponentsResponse,
  PublishEventRequest,
  PubSubApi,
  RegisteredComponent,
  SettleDeliveryRequest,
  TopicDelivery,
  TopicSubscribeRequest,
} from '@tessera/contracts';
import { FramedClient } from '@tessera/transport-core';
import type { FramedClientOptions } from '@tessera/transport-core';
import { LIST_COMPONENTS_REQUEST, PUBSUB_METHODS, PUBSUB_SERVICE } from './pubsub-methods';

/**
 * connectTimeoutMs (default 2000), reconnectBackoffMs { initial 50, max 1000 }, maxFrameBytes
 * (default 64 MiB, keep equal to the server's), keepAliveMs (default 10 s), streamWindow
 * (default 64 messages sent ahead of the consumer per subscription before the service waits).
 */
export type PubSubTransportClientOptions = FramedClientOptions;

export class PubSubTransportClient implements PubSubApi {
  private readonly t: FramedClient;

  constructor(
    readonly address: string,
    opts: PubSubTransportClientOptions = {},
  ) {
    this.t = new FramedClient(address, PUBSUB_SERVICE, opts);
  }

  publish(req: PublishEventRequest, ctx: CallContext): Promise<void> {
    return this.t.call(PUBSUB_METHODS.publish, req, ctx);
  }

  bulkPublish(req: BulkPublishRequest, ctx: CallContext): Promise<BulkPublishResponse> {
    return this.t.call(PUBSUB_METHODS.bulkPublish, req, ctx);
  }

  subscribe(req: TopicSubscribeRequest, ctx: CallContext): AsyncIterable<TopicDelivery> {
    return this.t.stream(PUBSUB_METHODS.subscribe, req, ctx);
  }

  settle(req: SettleDeliveryRequest, ctx: CallContext): Promise<void> {
    return this.t.call(PUBSUB_METHODS.settle, req, ctx);
  }

  listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.t.call(PUBSUB_METHODS.listComponents, LIST_COMPONENTS_REQUEST, ctx).then(componentsOf);
  }

  /** Opens the connection now (readiness checks, warm-up); rejects with an UNAVAILABLE ApiError. */
  connect(): Promise<void> {
    return this.t.connect();
  }

  /** Fails calls and streams in flight and closes the connection; later calls fail at once. */
  close(): Promise<void> {
    return this.t.close();
  }
}

function componentsOf(res: ListComponentsResponse): RegisteredComponent[] {
  return res.components;
}
