// `bindings.rabbitmq` v1 (components.md 5.21), input and output, on amqplib.
// - One AMQP connection per binding. init() connects and declares `queueName` (durable,
//   autoDelete = deleteWhenUnused, exclusive, x-message-ttl, x-max-priority) as Dapr does.
// - Output `create` publishes the data to the default exchange with routing key = queue on a
//   confirm channel, and resolves once the broker confirmed. Request metadata `ttlInSeconds`
//   (per-message expiration), `priority` and `contentType` apply to that message; messages are
//   persistent when the queue is durable.
// - Input: each read() consumes the queue on its own channel (prefetch = prefetchCount) with
//   manual acks: ack after the handler resolved, nack with requeue when it rejected.
// - A lost connection is re-established every reconnectWaitInSeconds (the queue is declared and
//   consumers resumed again); meanwhile invoke rejects with BindingError('backend').
// - close() cancels consumers, waits for handlers in flight (their ack/nack still applies) and
//   closes the connection.
import * as amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel, Channel, ConsumeMessage } from 'amqplib';
import { amqpSocketOptions } from '@tessera/common-amqp';
import { BindingError, redactUrl } from '@tessera/spi';
import type {
  Binding,
  BindingInvokeRequest,
  BindingInvokeResponse,
  BindingReadHandler,
  BindingReader,
  ComponentHost,
  ComponentMetadata,
} from '@tessera/spi';
import { parseRabbitMqBindingMetadata, publishOptions, queueArguments } from './rabbitmq-binding-metadata';
import type { RabbitMqBindingSettings } from './rabbitmq-binding-metadata';

export const RABBITMQ_OPERATIONS = ['create'] as const;

export function createRabbitMqBinding(meta: ComponentMetadata, host?: ComponentHost): Binding {
  return new RabbitMqBinding(meta, host);
}

class RabbitMqBinding implements Binding {
  private settings: RabbitMqBindingSettings | undefined;
  private model: ChannelModel | undefined;
  private publisher: Promise<ConfirmChannel> | undefined;
  private readonly readers = new Set<RabbitReader>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host?: ComponentHost,
  ) {}

  async init(): Promise<void> {
    this.settings = parseRabbitMqBindingMetadata(this.meta);
    try {
      await this.connect();
    } catch (e) {
      throw new BindingError('backend', `rabbitmq binding ${this.meta.name}: cannot connect to ${redactUrl(this.settings.url)}: ${messageOf(e)}`, { cause: e });
    }
  }

  operations(): readonly string[] {
    return RABBITMQ_OPERATIONS;
  }

  async invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    if (req.operation !== 'create') {
      throw new BindingError('bad-request', `rabbitmq binding ${this.meta.name}: unsupported operation "${req.operation}" (supported: create)`);
    }
    const s = this.settings;
    if (this.closed || !s) throw new BindingError('closed', `rabbitmq binding ${this.meta.name} is not initialized or closed`);
    let opts;
    try {
      opts = publishOptions(s, req.metadata);
    } catch (e) {
      throw new BindingError('bad-request', `rabbitmq binding ${this.meta.name}: ${messageOf(e)}`);
    }
    const model = this.model;
    if (!model) throw new BindingError('backend', `rabbitmq binding ${this.meta.name}: not connected to RabbitMQ (reconnecting)`);
    try {
      if (!this.publisher) {
        const p = model.createConfirmChannel();
        this.publisher = p;
        p.then(
          (ch) => {
            ch.on('error', () => undefined);
            ch.on('close', () => {
              if (this.publisher === p) this.publisher = undefined;
            });
          },
          () => {
            if (this.publisher === p) this.publisher = undefined;
          },
        );
      }
      const ch = await this.publisher;
      const body = Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
      await new Promise<void>((resolve, reject) => {
        ch.sendToQueue(s.queueName, body, opts, (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
      });
    } catch (e) {
      throw new BindingError('backend', `rabbitmq binding ${this.meta.name}: publishing to queue ${s.queueName} failed: ${messageOf(e)}`, { cause: e });
    }
    return undefined;
  }

  async read(handler: BindingReadHandler): Promise<BindingReader> {
    const s = this.settings;
    if (this.closed || !s) throw new BindingError('closed', `rabbitmq binding ${this.meta.name} is not initialized or closed`);
    const reader = new RabbitReader(s, handler, this.meta.name, this.host, (r) => this.readers.delete(r));
    this.readers.add(reader);
    if (this.model) {
      try {
        await reader.attach(this.model);
      } catch (e) {
        this.readers.delete(reader);
        throw new BindingError('backend', `rabbitmq binding ${this.meta.name}: cannot consume queue ${s.queueName}: ${messageOf(e)}`, { cause: e });
      }
    }
    return reader;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await Promise.all([...this.readers].map((r) => r.close()));
    const model = this.model;
    this.model = undefined;
    this.publisher = undefined;
    await model?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const s = this.settings;
    if (!s) return;
    const model = await amqp.connect(s.url, amqpSocketOptions(s.tls, { connectionName: `tessera-binding-${this.meta.name}` }));
    model.on('error', () => undefined); // 'close' follows and drives the reconnect
    try {
      const ch = await model.createChannel();
      ch.on('error', () => undefined);
      await ch.assertQueue(s.queueName, { durable: s.durable, autoDelete: s.deleteWhenUnused, exclusive: s.exclusive, arguments: queueArguments(s) });
      await ch.close();
    } catch (e) {
      await model.close().catch(() => undefined);
      throw e;
    }
    if (this.closed) {
      await model.close().catch(() => undefined);
      return;
    }
    model.on('close', () => this.lost(model));
    this.model = model;
    this.publisher = undefined;
    for (const r of this.readers) {
      await r.attach(model).catch((e: unknown) => this.host?.logger?.warn(`rabbitmq binding ${this.meta.name}: resuming consumer failed`, { error: messageOf(e) }));
    }
  }

  private lost(model: ChannelModel): void {
    if (this.model !== model) return;
    this.model = undefined;
    this.publisher = undefined;
    for (const r of this.readers) r.detach();
    if (this.closed) return;
    this.host?.logger?.warn(`rabbitmq binding ${this.meta.name}: connection lost; reconnecting every ${this.settings?.reconnectWaitMs ?? 0}ms`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed) return;
      this.connect().catch(() => this.scheduleReconnect());
    }, this.settings?.reconnectWaitMs ?? 5000);
  }
}

class RabbitReader implements BindingReader {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly s: RabbitMqBindingSettings,
    private readonly handler: BindingReadHandler,
    private readonly name: string,
    private readonly host: ComponentHost | undefined,
    private readonly onClosed: (r: RabbitReader) => void,
  ) {}

  async attach(model: ChannelModel): Promise<void> {
    if (this.stopped) return;
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    ch.on('close', () => {
      if (this.channel === ch) {
        this.channel = undefined;
        this.consumerTag = undefined;
      }
    });
    if (this.s.prefetchCount > 0) await ch.prefetch(this.s.prefetchCount);
    this.channel = ch;
    const { consumerTag } = await ch.consume(this.s.queueName, (msg) => msg && this.deliver(ch, msg), { noAck: false });
    this.consumerTag = consumerTag;
  }

  detach(): void {
    this.channel = undefined;
    this.consumerTag = undefined;
  }

  private deliver(ch: Channel, msg: ConsumeMessage): void {
    if (this.stopped) {
      settle(() => ch.nack(msg, false, true));
      return;
    }
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries((msg.properties.headers ?? {}) as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') metadata[k] = String(v);
      else if (Buffer.isBuffer(v)) metadata[k] = v.toString('utf8');
    }
    const contentType = msg.properties.contentType as string | undefined;
    const event = { data: new Uint8Array(msg.content.buffer, msg.content.byteOffset, msg.content.byteLength), metadata, ...(contentType ? { contentType } : {}) };
    const p: Promise<void> = Promise.resolve()
      .then(() => this.handler(event))
      .then(
        () => settle(() => ch.ack(msg)),
        (e: unknown) => {
          this.host?.logger?.warn(`rabbitmq binding ${this.name}: handler failed; message requeued`, { error: messageOf(e) });
          settle(() => ch.nack(msg, false, true));
        },
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.onClosed(this);
    const ch = this.channel;
    const tag = this.consumerTag;
    if (ch && tag) await ch.cancel(tag).catch(() => undefined);
    await Promise.all([...this.inFlight]);
    this.channel = undefined;
    await ch?.close().catch(() => undefined);
  }
}

/** ack/nack on a channel that may have died meanwhile: the broker then redelivers anyway. */
function settle(f: () => void): void {
  try {
    f();
  } catch {
    // channel closed: unacked messages go back to the queue
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
