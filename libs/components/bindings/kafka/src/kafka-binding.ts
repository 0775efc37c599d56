// `bindings.kafka` v1 (components.md 5.20), input and output, on kafkajs.
// - Output `create` sends one record to `publishTopic` (key from metadata `partitionKey`/`key`,
//   other metadata as headers) and resolves once the brokers acknowledged it
//   (producerRequiredAcks). init() connects the producer, so a dead cluster fails start-up.
// - Input: read() joins `consumerGroup` on `topics` (initialOffset newest|oldest) and resolves once
//   the group is joined. Records are handled one at a time per partition; the offset is
//   committed after the handler settled. A rejecting handler is retried (consumeRetryInterval,
//   doubling) while consumeRetryEnabled is set; otherwise, or once it succeeds, the offset is
//   marked: as in Dapr the record is not redelivered. A reader closed during retries leaves the
//   offset uncommitted.
// - close() stops the consumers (waiting for handlers in flight) and disconnects the producer.
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, EachMessagePayload, LogEntry, Producer } from 'kafkajs';
import { BindingError } from '@tessera/spi';
import type {
  Binding,
  BindingInvokeRequest,
  BindingInvokeResponse,
  BindingReadHandler,
  BindingReader,
  ComponentHost,
  ComponentMetadata,
} from '@tessera/spi';
import { consumeRetryDelayMs, eventFromMessage, parseKafkaBindingMetadata, recordFromRequest, toKafkaConfig } from './kafka-binding-metadata';
import type { KafkaBindingSettings } from './kafka-binding-metadata';

export const KAFKA_OPERATIONS = ['create'] as const;

const JOIN_TIMEOUT_MS = 60_000;

export function createKafkaBinding(meta: ComponentMetadata, host?: ComponentHost): Binding {
  return new KafkaBinding(meta, host);
}

class KafkaBinding implements Binding {
  private settings: KafkaBindingSettings | undefined;
  private kafka: Kafka | undefined;
  private producer: Producer | undefined;
  private readonly readers = new Set<KafkaReader>();
  private closed = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host?: ComponentHost,
  ) {}

  async init(): Promise<void> {
    const s = parseKafkaBindingMetadata(this.meta);
    this.settings = s;
    const logger = this.host?.logger;
    this.kafka = new Kafka({
      ...toKafkaConfig(s),
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log }: LogEntry) => {
          const { message, ...fields } = log;
          if (level <= logLevel.ERROR) logger?.error(`kafka binding ${this.meta.name}: ${message}`, fields);
          else logger?.warn(`kafka binding ${this.meta.name}: ${message}`, fields);
        },
    });
    const producer = this.kafka.producer({ allowAutoTopicCreation: true });
    try {
      await producer.connect();
    } catch (e) {
      await producer.disconnect().catch(() => undefined);
      throw new BindingError('backend', `kafka binding ${this.meta.name}: cannot connect to ${s.brokers.join(',')}: ${messageOf(e)}`, { cause: e });
    }
    this.producer = producer;
  }

  operations(): readonly string[] {
    return KAFKA_OPERATIONS;
  }

  async invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    if (req.operation !== 'create') {
      throw new BindingError('bad-request', `kafka binding ${this.meta.name}: unsupported operation "${req.operation}" (supported: create)`);
    }
    const s = this.settings;
    const producer = this.producer;
    if (this.closed || !s || !producer) throw new BindingError('closed', `kafka binding ${this.meta.name} is not initialized or closed`);
    if (s.publishTopic === undefined) throw new BindingError('bad-request', `kafka binding ${this.meta.name}: no publishTopic configured, it cannot be used as an output binding`);
    if (s.maxMessageBytes !== undefined && req.data.byteLength > s.maxMessageBytes) {
      throw new BindingError('bad-request', `kafka binding ${this.meta.name}: message of ${req.data.byteLength} bytes exceeds maxMessageBytes (${s.maxMessageBytes})`);
    }
    try {
      await producer.send({ topic: s.publishTopic, acks: s.acks, messages: [recordFromRequest(req.data, req.metadata)] });
    } catch (e) {
      throw new BindingError('backend', `kafka binding ${this.meta.name}: publishing to ${s.publishTopic} failed: ${messageOf(e)}`, { cause: e });
    }
    return undefined;
  }

  async read(handler: BindingReadHandler): Promise<BindingReader> {
    const s = this.settings;
    const kafka = this.kafka;
    if (this.closed || !s || !kafka) throw new BindingError('closed', `kafka binding ${this.meta.name} is not initialized or closed`);
    if (s.topics.length === 0) throw new BindingError('bad-request', `kafka binding ${this.meta.name}: no topics configured, it cannot be used as an input binding`);
    const reader = new KafkaReader(s, kafka, handler, this.meta.name, this.host, (r) => this.readers.delete(r));
    try {
      await reader.start();
    } catch (e) {
      await reader.close().catch(() => undefined);
      throw new BindingError('backend', `kafka binding ${this.meta.name}: cannot consume ${s.topics.join(',')}: ${messageOf(e)}`, { cause: e });
    }
    this.readers.add(reader);
    return reader;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.readers].map((r) => r.close()));
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }
}

class KafkaReader implements BindingReader {
  private readonly consumer: Consumer;
  private stopped = false;

  constructor(
    private readonly s: KafkaBindingSettings,
    kafka: Kafka,
    private readonly handler: BindingReadHandler,
    private readonly name: string,
    private readonly host: ComponentHost | undefined,
    private readonly onClosed: (r: KafkaReader) => void,
  ) {
    this.consumer = kafka.consumer({ groupId: s.consumerGroup, heartbeatInterval: s.heartbeatIntervalMs, sessionTimeout: s.sessionTimeoutMs });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.s.topics], fromBeginning: this.s.fromBeginning });
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`group ${this.s.consumerGroup} not joined within ${JOIN_TIMEOUT_MS}ms`)), JOIN_TIMEOUT_MS);
      const off = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
    await this.consumer.run({ eachMessage: (p) => this.process(p) });
    await joined;
  }

  private async process({ topic, partition, message }: EachMessagePayload): Promise<void> {
    const event = eventFromMessage(topic, partition, message);
    for (let attempt = 0; ; attempt++) {
      if (this.stopped && attempt > 0) throw new Error('reader closed while retrying; offset left uncommitted');
      try {
        await this.handler(event);
        return;
      } catch (e) {
        if (!this.s.consumeRetryEnabled) {
          this.host?.logger?.warn(`kafka binding ${this.name}: handler failed; offset marked (consumeRetryEnabled is off)`, { topic, partition, offset: message.offset, error: messageOf(e) });
          return;
        }
        await new Promise((r) => setTimeout(r, consumeRetryDelayMs(this.s, attempt + 1)));
      }
    }
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.onClosed(this);
    await this.consumer.disconnect().catch(() => undefined);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
