// The publish and subscribe building block: PubSubApi on top of the loaded pub/sub components
// (template: dapr/dapr pkg/api/universal + pkg/runtime/pubsub). Written once; served in-process
// by the gateway (all-in-one) and by pubsub-svc (split). No Nest, no transport, no concrete
// component, and it never calls an app: the subscribing gateway parses, routes and delivers
// (AppPubSubDelivery), then settles each message here.
//
// Publish: validate in daprd's order (no pubsub loaded, empty name, unknown name, empty topic,
// topic scopes, request metadata), wrap the data in a CloudEvent unless rawPayload, publish
// through the component's outbound resiliency policy.
//
// Subscribe / settle: one component subscription per stream, consumer group = the component's
// consumerID or the subscribing app's id. settle() applies the app's verdict: SUCCESS acks; DROP
// dead-letters (when the subscription has a dead-letter topic) then acks; RETRY (the gateway's
// retries gave up) dead-letters then acks, or without a dead-letter topic hands the failure back
// to the component (its broker's semantics decide). A failed dead-letter publish leaves the
// message unacked.
import { randomUUID } from 'node:crypto';
import { DeliveryVerdict, PubSubErrors } from '@tessera/contracts';
import type {
  ApiError,
  BulkPublishRequest,
  BulkPublishResponse,
  BulkPublishResponseFailedEntry,
  CallContext,
  PubSubApi,
  PublishEventRequest,
  RegisteredComponent,
  SettleDeliveryRequest,
  TopicDelivery,
  TopicSubscribeRequest,
} from '@tessera/contracts';
import type { PubSubBulkEntry, PubSubMessage } from '@tessera/spi';
import { buildEnvelope, parseBulkEntries, parsePublishMetadata } from './cloudevents';
import { DeliveryStream } from './delivery-stream';
import type { PubSubComponents, PubSubEntry } from './pubsub-components';
import { topicAllowed } from './pubsub-components';

/** What the block needs of a resiliency policy (runtime-core's Policy satisfies it). */
export interface PubSubCallPolicy {
  /**
   * True when run() is just `fn(signal)`: no timeout, retry or breaker (runtime-core's
   * PASS_THROUGH). The caller's signal is then of no use (component publishes take none).
   */
  readonly passThrough?: boolean;
  run<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: { readonly signal?: AbortSignal }): Promise<T>;
}

export interface PubSubBlockLogger {
  debug?(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface PubSubBlockOptions {
  /** The outbound policy of a pub/sub component; absent = call the component directly. */
  readonly policyFor?: (entry: PubSubEntry) => PubSubCallPolicy;
  readonly logger?: PubSubBlockLogger;
  /** Largest event (after wrapping) accepted for publishing, in bytes; default 4 MiB. */
  readonly maxMessageBytes?: number;
  /** Clock for CloudEvent `time` / `expiration` (tests). */
  readonly now?: () => Date;
}

interface Active {
  readonly stream: DeliveryStream;
  readonly entry: PubSubEntry;
  readonly appId: string;
  readonly deadLetterTopic: string;
}

const NEVER_ABORTED: AbortSignal = new AbortController().signal;
const DIRECT: PubSubCallPolicy = { passThrough: true, run: (fn, opts) => fn(opts?.signal ?? NEVER_ABORTED) };

/**
 * The run options for a publish: the caller's signal (its retries and timeouts stop when the client
 * goes away) only for a policy that can use it. The edges make `ctx.signal` on first use (an
 * AbortController and a 'close' listener per request), so it is not asked for when nothing would
 * watch it: with no resiliency policy on the component, every publish.
 */
function runOpts(policy: PubSubCallPolicy, ctx: CallContext): { readonly signal?: AbortSignal } | undefined {
  return policy.passThrough === true ? undefined : { signal: ctx.signal };
}

const DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024;

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class PubSubBlock implements PubSubApi {
  private readonly active = new Map<string, Active>();
  private readonly maxMessageBytes: number;

  constructor(
    private readonly components: PubSubComponents,
    private readonly opts: PubSubBlockOptions = {},
  ) {
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
  }

  async publish(req: PublishEventRequest, ctx: CallContext): Promise<void> {
    const entry = this.lookup(req.pubsubName, req.topic, ctx, false);
    if (!topicAllowed(entry.topics, 'publish', ctx.appId, req.topic)) throw PubSubErrors.forbidden(req.topic, req.pubsubName, ctx.appId);
    const md = parsePublishMetadata(req.metadata ?? {}, req.pubsubName, req.topic, ctx.appId);
    const data = req.data ?? new Uint8Array(0);
    const out = md.rawPayload
      ? { data, contentType: req.dataContentType }
      : buildEnvelope({
          pubsubName: req.pubsubName,
          topic: req.topic,
          data,
          contentType: req.dataContentType,
          overrides: md.overrides,
          appId: ctx.appId,
          traceparent: ctx.traceparent,
          tracestate: ctx.tracestate,
          ttlInSeconds: md.ttlInSeconds,
          nativeTtl: entry.nativeTtl,
          now: this.opts.now?.(),
        });
    if (out.data.byteLength > this.maxMessageBytes) {
      throw PubSubErrors.tooLarge(req.pubsubName, req.topic, out.data.byteLength, this.maxMessageBytes, ctx.appId);
    }
    try {
      const policy = this.policy(entry);
      await policy.run(
        () => entry.pubsub.publish({ topic: req.topic, data: out.data, contentType: out.contentType || undefined, metadata: md.componentMetadata }),
        runOpts(policy, ctx),
      );
    } catch (e) {
      throw PubSubErrors.publish(req.topic, req.pubsubName, messageOf(e), ctx.appId);
    }
  }

  async bulkPublish(req: BulkPublishRequest, ctx: CallContext): Promise<BulkPublishResponse> {
    const entry = this.lookup(req.pubsubName, req.topic, ctx, true);
    if (!topicAllowed(entry.topics, 'publish', ctx.appId, req.topic)) throw PubSubErrors.forbidden(req.topic, req.pubsubName, ctx.appId);
    const prepared = parseBulkEntries(req, {
      appId: ctx.appId,
      traceparent: ctx.traceparent,
      tracestate: ctx.tracestate,
      nativeTtl: entry.nativeTtl,
      now: this.opts.now?.(),
    });
    const requestMetadata = parsePublishMetadata(req.metadata ?? {}, req.pubsubName, req.topic, ctx.appId).componentMetadata;
    for (const p of prepared) {
      if (p.data.byteLength > this.maxMessageBytes) {
        throw PubSubErrors.tooLarge(req.pubsubName, req.topic, p.data.byteLength, this.maxMessageBytes, ctx.appId);
      }
    }
    const entries: PubSubBulkEntry[] = prepared.map((p) => ({ entryId: p.entryId, data: p.data, contentType: p.contentType || undefined, metadata: p.metadata }));
    const failed: BulkPublishResponseFailedEntry[] = [];
    const ps = entry.pubsub;
    const policy = this.policy(entry);
    const opts = runOpts(policy, ctx);
    if (ps.bulkPublish !== undefined && ps.features().includes('bulk-publish')) {
      const bulk = ps.bulkPublish.bind(ps);
      try {
        const r = await policy.run(() => bulk({ topic: req.topic, entries, metadata: requestMetadata }), opts);
        for (const f of r.failed) failed.push({ entryId: f.entryId, error: f.error });
      } catch (e) {
        const why = messageOf(e);
        for (const en of entries) failed.push({ entryId: en.entryId, error: why });
      }
    } else {
      await Promise.all(
        entries.map(async (en) => {
          try {
            await policy.run(() => ps.publish({ topic: req.topic, data: en.data, contentType: en.contentType, metadata: en.metadata }), opts);
          } catch (e) {
            failed.push({ entryId: en.entryId, error: messageOf(e) });
          }
        }),
      );
    }
    return { failedEntries: failed };
  }

  subscribe(req: TopicSubscribeRequest, ctx: CallContext): AsyncIterable<TopicDelivery> {
    const id = randomUUID();
    const stream: DeliveryStream = new DeliveryStream(
      id,
      {
        open: async (s) => {
          const entry = this.lookup(req.pubsubName, req.topic, ctx, false);
          if (!topicAllowed(entry.topics, 'subscribe', ctx.appId, req.topic)) throw PubSubErrors.forbidden(req.topic, req.pubsubName, ctx.appId);
          this.active.set(id, { stream: s, entry, appId: ctx.appId, deadLetterTopic: req.deadLetterTopic });
          const consumerGroup = entry.consumerId ?? ctx.appId;
          try {
            return await entry.pubsub.subscribe({ topic: req.topic, consumerGroup, metadata: req.metadata ?? {} }, s.handler);
          } catch (e) {
            this.active.delete(id);
            throw PubSubErrors.subscribe(req.topic, req.pubsubName, messageOf(e), ctx.appId);
          }
        },
        closed: (s) => {
          if (this.active.get(s.id)?.stream === s) this.active.delete(s.id);
        },
      },
      ctx.signal,
    );
    return stream;
  }

  async settle(req: SettleDeliveryRequest, ctx: CallContext): Promise<void> {
    const a = this.active.get(req.subscriptionId);
    if (a === undefined || a.appId !== ctx.appId) return;
    const f = a.stream.take(req.deliveryId);
    if (f === undefined) return;
    const verdict = req.verdict;
    if (verdict === DeliveryVerdict.DELIVERY_VERDICT_SUCCESS) {
      f.resolve();
      return;
    }
    const what = verdict === DeliveryVerdict.DELIVERY_VERDICT_DROP ? 'dropped' : 'failed';
    if (a.deadLetterTopic !== '') {
      try {
        await this.deadLetter(a, f.message);
        this.opts.logger?.warn(`pubsub ${a.entry.name}: message on ${f.message.topic} ${what} (${req.reason}); sent to dead-letter topic ${a.deadLetterTopic}`);
        f.resolve();
      } catch (e) {
        this.opts.logger?.warn(`pubsub ${a.entry.name}: dead-letter publish to ${a.deadLetterTopic} failed: ${messageOf(e)}; message left to the broker`);
        f.reject(e instanceof Error ? e : new Error(messageOf(e)));
      }
      return;
    }
    if (verdict === DeliveryVerdict.DELIVERY_VERDICT_DROP) {
      this.opts.logger?.warn(`pubsub ${a.entry.name}: message on ${f.message.topic} dropped: ${req.reason}`);
      f.resolve();
      return;
    }
    f.reject(new Error(req.reason !== '' ? req.reason : 'the app did not process the message'));
  }

  async listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.components.visibleTo(ctx.appId).map((e) => this.components.describe(e));
  }

  /** Ends every open subscription stream (shutdown): unsettled messages go back to the brokers. */
  async closeSubscriptions(): Promise<void> {
    await Promise.all([...this.active.values()].map((a) => a.stream.end()));
  }

  private async deadLetter(a: Active, m: PubSubMessage): Promise<void> {
    await this.policy(a.entry).run(() =>
      a.entry.pubsub.publish({ topic: a.deadLetterTopic, data: m.data, contentType: m.contentType, metadata: m.metadata }),
    );
  }

  private lookup(name: string, topic: string, ctx: CallContext, bulk: boolean): PubSubEntry {
    if (this.components.visibleTo(ctx.appId).length === 0) throw this.reject(PubSubErrors.notConfigured(ctx.appId), ctx);
    if (name === '') throw this.reject(PubSubErrors.nameEmpty(ctx.appId), ctx);
    const entry = this.components.get(name, ctx.appId);
    if (entry === undefined) throw this.reject(bulk ? PubSubErrors.notFoundBulk(name, ctx.appId) : PubSubErrors.notFound(name, ctx.appId), ctx);
    if (topic === '') throw this.reject(PubSubErrors.topicEmpty(name, ctx.appId), ctx);
    return entry;
  }

  private reject(e: ApiError, ctx: CallContext): ApiError {
    this.opts.logger?.debug?.(`pubsub request rejected: ${e.message}`, { appId: ctx.appId, errorCode: e.code });
    return e;
  }

  private policy(entry: PubSubEntry): PubSubCallPolicy {
    return this.opts.policyFor?.(entry) ?? DIRECT;
  }
}
