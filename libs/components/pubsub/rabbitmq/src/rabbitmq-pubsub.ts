// `pubsub.rabbitmq` on amqplib, in Dapr's layout (components.md 5.7) so a Dapr sidecar and
// Tessera share exchanges and queues:
// - topic = an exchange named after the topic (kind `exchangeKind`, durable = `durable`,
//   auto-delete = `deletedWhenUnused`), declared on first publish and on subscribe;
// - subscription = queue `<consumerGroup>-<topic>` (subscription metadata `queueName` overrides)
//   bound with every key of `routingKey` (comma list, "" by default). Subscriptions of one group
//   share the queue (competing consumers); other groups have their own queue (fan-out);
// - `enableDeadLetter`: exchange `dlx-<queue>` (fanout, durable) and queue `dlq-<queue>` (durable,
//   lazy) and the main queue dead-letters into it;
// - handler resolved -> ack; rejected -> nack, requeued only with `requeueInFailure` (otherwise
//   dead-lettered when enabled, else dropped); PubSubAbandonError -> nack with requeue.
//
// Publishing always goes through a confirm channel: publish() resolves once the broker confirmed
// the message (the SPI requires durable acceptance), so `publisherConfirm: false` does not turn
// confirms off — it only made Dapr skip waiting, which Tessera never does.
//
// One connection per component; one channel per subscription (its prefetch and acks are its own)
// plus one confirm channel for publishing. When the connection drops, every subscription is set up
// again on a new connection after `reconnectWait` (retried at that pace until it works); a channel
// the broker closed (e.g. the queue was deleted) is re-established the same way.
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { amqpSocketOptions } from '@tessera/common-amqp';
import { ComponentConfigError, PubSubError, isPubSubAbandon, isPubSubError } from '@tessera/spi';
import type {
  ComponentHost,
  ComponentMetadata,
  PubSub,
  PubSubFeature,
  PubSubHandler,
  PubSubMessage,
  PubSubPublishRequest,
  PubSubSubscribeRequest,
  PubSubSubscription,
} from '@tessera/spi';
import {
  deadLetterExchange,
  deadLetterQueue,
  deadLetterQueueArguments,
  headersToMetadata,
  parsePublishMetadata,
  parseRabbitMqMetadata,
  parseSubscribeMetadata,
  queueArguments,
} from './rabbitmq-metadata';
import type { RabbitMqSettings, RabbitMqSubscribeOptions } from './rabbitmq-metadata';

const CONNECT_TIMEOUT_MS = 10_000;
const PUBLISH_ATTEMPTS = 2;

export function createRabbitMqPubSub(meta: ComponentMetadata, host?: ComponentHost): PubSub {
  return new RabbitMqPubSub(meta, host);
}

type Outcome = 'ack' | 'fail' | 'abandon';

class RabbitMqPubSub implements PubSub {
  private settings: RabbitMqSettings | undefined;
  private conn: ChannelModel | undefined;
  private connecting: Promise<ChannelModel> | undefined;
  private publishChannel: Promise<ConfirmChannel> | undefined;
  /** Exchanges declared (or being declared) on the current publish channel. */
  private declared = new Map<string, Promise<unknown>>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  readonly subscriptions = new Set<RabbitMqSubscription>();

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host?: ComponentHost,
  ) {}

  get s(): RabbitMqSettings {
    if (!this.settings) throw new PubSubError('closed', 'rabbitmq pub/sub: not initialized');
    return this.settings;
  }

  async init(): Promise<void> {
    this.settings = parseRabbitMqMetadata(this.meta);
    try {
      await this.connection();
    } catch (e) {
      if (e instanceof ComponentConfigError) throw e;
      throw new PubSubError('backend', `rabbitmq pub/sub: error connecting to ${this.s.displayUrl}: ${messageOf(e)}`, { cause: e });
    }
  }

  features(): readonly PubSubFeature[] {
    return ['message-ttl'];
  }

  async publish(req: PubSubPublishRequest): Promise<void> {
    this.assertOpen();
    if (!req.topic) throw new PubSubError('bad-request', 'rabbitmq pub/sub: topic is empty');
    const s = this.s;
    const p = parsePublishMetadata(s, req.metadata);
    const options: Options.Publish = {
      contentType: req.contentType ?? 'text/plain',
      headers: { ...req.metadata },
      messageId: p.messageId ?? randomUUID(),
      ...(s.deliveryMode > 0 ? { deliveryMode: s.deliveryMode } : {}),
      ...(p.expiration !== undefined ? { expiration: p.expiration } : {}),
      ...(p.priority !== undefined ? { priority: p.priority } : {}),
      ...(p.correlationId !== undefined ? { correlationId: p.correlationId } : {}),
      ...(p.type !== undefined ? { type: p.type } : {}),
    };
    const content = Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
    // A second attempt on a fresh channel covers a channel the broker closed under us, e.g. an
    // auto-deleted exchange that is still in the declared cache (404 closes the channel).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.publishOnce(req.topic, p.routingKey, content, options);
        return;
      } catch (e) {
        if (this.closed) throw new PubSubError('closed', 'rabbitmq pub/sub: component closed while publishing', { cause: e });
        if (attempt >= PUBLISH_ATTEMPTS) {
          throw new PubSubError('backend', `rabbitmq pub/sub: publishing to exchange "${req.topic}" failed: ${messageOf(e)}`, { cause: e });
        }
        this.log('warn', `rabbitmq pub/sub: publishing to exchange "${req.topic}" failed; trying again`, { error: messageOf(e) });
      }
    }
  }

  private async publishOnce(topic: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const s = this.s;
    const ch = await this.confirmChannel();
    let declaring = this.declared.get(topic);
    if (!declaring) {
      declaring = ch.assertExchange(topic, s.exchangeKind, { durable: s.durable, autoDelete: s.deletedWhenUnused });
      this.declared.set(topic, declaring);
      const mine = declaring;
      declaring.catch(() => {
        if (this.declared.get(topic) === mine) this.declared.delete(topic);
      });
    }
    await declaring;
    await new Promise<void>((resolve, reject) => {
      try {
        ch.publish(topic, routingKey, content, options, (err: unknown) => (err ? reject(err) : resolve()));
      } catch (e) {
        reject(e);
      }
    });
  }

  async subscribe(req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription> {
    this.assertOpen();
    if (!req.topic) throw new PubSubError('bad-request', 'rabbitmq pub/sub: topic is empty');
    if (!req.consumerGroup && !req.metadata['queueName']) throw new PubSubError('bad-request', 'rabbitmq pub/sub: a consumer group (consumerID) or a queueName is required');
    const opts = parseSubscribeMetadata(this.s, req.topic, req.consumerGroup, req.metadata);
    const sub = new RabbitMqSubscription(this, req.topic, opts, handler);
    this.subscriptions.add(sub);
    try {
      await sub.attach(await this.connection());
    } catch (e) {
      await sub.close();
      if (this.closed) throw new PubSubError('closed', 'rabbitmq pub/sub: component closed while subscribing', { cause: e });
      if (isPubSubError(e)) throw e;
      throw new PubSubError('backend', `rabbitmq pub/sub: subscribing queue "${opts.queueName}" to exchange "${req.topic}" failed: ${messageOf(e)}`, { cause: e });
    }
    if (this.closed) {
      await sub.close();
      throw new PubSubError('closed', 'rabbitmq pub/sub: component closed while subscribing');
    }
    return sub;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await Promise.allSettled([...this.subscriptions].map((sub) => sub.close()));
    const pub = this.publishChannel;
    this.publishChannel = undefined;
    if (pub) await pub.then((ch) => ch.close()).catch(() => undefined);
    const conn = this.conn ?? (await this.connecting?.catch(() => undefined));
    this.conn = undefined;
    if (conn) await conn.close().catch(() => undefined);
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** The live connection, connecting now when there is none (one attempt shared by all callers). */
  connection(): Promise<ChannelModel> {
    if (this.closed) return Promise.reject(new PubSubError('closed', 'rabbitmq pub/sub: component is closed'));
    if (this.conn) return Promise.resolve(this.conn);
    this.connecting ??= this.doConnect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<ChannelModel> {
    const s = this.s;
    const conn = await connect(s.url, amqpSocketOptions(s.tls, { timeoutMs: CONNECT_TIMEOUT_MS, saslExternal: s.saslExternal, ...(s.clientName !== undefined ? { connectionName: s.clientName } : {}) }));
    conn.on('error', (e: Error) => this.log('warn', 'rabbitmq pub/sub: connection error', { error: e.message }));
    conn.on('blocked', (reason: string) => this.log('warn', 'rabbitmq pub/sub: connection blocked by the broker', { reason }));
    conn.on('close', (err?: Error) => this.onConnectionClosed(conn, err));
    if (this.closed) {
      await conn.close().catch(() => undefined);
      throw new PubSubError('closed', 'rabbitmq pub/sub: component is closed');
    }
    this.conn = conn;
    return conn;
  }

  private onConnectionClosed(conn: ChannelModel, err: Error | undefined): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.publishChannel = undefined;
    this.declared.clear();
    if (this.closed) return;
    this.log('warn', `rabbitmq pub/sub: connection lost; reconnecting in ${this.s.reconnectWaitMs} ms`, { error: err?.message });
    for (const sub of this.subscriptions) sub.detached();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connection().then(
        () => {
          this.log('info', 'rabbitmq pub/sub: reconnected');
          for (const sub of this.subscriptions) sub.ensureAttached();
        },
        (e: unknown) => {
          if (this.closed) return;
          this.log('warn', `rabbitmq pub/sub: reconnect failed; retrying in ${this.s.reconnectWaitMs} ms`, { error: messageOf(e) });
          this.scheduleReconnect();
        },
      );
    }, this.s.reconnectWaitMs);
    this.reconnectTimer.unref?.();
  }

  private confirmChannel(): Promise<ConfirmChannel> {
    if (!this.publishChannel) {
      const p = this.connection().then(async (conn) => {
        const ch = await conn.createConfirmChannel();
        ch.on('error', (e: Error) => this.log('warn', 'rabbitmq pub/sub: publish channel error', { error: e.message }));
        ch.on('close', () => {
          if (this.publishChannel === p) {
            this.publishChannel = undefined;
            this.declared.clear();
          }
        });
        return ch;
      });
      this.publishChannel = p;
      p.catch(() => {
        if (this.publishChannel === p) this.publishChannel = undefined;
      });
    }
    return this.publishChannel;
  }

  private assertOpen(): void {
    if (this.closed) throw new PubSubError('closed', 'rabbitmq pub/sub: component is closed');
  }

  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.host?.logger?.[level](msg, { component: this.meta.name, ...fields });
  }
}

class RabbitMqSubscription implements PubSubSubscription {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private attaching: Promise<void> | undefined;
  private reattachTimer: NodeJS.Timeout | undefined;
  private closingPromise: Promise<void> | undefined;
  private closing = false;
  private readonly inflight = new Set<Promise<void>>();
  /** Redelivered messages (by message id) whose first delivery is still being handled. */
  private readonly inflightIds = new Map<string, Promise<Outcome>>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly owner: RabbitMqPubSub,
    private readonly topic: string,
    private readonly opts: RabbitMqSubscribeOptions,
    private readonly handler: PubSubHandler,
  ) {}

  /** Declares the layout on a fresh channel and starts consuming. */
  async attach(conn: ChannelModel): Promise<void> {
    const s = this.owner.s;
    const ch = await conn.createChannel();
    ch.on('error', (e: Error) => this.owner.log('warn', `rabbitmq pub/sub: channel of queue "${this.opts.queueName}" failed`, { error: e.message }));
    ch.on('close', () => this.onChannelClosed(ch));
    try {
      if (s.prefetchCount > 0) await ch.prefetch(s.prefetchCount);
      await ch.assertExchange(this.topic, s.exchangeKind, { durable: s.durable, autoDelete: s.deletedWhenUnused });
      if (s.enableDeadLetter) {
        const dlx = deadLetterExchange(this.opts.queueName);
        const dlq = deadLetterQueue(this.opts.queueName);
        await ch.assertExchange(dlx, 'fanout', { durable: true, autoDelete: s.deletedWhenUnused });
        await ch.assertQueue(dlq, { durable: true, autoDelete: s.deletedWhenUnused, arguments: deadLetterQueueArguments(s) });
        await ch.bindQueue(dlq, dlx, '');
      }
      await ch.assertQueue(this.opts.queueName, { durable: s.durable, autoDelete: s.deletedWhenUnused, arguments: queueArguments(s, this.opts) });
      for (const key of this.opts.routingKeys) await ch.bindQueue(this.opts.queueName, this.topic, key);
      const { consumerTag } = await ch.consume(this.opts.queueName, (msg) => this.onDelivery(ch, msg), {
        noAck: s.autoAck,
        consumerTag: `${this.opts.queueName}-${randomUUID().slice(0, 8)}`,
      });
      this.channel = ch;
      this.consumerTag = consumerTag;
    } catch (e) {
      await ch.close().catch(() => undefined);
      throw e;
    }
    if (this.closing) {
      this.channel = undefined;
      await ch.close().catch(() => undefined);
    }
  }

  /** The connection is gone: the broker requeues what this channel had not acked. */
  detached(): void {
    this.channel = undefined;
    this.consumerTag = undefined;
  }

  /** Re-establishes the subscription unless it is live, being set up, or closing. */
  ensureAttached(): void {
    if (this.closing || this.channel || this.attaching || this.owner.isClosed()) return;
    this.attaching = this.owner
      .connection()
      .then((conn) => this.attach(conn))
      .then(
        () => this.owner.log('info', `rabbitmq pub/sub: queue "${this.opts.queueName}" consuming again`),
        (e: unknown) => {
          if (this.closing || this.owner.isClosed()) return;
          this.owner.log('warn', `rabbitmq pub/sub: re-subscribing queue "${this.opts.queueName}" failed; retrying in ${this.owner.s.reconnectWaitMs} ms`, {
            error: messageOf(e),
          });
          this.scheduleReattach();
        },
      )
      .finally(() => {
        this.attaching = undefined;
      });
  }

  private scheduleReattach(): void {
    if (this.reattachTimer || this.closing) return;
    this.reattachTimer = setTimeout(() => {
      this.reattachTimer = undefined;
      this.ensureAttached();
    }, this.owner.s.reconnectWaitMs);
    this.reattachTimer.unref?.();
  }

  private onChannelClosed(ch: Channel): void {
    if (this.channel !== ch) return;
    this.channel = undefined;
    this.consumerTag = undefined;
    if (this.closing || this.owner.isClosed()) return;
    // The connection-level reconnect re-attaches every subscription; a channel closed alone
    // (queue deleted, precondition failed) is re-established here at the same pace.
    this.scheduleReattach();
  }

  private onDelivery(ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // Consumer cancelled by the broker (queue deleted): start over on a new channel.
      this.owner.log('warn', `rabbitmq pub/sub: the broker cancelled the consumer of queue "${this.opts.queueName}"`);
      if (this.channel === ch) {
        this.channel = undefined;
        this.consumerTag = undefined;
        ch.close().catch(() => undefined);
        if (!this.closing) this.scheduleReattach();
      }
      return;
    }
    if (this.closing) {
      this.settle(ch, msg, 'abandon');
      return;
    }
    let task: Promise<void>;
    if (this.owner.s.concurrencyMode === 'single') {
      task = this.chain.then(() => this.process(ch, msg));
      this.chain = task;
    } else {
      task = this.process(ch, msg);
    }
    this.inflight.add(task);
    void task.finally(() => this.inflight.delete(task));
  }

  private async process(ch: Channel, msg: ConsumeMessage): Promise<void> {
    if (this.closing) {
      // Queued behind others (single mode) when close() began: back to the queue.
      this.settle(ch, msg, 'abandon');
      return;
    }
    const id = typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined;
    const earlier = id !== undefined && msg.fields.redelivered ? this.inflightIds.get(id) : undefined;
    if (earlier) {
      // The broker handed back a message whose first delivery (on a lost channel) is still being
      // handled: do not run the handler twice, settle this copy the way the first one ends.
      this.settle(ch, msg, await earlier);
      return;
    }
    const outcome = this.run(msg);
    if (id !== undefined) this.inflightIds.set(id, outcome);
    const result = await outcome;
    if (id !== undefined && this.inflightIds.get(id) === outcome) this.inflightIds.delete(id);
    this.settle(ch, msg, result);
  }

  private async run(msg: ConsumeMessage): Promise<Outcome> {
    const props = msg.properties;
    const metadata = headersToMetadata(props.headers as Record<string, unknown> | undefined);
    if (typeof props.messageId === 'string' && props.messageId) metadata['messageid'] = props.messageId;
    if (typeof props.correlationId === 'string' && props.correlationId) metadata['correlationid'] = props.correlationId;
    if (typeof props.type === 'string' && props.type) metadata['type'] = props.type;
    const message: PubSubMessage = {
      topic: this.topic,
      data: msg.content,
      ...(typeof props.contentType === 'string' && props.contentType ? { contentType: props.contentType } : {}),
      metadata,
    };
    try {
      await this.handler(message);
      return 'ack';
    } catch (e) {
      if (isPubSubAbandon(e)) return 'abandon';
      this.owner.log('warn', `rabbitmq pub/sub: handler failed for a message of queue "${this.opts.queueName}"`, {
        error: messageOf(e),
        requeue: this.owner.s.requeueInFailure,
      });
      return 'fail';
    }
  }

  private settle(ch: Channel, msg: ConsumeMessage, outcome: Outcome): void {
    const s = this.owner.s;
    if (s.autoAck) return;
    // A message of a lost channel went back to the queue with it: nothing to settle.
    if (this.channel !== ch) return;
    try {
      if (outcome === 'ack') ch.ack(msg);
      else ch.nack(msg, false, outcome === 'abandon' ? true : s.requeueInFailure);
    } catch (e) {
      this.owner.log('warn', `rabbitmq pub/sub: settling a message of queue "${this.opts.queueName}" failed`, { error: messageOf(e) });
    }
  }

  close(): Promise<void> {
    this.closingPromise ??= this.doClose();
    return this.closingPromise;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    this.owner.subscriptions.delete(this);
    if (this.reattachTimer) clearTimeout(this.reattachTimer);
    this.reattachTimer = undefined;
    const ch = this.channel;
    const tag = this.consumerTag;
    if (ch && tag) await ch.cancel(tag).catch(() => undefined);
    await this.attaching?.catch(() => undefined);
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    const last = this.channel;
    this.channel = undefined;
    this.consumerTag = undefined;
    if (last) await last.close().catch(() => undefined);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
