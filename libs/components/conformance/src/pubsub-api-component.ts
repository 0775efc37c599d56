// A PubSub component on top of a PubSubApi, so the pub/sub conformance suite can run through the
// whole block path (PubSubBlock in-process, or PubSubTransportClient -> pubsub-svc -> PubSubBlock)
// and prove split mode keeps the component's semantics. Bytes travel as raw payloads (no
// CloudEvent around them); a subscription's consumer group is the calling app id (the block uses
// it as the group when the component sets no consumerID). Handler outcomes become settle
// verdicts: resolved -> SUCCESS, rejected -> RETRY (no dead-letter topic: the component's failure
// semantics apply), PubSubAbandonError -> not settled (the stream's end hands it back).
import type { CallContext, PubSubApi, TopicDelivery } from '@tessera/contracts';
import { DeliveryVerdict } from '@tessera/contracts';
import { PubSubError, isPubSubAbandon } from '@tessera/spi';
import type {
  PubSub,
  PubSubBulkPublishRequest,
  PubSubBulkPublishResult,
  PubSubFeature,
  PubSubHandler,
  PubSubPublishRequest,
  PubSubSubscribeRequest,
  PubSubSubscription,
} from '@tessera/spi';

const FEATURES: Readonly<Record<string, PubSubFeature>> = {
  MESSAGE_TTL: 'message-ttl',
  BULK_PUBLISH: 'bulk-publish',
  SUBSCRIBE_WILDCARDS: 'subscribe-wildcards',
};

export class PubSubApiComponent implements PubSub {
  private features_: PubSubFeature[] = [];
  private closed = false;
  private readonly subs = new Set<PubSubSubscription>();

  constructor(
    private readonly api: PubSubApi,
    private readonly pubsubName: string,
    private readonly close$: () => Promise<void> = async () => undefined,
    private readonly publisher = 'conformance-publisher',
  ) {}

  private ctx(appId: string, signal?: AbortSignal): CallContext {
    return signal ? { appId, namespace: '', signal } : { appId, namespace: '' };
  }

  async init(): Promise<void> {
    const visible = await this.api.listComponents(this.ctx(this.publisher));
    const me = visible.find((c) => c.name === this.pubsubName);
    if (me === undefined) throw new Error(`pubsub ${this.pubsubName} is not served`);
    this.features_ = me.capabilities.map((c) => FEATURES[c]).filter((f): f is PubSubFeature => f !== undefined);
    if (this.features_.includes('bulk-publish')) this.bulkPublish = (req) => this.bulk(req);
  }

  features(): readonly PubSubFeature[] {
    return this.features_;
  }

  async publish(req: PubSubPublishRequest): Promise<void> {
    this.assertOpen();
    try {
      await this.api.publish(
        {
          pubsubName: this.pubsubName,
          topic: req.topic,
          data: Buffer.from(req.data),
          dataContentType: req.contentType ?? '',
          metadata: { ...req.metadata, rawPayload: 'true' },
        },
        this.ctx(this.publisher),
      );
    } catch (e) {
      throw new PubSubError('backend', e instanceof Error ? e.message : String(e), { cause: e });
    }
  }

  /** Present only when the component behind the API publishes in bulk natively. */
  bulkPublish?: (req: PubSubBulkPublishRequest) => Promise<PubSubBulkPublishResult>;

  private async bulk(req: PubSubBulkPublishRequest): Promise<PubSubBulkPublishResult> {
    this.assertOpen();
    const res = await this.api.bulkPublish(
      {
        pubsubName: this.pubsubName,
        topic: req.topic,
        entries: req.entries.map((e) => ({ entryId: e.entryId, event: Buffer.from(e.data), contentType: e.contentType ?? '', metadata: { ...e.metadata, rawPayload: 'true' } })),
        metadata: { ...req.metadata },
      },
      this.ctx(this.publisher),
    );
    return { failed: res.failedEntries.map((f) => ({ entryId: f.entryId, error: f.error })) };
  }

  async subscribe(req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription> {
    this.assertOpen();
    const stop = new AbortController();
    const ctx = this.ctx(req.consumerGroup, stop.signal);
    const it = this.api.subscribe({ pubsubName: this.pubsubName, topic: req.topic, metadata: { ...req.metadata }, deadLetterTopic: '' }, ctx)[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done === true) throw new PubSubError('backend', 'the subscription ended before it started');
    const subscriptionId = first.value.subscriptionId;
    const inFlight = new Set<Promise<void>>();
    const settle = (d: TopicDelivery, verdict: DeliveryVerdict, reason: string): Promise<void> =>
      this.api.settle({ subscriptionId, deliveryId: d.deliveryId, verdict, reason }, ctx).catch(() => undefined);
    const pump = (async () => {
      try {
        for (;;) {
          const n = await it.next();
          if (n.done === true) return;
          const d = n.value;
          const p = handler({ topic: d.topic, data: new Uint8Array(d.data), contentType: d.contentType || undefined, metadata: { ...d.metadata } }).then(
            () => settle(d, DeliveryVerdict.DELIVERY_VERDICT_SUCCESS, ''),
            (e: unknown) => (isPubSubAbandon(e) ? undefined : settle(d, DeliveryVerdict.DELIVERY_VERDICT_RETRY, e instanceof Error ? e.message : String(e))),
          );
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
      } catch {
        // the stream ended (closed, or the service went away)
      }
    })();
    let closing: Promise<void> | undefined;
    const sub: PubSubSubscription = {
      close: () =>
        (closing ??= (async () => {
          this.subs.delete(sub);
          await Promise.all([...inFlight]);
          stop.abort();
          await it.return?.();
          await pump;
        })()),
    };
    this.subs.add(sub);
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subs].map((s) => s.close()));
    await this.close$();
  }

  private assertOpen(): void {
    if (this.closed) throw new PubSubError('closed', 'the component is closed');
  }
}
