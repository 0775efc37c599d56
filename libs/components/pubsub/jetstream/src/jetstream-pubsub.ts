// `pubsub.jetstream` on NATS JetStream (components.md 5.9), with @nats-io/jetstream v3.
// - Subject = topic. Publish metadata travels as NATS headers (one header per key, names kept
//   exactly) and the content type as the `Content-Type` header; on delivery every header but
//   `Content-Type` comes back as message metadata.
// - Stream: `streamName`, or when unset the stream that already captures the subject (as Dapr's Go
//   client finds it). Dapr requires the stream to exist; Tessera creates it when absent and adds
//   the subjects of the topics it is used with (`autoCreateStream`, default true; false = the
//   operator manages streams and a topic no stream captures is an error). A created stream is
//   named `streamName`, else after the component, with file storage and the server's defaults;
//   subjects already covered by a wildcard subject are not added again, and a new wildcard
//   replaces the subjects it covers.
// - Consumers: durable pull consumers, one per (consumer group, topic), named
//   `<durableName | queueGroupName | consumerGroup>-<topic>` (see durableConsumerName): every
//   subscription of a group pulls from the same consumer and so competes for its messages, other
//   groups have consumers of their own and each get every message. A JetStream consumer has one
//   filter subject, hence one per topic even with `durableName`. They are pull consumers, so a
//   Dapr sidecar (push consumers with a deliver group) can share the stream with Tessera but not a
//   durable consumer.
// - Delivery: success -> Ack; failure -> Nak (redelivered at once, up to maxDeliver); abandon ->
//   Nak with a short delay. A message the server redelivers while its handler still runs (ackWait
//   passed) is not handed to the handler a second time; the ack of the running one settles it.
//   `concurrency: single` runs one handler at a time per subscription, `parallel` (default) as
//   many as the consumer's maxAckPending lets the server deliver.
// - close(): stop pulling, Nak what was pulled but not started (redelivered to the others at once),
//   wait for the running handlers and their acks.
import { connect } from '@nats-io/transport-node';
// Helpers and types of the NATS core the transport is built on (its `/internal` re-export is not
// visible to this workspace's "node" module resolution).
import { headers as natsHeaders, jwtAuthenticator, nanos } from '@nats-io/nats-core';
import type { ConnectionOptions, MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import type { ConsumerConfig, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg, StreamInfo } from '@nats-io/jetstream';
import { PubSubError, isPubSubAbandon } from '@tessera/spi';
import type {
  ComponentHost,
  ComponentMetadata,
  PubSub,
  PubSubFeature,
  PubSubHandler,
  PubSubPublishRequest,
  PubSubSubscribeRequest,
  PubSubSubscription,
} from '@tessera/spi';
import { parseJetStreamMetadata } from './jetstream-metadata';
import type { JetStreamSettings } from './jetstream-metadata';
import { captured, defaultStreamName, durableConsumerName, withSubject } from './jetstream-subjects';

export const CONTENT_TYPE_HEADER = 'Content-Type';

const FEATURES: readonly PubSubFeature[] = ['subscribe-wildcards'];
/** Messages pulled per request. */
const PULL_BATCH = 100;
/** Redelivery delay for an abandoned message (the subscriber is going away). */
const ABANDON_NAK_DELAY_MS = 1000;
const CONNECT_TIMEOUT_MS = 5000;

type Logger = NonNullable<ComponentHost['logger']>;

export function createJetStreamPubSub(meta: ComponentMetadata, host: ComponentHost = {}): PubSub {
  return new JetStreamPubSub(meta, host);
}

class JetStreamPubSub implements PubSub {
  private settings: JetStreamSettings | undefined;
  private nc: NatsConnection | undefined;
  private jsm: JetStreamManager | undefined;
  private js: JetStreamClient | undefined;
  private readonly streamOf = new Map<string, Promise<string>>();
  private streamChanges: Promise<unknown> = Promise.resolve();
  private readonly subs = new Set<JetStreamSubscription>();
  private closed = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host: ComponentHost,
  ) {}

  async init(): Promise<void> {
    const s = parseJetStreamMetadata(this.meta);
    this.settings = s;
    const opts: ConnectionOptions = {
      servers: s.servers,
      name: s.connectionName ?? `tessera-${this.meta.name}`,
      timeout: CONNECT_TIMEOUT_MS,
      ...(s.user !== undefined ? { user: s.user, pass: s.pass } : {}),
      ...(s.token !== undefined ? { token: s.token } : {}),
      ...(s.jwt !== undefined && s.seedKey !== undefined ? { authenticator: jwtAuthenticator(s.jwt, new TextEncoder().encode(s.seedKey)) } : {}),
      ...(s.tlsClientCert !== undefined && s.tlsClientKey !== undefined ? { tls: { certFile: s.tlsClientCert, keyFile: s.tlsClientKey } } : {}),
    };
    let nc: NatsConnection;
    try {
      nc = await connect(opts);
    } catch (e) {
      throw new PubSubError('backend', `jetstream: error connecting to ${s.servers.join(',')}: ${messageOf(e)}`, { cause: e });
    }
    try {
      this.jsm = await jetstreamManager(nc, { ...(s.domain !== undefined ? { domain: s.domain } : {}), ...(s.apiPrefix !== undefined ? { apiPrefix: s.apiPrefix } : {}) });
      this.js = this.jsm.jetstream();
      if (s.streamName !== undefined && !s.autoCreateStream && (await this.streamInfo(s.streamName)) === undefined) {
        throw new Error(`stream ${s.streamName} does not exist (autoCreateStream is false)`);
      }
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw new PubSubError('backend', `jetstream: ${messageOf(e)}`, { cause: e });
    }
    this.nc = nc;
  }

  features(): readonly PubSubFeature[] {
    return FEATURES;
  }

  async publish(req: PubSubPublishRequest): Promise<void> {
    const js = this.connected().js;
    if (!publishableSubject(req.topic)) {
      throw new PubSubError('bad-request', `jetstream: "${req.topic}" is not a subject one can publish to (no spaces, wildcards or empty tokens)`);
    }
    let h: MsgHdrs | undefined;
    try {
      h = toHeaders(req.metadata, req.contentType);
    } catch (e) {
      throw new PubSubError('bad-request', `jetstream: metadata cannot travel as NATS headers: ${messageOf(e)}`, { cause: e });
    }
    const s = this.settings as JetStreamSettings;
    try {
      if (s.autoCreateStream) await this.streamFor(req.topic);
      try {
        await js.publish(req.topic, req.data, h ? { headers: h } : {});
      } catch (e) {
        // No stream answered: ours may have lost the subject to a concurrent update elsewhere.
        if (!s.autoCreateStream || !isNoResponders(e)) throw e;
        this.streamOf.delete(req.topic);
        await this.streamFor(req.topic);
        await js.publish(req.topic, req.data, h ? { headers: h } : {});
      }
    } catch (e) {
      if (e instanceof PubSubError) throw e;
      const hint = isNoResponders(e) ? ' (no stream captures this subject)' : '';
      throw new PubSubError('backend', `jetstream: error from publish to ${req.topic}${hint}: ${messageOf(e)}`, { cause: e });
    }
  }

  async subscribe(req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription> {
    const { js, nc } = this.connected();
    const s = this.settings as JetStreamSettings;
    if (!subscribableSubject(req.topic)) throw new PubSubError('bad-request', `jetstream: "${req.topic}" is not a valid subject`);
    if (req.consumerGroup === '') throw new PubSubError('bad-request', 'jetstream: consumer group (consumerID) is empty');
    const name = durableConsumerName(s.durableName ?? s.queueGroupName ?? req.consumerGroup, req.topic);
    let messages: ConsumerMessages;
    try {
      const stream = await this.streamFor(req.topic);
      await this.ensureConsumer(stream, name, req.topic);
      const consumer = await js.consumers.get(stream, name);
      messages = await consumer.consume({ max_messages: s.concurrency === 'single' ? 1 : PULL_BATCH });
    } catch (e) {
      if (e instanceof PubSubError) throw e;
      throw new PubSubError('backend', `jetstream: error subscribing to ${req.topic} as ${name}: ${messageOf(e)}`, { cause: e });
    }
    if (this.closed) {
      await messages.close();
      throw new PubSubError('closed', 'jetstream: pub/sub component is closed');
    }
    const sub = new JetStreamSubscription(nc, messages, s.concurrency === 'single', handler, this.host.logger, `${req.topic}/${name}`, () => this.subs.delete(sub));
    this.subs.add(sub);
    sub.start();
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subs].map((sub) => sub.close()));
    const nc = this.nc;
    this.nc = undefined;
    if (nc) await nc.drain().catch(() => nc.close());
  }

  // ---- streams and consumers ----

  /** Name of the stream capturing `topic`, creating or extending it when allowed. Cached. */
  private streamFor(topic: string): Promise<string> {
    let p = this.streamOf.get(topic);
    if (p === undefined) {
      // Stream changes are read-modify-write: one at a time within this component.
      p = this.streamChanges.then(() => this.resolveStream(topic));
      this.streamChanges = p.catch(() => undefined);
      this.streamOf.set(topic, p);
      p.catch(() => this.streamOf.delete(topic));
    }
    return p;
  }

  private async resolveStream(topic: string): Promise<string> {
    const s = this.settings as JetStreamSettings;
    const jsm = this.jsm as JetStreamManager;
    if (s.streamName === undefined) {
      const found = await jsm.streams.find(topic).catch(() => undefined);
      if (found) return found;
      if (!s.autoCreateStream) {
        throw new PubSubError('backend', `jetstream: no stream captures subject ${topic}; create one, set streamName, or enable autoCreateStream`);
      }
    }
    const name = s.streamName ?? defaultStreamName(this.meta.name);
    for (let attempt = 0; ; attempt++) {
      const info = await this.streamInfo(name);
      try {
        if (info === undefined) {
          if (!s.autoCreateStream) throw new PubSubError('backend', `jetstream: stream ${name} does not exist (autoCreateStream is false)`);
          await jsm.streams.add({ name, subjects: [topic] });
          this.host.logger?.info(`jetstream: created stream ${name} for subject ${topic}`);
          return name;
        }
        const subjects = info.config.subjects ?? [];
        if (captured(subjects, topic)) return name;
        if (!s.autoCreateStream) {
          throw new PubSubError('backend', `jetstream: stream ${name} does not capture subject ${topic} (its subjects: ${subjects.join(', ') || 'none'}; autoCreateStream is false)`);
        }
        await jsm.streams.update(name, { subjects: withSubject(subjects, topic) ?? subjects });
        this.host.logger?.info(`jetstream: added subject ${topic} to stream ${name}`);
        return name;
      } catch (e) {
        // Another sidecar created or changed the stream meanwhile: look again, once.
        if (e instanceof PubSubError || attempt >= 1) throw e;
      }
    }
  }

  private async streamInfo(name: string): Promise<StreamInfo | undefined> {
    try {
      return await (this.jsm as JetStreamManager).streams.info(name);
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw e;
    }
  }

  private async ensureConsumer(stream: string, name: string, topic: string): Promise<void> {
    const s = this.settings as JetStreamSettings;
    const jsm = this.jsm as JetStreamManager;
    try {
      const info = await jsm.consumers.info(stream, name);
      const filter = info.config.filter_subject ?? info.config.filter_subjects?.[0];
      if (filter !== undefined && filter !== topic) {
        throw new PubSubError('backend', `jetstream: consumer ${name} on stream ${stream} filters ${filter}, not ${topic}`);
      }
      return;
    } catch (e) {
      if (!(e instanceof JetStreamApiError && e.code === JetStreamApiCodes.ConsumerNotFound)) throw e;
    }
    const cfg: Partial<ConsumerConfig> = {
      durable_name: name,
      filter_subject: topic,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: s.deliverPolicy,
      ...(s.startSequence !== undefined ? { opt_start_seq: s.startSequence } : {}),
      ...(s.startTime !== undefined ? { opt_start_time: s.startTime } : {}),
      ...(s.ackWaitMs !== undefined ? { ack_wait: nanos(s.ackWaitMs) } : {}),
      ...(s.maxDeliver !== undefined ? { max_deliver: s.maxDeliver } : {}),
      ...(s.backOffMs.length > 0 ? { backoff: s.backOffMs.map((ms) => nanos(ms)) } : {}),
      ...(s.maxAckPending !== undefined ? { max_ack_pending: s.maxAckPending } : {}),
      ...(s.replicas !== undefined ? { num_replicas: s.replicas } : {}),
      ...(s.memoryStorage ? { mem_storage: true } : {}),
    };
    await jsm.consumers.add(stream, cfg);
  }

  private connected(): { js: JetStreamClient; nc: NatsConnection } {
    if (this.closed) throw new PubSubError('closed', 'jetstream: pub/sub component is closed');
    if (this.nc === undefined || this.js === undefined) throw new PubSubError('closed', 'jetstream: pub/sub component is not initialised');
    return { js: this.js, nc: this.nc };
  }
}

class JetStreamSubscription implements PubSubSubscription {
  /** Stream sequences whose handler is running. */
  private readonly running = new Map<number, Promise<void>>();
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly messages: ConsumerMessages,
    private readonly single: boolean,
    private readonly handler: PubSubHandler,
    private readonly logger: Logger | undefined,
    private readonly label: string,
    private readonly onClosed: () => void,
  ) {}

  start(): void {
    this.loop = this.run().catch((e: unknown) => {
      if (!this.stopping) this.logger?.error(`jetstream ${this.label}: consumer stopped`, { err: messageOf(e) });
    });
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.stopping = true;
    // Stops pulling; messages already buffered still come out of the iterator and are Nak'ed.
    await Promise.all([this.messages.close().catch(() => undefined), this.loop]);
    await Promise.all(this.running.values());
    await this.nc.flush().catch(() => undefined);
    this.onClosed();
  }

  private async run(): Promise<void> {
    for await (const m of this.messages) {
      if (this.stopping) {
        m.nak();
        continue;
      }
      // Redelivered after ackWait while its handler still runs: that handler settles it.
      if (this.running.has(m.seq)) continue;
      const p = this.handle(m).finally(() => this.running.delete(m.seq));
      this.running.set(m.seq, p);
      if (this.single) await p;
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const { metadata, contentType } = fromHeaders(m.headers);
    try {
      await this.handler({ topic: m.subject, data: m.data, metadata, ...(contentType !== undefined ? { contentType } : {}) });
    } catch (e) {
      if (isPubSubAbandon(e)) m.nak(ABANDON_NAK_DELAY_MS);
      else m.nak();
      return;
    }
    m.ack();
  }
}

/** NATS headers for publish metadata and content type; undefined when there is nothing to send. */
export function toHeaders(metadata: Readonly<Record<string, string>>, contentType: string | undefined): MsgHdrs | undefined {
  const keys = Object.keys(metadata);
  if (keys.length === 0 && (contentType === undefined || contentType === '')) return undefined;
  const h = natsHeaders();
  for (const k of keys) h.set(k, metadata[k] as string);
  if (contentType !== undefined && contentType !== '') h.set(CONTENT_TYPE_HEADER, contentType);
  return h;
}

/** Message metadata and content type from delivered headers (first value of each header). */
export function fromHeaders(h: MsgHdrs | undefined): { metadata: Record<string, string>; contentType?: string } {
  const metadata: Record<string, string> = {};
  let contentType: string | undefined;
  if (h === undefined) return { metadata };
  for (const k of h.keys()) {
    const v = h.get(k);
    if (k === CONTENT_TYPE_HEADER) contentType = v;
    else metadata[k] = v;
  }
  return contentType !== undefined && contentType !== '' ? { metadata, contentType } : { metadata };
}

function subscribableSubject(topic: string): boolean {
  if (topic === '' || /\s/.test(topic)) return false;
  const tokens = topic.split('.');
  return tokens.every((t, i) => t !== '' && (t === '>' ? i === tokens.length - 1 : true));
}

function publishableSubject(topic: string): boolean {
  return subscribableSubject(topic) && topic.split('.').every((t) => t !== '*' && t !== '>');
}

function isNoResponders(e: unknown): boolean {
  const name = (e as { name?: unknown })?.name;
  const code = (e as { code?: unknown })?.code;
  return name === 'NoRespondersError' || code === 503 || /no responders/i.test(messageOf(e)) || /no responders/i.test(messageOf((e as { cause?: unknown })?.cause));
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
