// The pub/sub contract every broker component implements (components-contrib pubsub/pubsub.go
// restated for Tessera). A component moves opaque bytes: the CloudEvent envelope, routing, TTL
// checks, verdicts, retries and dead letters belong to the runtime (blocks/pubsub), never here.
//
// Implementers owe:
// - init(): connect and check the backend; throw ComponentConfigError for bad metadata.
// - publish(): resolves only once the broker has taken the message durably (as far as the
//   broker offers durability: e.g. XADD returned, a publisher confirm, a PUBACK for QoS >= 1).
//   Rejects with PubSubError('backend') when it has not. `data` is delivered byte for byte;
//   `metadata` travels with the message when the broker can carry it (headers, a metadata field)
//   and comes back in PubSubMessage.metadata.
// - subscribe(): sets the subscription up, resolves once the component is consuming (after the
//   consumer group / queue / durable consumer exists, so a message published after subscribe()
//   resolved is delivered to it), then calls `handler` for every message of `topic`.
//   * Competing consumers: every subscription with the same `consumerGroup` on the same topic
//     shares one stream of messages (each message goes to one of them); different groups each
//     get every message (fan-out). Brokers without groups (MQTT, in-memory) do what Dapr does
//     with them and say so in their README line.
//   * At-least-once: a message is acknowledged to the broker only after `handler` resolved. When
//     `handler` rejects, the component applies its broker's failure semantics as listed in
//     spec/components.md (e.g. Redis acks unless processingTimeout passed, RabbitMQ nacks,
//     JetStream naks for redelivery). A message whose handler has not settled when the process
//     dies is redelivered by the broker (durable components).
//   * Abandon: a handler that rejects with a PubSubAbandonError (isPubSubAbandon(e)) did NOT
//     process the message and is not reporting a failure: the subscriber went away or the runtime
//     is shutting down. The component must then neither ack nor apply failure semantics: it leaves
//     the message to the broker's redelivery (Redis: leave it pending for reclaim; RabbitMQ: nack
//     with requeue; JetStream: nak; Kafka: do not commit, seek back; MQTT: no PUBACK; SQLite:
//     release the lease so it is delivered again). This is what makes a killed gateway lose nothing.
//   * Concurrency: the handler may be called for several messages at once, up to the component's
//     own concurrency setting; it must not be called again for a message still in flight.
//   * The handler may take a long time (it waits for an app, possibly in another process);
//     components must not time out a handler themselves except where the broker's own semantics
//     say so (Redis processingTimeout, JetStream ackWait), which yields a redelivery.
// - PubSubSubscription.close(): stops taking new messages, waits for the handlers in flight to
//   settle (their outcome is applied as usual), then resolves. Unacked messages stay with the
//   broker for redelivery.
// - close(): closes every subscription (as above) and every connection; nothing is called after.
// - every method may be called concurrently.
import type { ComponentMetadata } from './component';

/**
 * - `message-ttl`: the broker expires messages itself from publish metadata `ttlInSeconds`
 *   (otherwise the runtime writes the CloudEvent `expiration` and drops expired events).
 * - `bulk-publish`: bulkPublish() is implemented natively (otherwise the runtime publishes the
 *   entries one by one, concurrently).
 * - `subscribe-wildcards`: topics may contain the broker's wildcards (MQTT `+`/`#`, NATS `*`/`>`).
 */
export type PubSubFeature = 'message-ttl' | 'bulk-publish' | 'subscribe-wildcards';

export interface PubSubPublishRequest {
  readonly topic: string;
  readonly data: Uint8Array;
  /** Content type of `data` (for a CloudEvent envelope `application/cloudevents+json`). */
  readonly contentType?: string;
  /** Request metadata (already without `rawPayload`/`cloudevent.*`), e.g. `ttlInSeconds`, `partitionKey`. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PubSubBulkEntry {
  readonly entryId: string;
  readonly data: Uint8Array;
  readonly contentType?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PubSubBulkPublishRequest {
  readonly topic: string;
  readonly entries: readonly PubSubBulkEntry[];
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PubSubBulkPublishResult {
  /** Entries that were not published, with why; empty when all were. */
  readonly failed: ReadonlyArray<{ readonly entryId: string; readonly error: string }>;
}

export interface PubSubSubscribeRequest {
  readonly topic: string;
  /**
   * Competing-consumer identity (Dapr's consumerID): the component's own `consumerID` metadata
   * when set, else the subscribing app's id. Chosen by the runtime, not the component.
   */
  readonly consumerGroup: string;
  /** Subscription metadata (from the Subscription resource or `/dapr/subscribe`), e.g. `queueName`. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PubSubMessage {
  /** The topic the message was published to (for wildcard subscriptions, the concrete one). */
  readonly topic: string;
  readonly data: Uint8Array;
  /** The content type published with the message when the broker carried it. */
  readonly contentType?: string;
  /** Metadata published with the message plus broker facts (e.g. Kafka `__key`, `__partition`). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Resolve = processed (ack); reject = failed (the broker's failure semantics apply). */
export type PubSubHandler = (msg: PubSubMessage) => Promise<void>;

export interface PubSubSubscription {
  close(): Promise<void>;
}

export interface PubSub {
  init(): Promise<void>;
  features(): readonly PubSubFeature[];
  publish(req: PubSubPublishRequest): Promise<void>;
  /** Only when features() has `bulk-publish`. */
  bulkPublish?(req: PubSubBulkPublishRequest): Promise<PubSubBulkPublishResult>;
  subscribe(req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription>;
  close(): Promise<void>;
}

/** What the runtime lends a component: where to report what it has no caller to tell. */
export interface ComponentHost {
  readonly logger?: {
    info(msg: string, fields?: Record<string, unknown>): void;
    warn(msg: string, fields?: Record<string, unknown>): void;
    error(msg: string, fields?: Record<string, unknown>): void;
  };
}

export type PubSubFactory = (meta: ComponentMetadata, host?: ComponentHost) => PubSub;

export type PubSubErrorKind = 'bad-request' | 'backend' | 'closed';

/** The errors a pub/sub component throws; the block maps them to Dapr's API errors. */
export class PubSubError extends Error {
  readonly kind = 'tessera.pubsub-error' as const;
  constructor(
    readonly errorKind: PubSubErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PubSubError';
  }
}

/**
 * Rejection of a handler meaning "not processed, redeliver": never ack, never dead-letter, never
 * count as a failed attempt (see "Abandon" above).
 */
export class PubSubAbandonError extends Error {
  readonly kind = 'tessera.pubsub-abandon' as const;
  constructor(message = 'subscriber went away before the message was processed') {
    super(message);
    this.name = 'PubSubAbandonError';
  }
}

export function isPubSubAbandon(e: unknown): e is PubSubAbandonError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.pubsub-abandon';
}

export function isPubSubError(e: unknown): e is PubSubError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.pubsub-error';
}
