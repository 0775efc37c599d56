// `pubsub.kafka` on kafkajs, with Dapr's protocol (components.md 5.6):
// - topic = Kafka topic; publish metadata `partitionKey` (or `__key`) is the record key, all other
//   publish metadata become record headers; bulkPublish sends all entries in one produce request;
// - subscription = a kafkajs consumer in group `consumerGroup` (component metadata) or else the
//   runtime's group, subscribed to the one topic. Subscriptions of one group share the topic's
//   partitions (competing consumers), other groups get everything (fan-out). The group uses a
//   range assignor that only hands a member partitions of topics it subscribed;
// - delivered metadata = the record headers plus `__key`, `__topic`, `__partition`, `__offset`,
//   `__timestamp`;
// - partitions are handled in order, one message at a time each (partitions in parallel); an
//   offset is committed only after its handler settled. Handler failure: with
//   `consumeRetryEnabled` (default true) the handler is called again every `consumeRetryInterval`
//   (up to `backOffMaxRetries`, default no limit) while the subscription lasts; when it gives up
//   (or without retries) the offset is committed and the partition moves on, as Dapr's does.
//   A PubSubAbandonError, or a subscription closing during retries, commits nothing: the group's
//   next consumer of the partition gets the message again.
// - `initialOffset: newest` for a group that never committed on the topic: subscribe() pins the
//   group at the topic's current end before consuming, so a message published after subscribe()
//   resolved is delivered (kafkajs would otherwise take "latest" at its first fetch).
import { AssignerProtocol, CompressionTypes, Kafka, PartitionAssigners, logLevel } from 'kafkajs';
import type { Admin, Consumer, EachBatchPayload, KafkaMessage, LogEntry, PartitionAssigner, Producer } from 'kafkajs';
import { ComponentConfigError, PubSubError, isPubSubAbandon, isPubSubError } from '@tessera/spi';
import type {
  ComponentHost,
  ComponentMetadata,
  PubSub,
  PubSubBulkPublishRequest,
  PubSubBulkPublishResult,
  PubSubFeature,
  PubSubHandler,
  PubSubPublishRequest,
  PubSubSubscribeRequest,
  PubSubSubscription,
} from '@tessera/spi';
import { kafkaClientConfig, parseKafkaMetadata, rangeAssign, toKafkaRecord, toPubSubMessage } from './kafka-metadata';
import type { KafkaRecord, KafkaSettings } from './kafka-metadata';

const JOIN_TIMEOUT_MS = 60_000;
const PARTITIONS_CONSUMED_CONCURRENTLY = 16;
/** Pause before an abandoned message is fetched again by a subscription that is not closing. */
const ABANDON_PAUSE_MS = 1000;

export function createKafkaPubSub(meta: ComponentMetadata, host?: ComponentHost): PubSub {
  return new KafkaPubSub(meta, host);
}

type Outcome = 'ack' | 'fail' | 'abandon';

/** Range assignment among the members subscribing each topic (see rangeAssign). */
export const subscriptionAwareRangeAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  async assign({ members }) {
    const decoded = members.map((m) => ({ memberId: m.memberId, topics: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? [] }));
    // The leader only knows the metadata of its own topics: fetch the others' too.
    const topics = [...new Set(decoded.flatMap((m) => m.topics))];
    await cluster.addMultipleTargetTopics(topics);
    const partitionsByTopic: Record<string, number[]> = {};
    for (const t of topics) partitionsByTopic[t] = cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId);
    const assignment = rangeAssign(decoded, partitionsByTopic);
    return decoded.map((m) => ({
      memberId: m.memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: assignment[m.memberId] ?? {}, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'range', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});

class KafkaPubSub implements PubSub {
  private settings: KafkaSettings | undefined;
  private kafka: Kafka | undefined;
  private producer: Producer | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  readonly subscriptions = new Set<KafkaSubscription>();

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host?: ComponentHost,
  ) {}

  get s(): KafkaSettings {
    if (!this.settings) throw new PubSubError('closed', 'kafka pub/sub: not initialized');
    return this.settings;
  }

  async init(): Promise<void> {
    this.settings = parseKafkaMetadata(this.meta);
    const c = kafkaClientConfig(this.settings);
    this.kafka = new Kafka({
      clientId: c.clientId,
      brokers: c.brokers,
      ...(c.ssl !== undefined ? { ssl: c.ssl } : {}),
      ...(c.sasl !== undefined ? { sasl: c.sasl } : {}),
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.kafkaLog(entry),
    });
    const producer = this.kafka.producer({ allowAutoTopicCreation: true });
    try {
      await producer.connect();
    } catch (e) {
      await producer.disconnect().catch(() => undefined);
      if (e instanceof ComponentConfigError) throw e;
      throw new PubSubError('backend', `kafka pub/sub: error connecting to ${this.settings.brokers.join(',')}: ${messageOf(e)}`, { cause: e });
    }
    this.producer = producer;
  }

  features(): readonly PubSubFeature[] {
    return ['bulk-publish'];
  }

  async publish(req: PubSubPublishRequest): Promise<void> {
    this.assertOpen();
    if (!req.topic) throw new PubSubError('bad-request', 'kafka pub/sub: topic is empty');
    const record = toKafkaRecord(req.data, req.metadata, this.s.maxMessageBytes);
    await this.send(req.topic, [record]);
  }

  async bulkPublish(req: PubSubBulkPublishRequest): Promise<PubSubBulkPublishResult> {
    this.assertOpen();
    if (req.entries.length === 0) return { failed: [] };
    if (!req.topic) throw new PubSubError('bad-request', 'kafka pub/sub: topic is empty');
    const records: KafkaRecord[] = [];
    for (const e of req.entries) {
      try {
        records.push(toKafkaRecord(e.data, { ...req.metadata, ...e.metadata }, this.s.maxMessageBytes));
      } catch (err) {
        // One produce request for all entries, as Dapr sends them: a bad entry fails the batch.
        return { failed: req.entries.map((x) => ({ entryId: x.entryId, error: x === e ? messageOf(err) : 'not sent: another entry of the batch was refused' })) };
      }
    }
    try {
      await this.send(req.topic, records);
      return { failed: [] };
    } catch (err) {
      if (isPubSubError(err) && err.errorKind === 'closed') throw err;
      return { failed: req.entries.map((x) => ({ entryId: x.entryId, error: messageOf(err) })) };
    }
  }

  private async send(topic: string, records: readonly KafkaRecord[]): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new PubSubError('closed', 'kafka pub/sub: not initialized');
    try {
      await producer.send({
        topic,
        acks: this.s.requiredAcks,
        ...(this.s.compression === 'gzip' ? { compression: CompressionTypes.GZIP } : {}),
        messages: records.map((r) => ({ ...(r.key !== undefined ? { key: r.key } : {}), value: r.value, headers: r.headers })),
      });
    } catch (e) {
      if (this.closed) throw new PubSubError('closed', 'kafka pub/sub: component closed while publishing', { cause: e });
      throw new PubSubError('backend', `kafka pub/sub: publishing to "${topic}" failed: ${messageOf(e)}`, { cause: e });
    }
  }

  async subscribe(req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription> {
    this.assertOpen();
    if (!req.topic) throw new PubSubError('bad-request', 'kafka pub/sub: topic is empty');
    const groupId = this.s.consumerGroup ?? req.consumerGroup;
    if (!groupId) throw new PubSubError('bad-request', 'kafka pub/sub: a consumer group is required');
    const sub = new KafkaSubscription(this, req.topic, groupId, handler);
    this.subscriptions.add(sub);
    try {
      await sub.start();
    } catch (e) {
      await sub.close();
      if (this.closed) throw new PubSubError('closed', 'kafka pub/sub: component closed while subscribing', { cause: e });
      if (isPubSubError(e)) throw e;
      throw new PubSubError('backend', `kafka pub/sub: subscribing group "${groupId}" to "${req.topic}" failed: ${messageOf(e)}`, { cause: e });
    }
    return sub;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await producer.disconnect().catch(() => undefined);
  }

  client(): Kafka {
    if (!this.kafka) throw new PubSubError('closed', 'kafka pub/sub: not initialized');
    return this.kafka;
  }

  private assertOpen(): void {
    if (this.closed) throw new PubSubError('closed', 'kafka pub/sub: component is closed');
  }

  private kafkaLog(entry: LogEntry): void {
    const level = entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'info';
    const { message, ...rest } = entry.log;
    this.log(level, `kafka pub/sub: ${message}`, { namespace: entry.namespace, ...rest });
  }

  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.host?.logger?.[level](msg, { component: this.meta.name, ...fields });
  }
}

class KafkaSubscription implements PubSubSubscription {
  private consumer: Consumer | undefined;
  private closing = false;
  private closingPromise: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Wakes retry pauses when the subscription closes. */
  private wake: Array<() => void> = [];

  constructor(
    private readonly owner: KafkaPubSub,
    private readonly topic: string,
    private readonly groupId: string,
    private readonly handler: PubSubHandler,
  ) {}

  async start(): Promise<void> {
    const s = this.owner.s;
    const consumer = this.owner.client().consumer({
      groupId: this.groupId,
      sessionTimeout: s.sessionTimeoutMs,
      heartbeatInterval: s.heartbeatIntervalMs,
      partitionAssigners: s.rebalanceStrategy === 'roundrobin' ? [PartitionAssigners.roundRobin] : [subscriptionAwareRangeAssigner],
      allowAutoTopicCreation: true,
      ...(s.consumerFetchMin !== undefined ? { minBytes: s.consumerFetchMin } : {}),
      ...(s.consumerFetchDefault !== undefined ? { maxBytesPerPartition: s.consumerFetchDefault } : {}),
    });
    this.consumer = consumer;
    let joined!: () => void;
    const join = new Promise<void>((resolve) => (joined = resolve));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    consumer.on(consumer.events.CRASH, (e) => this.owner.log('warn', `kafka pub/sub: consumer of "${this.topic}" crashed`, { error: messageOf(e.payload.error), restart: e.payload.restart }));
    await consumer.connect();
    // Subscribing fetches the topic's metadata (which creates it where the broker allows that).
    await consumer.subscribe({ topics: [this.topic], fromBeginning: s.initialOffset === 'oldest' });
    if (s.initialOffset === 'newest') await this.pinNewGroupAtEnd();
    if (this.closing) throw new PubSubError('closed', 'kafka pub/sub: subscription closed while starting');
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachBatch: (payload) => this.track(this.eachBatch(payload)),
    });
    await withTimeout(join, JOIN_TIMEOUT_MS, `joining consumer group "${this.groupId}"`);
  }

  /** Commits the topic's end offsets for partitions the group never committed (see the header). */
  private async pinNewGroupAtEnd(): Promise<void> {
    const admin: Admin = this.owner.client().admin();
    try {
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] });
      const unset = new Set((committed?.partitions ?? []).filter((p) => p.offset === '-1' || p.offset === '').map((p) => p.partition));
      if (unset.size === 0) return;
      const ends = await admin.fetchTopicOffsets(this.topic);
      const partitions = ends.filter((e) => unset.has(e.partition)).map((e) => ({ partition: e.partition, offset: e.high }));
      if (partitions.length > 0) await admin.setOffsets({ groupId: this.groupId, topic: this.topic, partitions });
    } catch (e) {
      // E.g. the group has running members already (they decide where it starts).
      this.owner.log('info', `kafka pub/sub: could not pin group "${this.groupId}" at the end of "${this.topic}"`, { error: messageOf(e) });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      if (this.closing || !isRunning() || isStale()) return;
      const outcome = await this.deliver(batch.topic, batch.partition, message, heartbeat, isRunning);
      if (outcome === 'abandon') {
        // Not resolved: the partition is fetched again from this message.
        if (!this.closing) await this.pause(ABANDON_PAUSE_MS);
        return;
      }
      resolveOffset(message.offset);
    }
  }

  /** Runs the handler, with Dapr's consume retries; keeps the group session alive meanwhile. */
  private async deliver(topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<Outcome> {
    const s = this.owner.s;
    const msg = toPubSubMessage(topic, partition, message, {
      escapeHeaders: s.escapeHeaders,
      ...(s.excludeHeaderMetaRegex !== undefined ? { excludeHeaderMetaRegex: s.excludeHeaderMetaRegex } : {}),
    });
    const beat = setInterval(() => void heartbeat().catch(() => undefined), Math.max(100, s.heartbeatIntervalMs));
    try {
      for (let attempt = 0; ; attempt++) {
        let outcome: Outcome;
        try {
          await this.handler(msg);
          outcome = 'ack';
        } catch (e) {
          if (isPubSubAbandon(e)) return 'abandon';
          this.owner.log('warn', `kafka pub/sub: handler failed for ${topic}/${partition}/${message.offset}`, { error: messageOf(e), attempt: attempt + 1 });
          outcome = 'fail';
        }
        if (outcome === 'ack') return 'ack';
        if (!s.consumeRetryEnabled) return 'fail';
        if (s.consumeRetryMaxRetries >= 0 && attempt >= s.consumeRetryMaxRetries) {
          this.owner.log('error', `kafka pub/sub: giving up on ${topic}/${partition}/${message.offset} after ${attempt + 1} attempts`);
          return 'fail';
        }
        // A subscription that ends during retries leaves the message to the next consumer.
        if (this.closing || !isRunning()) return 'abandon';
        await this.pause(s.consumeRetryIntervalMs);
        if (this.closing || !isRunning()) return 'abandon';
      }
    } finally {
      clearInterval(beat);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = this.wake.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.push(done);
    });
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.then(
      () => this.inflight.delete(p),
      () => this.inflight.delete(p),
    );
    return p;
  }

  close(): Promise<void> {
    this.closingPromise ??= this.doClose();
    return this.closingPromise;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    this.owner.subscriptions.delete(this);
    for (const w of [...this.wake]) w();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    // disconnect() stops the runner (committing what was resolved) and leaves the group.
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect().catch(() => undefined);
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
