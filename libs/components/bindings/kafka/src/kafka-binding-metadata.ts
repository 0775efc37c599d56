// Component metadata of `bindings.kafka` v1 (components.md 5.20 with the Kafka fields of 5.6),
// parsed once at init into kafkajs settings, and the pure record/event mapping of the binding:
// request metadata `partitionKey` (or `key`) -> record key, other request metadata -> headers;
// a consumed record -> event (value as data, headers plus __key/__topic/__partition/__offset as
// metadata). Supported authType: none, password (SASL PLAIN / SCRAM), mtls, certificate.
import type { IHeaders, KafkaConfig, KafkaMessage, SASLOptions } from 'kafkajs';
import { parseInitialOffset, parseKafkaAuthType, parseKafkaBrokers, parseKafkaTls, requiredAcks, saslConfig, saslMechanism } from '@tessera/common-kafka';
import type { KafkaAuthType, KafkaTlsOptions } from '@tessera/common-kafka';
import { ComponentConfigError, boolProp, durationProp, intProp, prop, requiredProp } from '@tessera/spi';
import type { BindingReadEvent, ComponentMetadata } from '@tessera/spi';

export type { KafkaAuthType } from '@tessera/common-kafka';

export interface KafkaBindingSettings {
  readonly brokers: readonly string[];
  readonly authType: KafkaAuthType;
  readonly clientId: string;
  readonly consumerGroup: string;
  /** Input topics (`topics`); empty = no input side. */
  readonly topics: readonly string[];
  /** Output topic (`publishTopic`); undefined = no output side. */
  readonly publishTopic?: string;
  readonly fromBeginning: boolean;
  readonly consumeRetryEnabled: boolean;
  readonly consumeRetryIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly dialTimeoutMs: number;
  /** kafkajs acks: -1 all, 1 leader, 0 none. */
  readonly acks: -1 | 0 | 1;
  /** `maxMessageBytes`, enforced on `create` only when set explicitly. */
  readonly maxMessageBytes?: number;
  readonly sasl?: SASLOptions;
  /** false = plain TCP (`disableTls: true` or authType `none`). */
  readonly ssl: false | KafkaTlsOptions;
}

export function parseKafkaBindingMetadata(meta: ComponentMetadata): KafkaBindingSettings {
  const brokers = parseKafkaBrokers(meta);
  const authType = parseKafkaAuthType(meta);
  const topics = (prop(meta, 'topics') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const publishTopic = prop(meta, 'publishTopic')?.trim() || undefined;
  if (topics.length === 0 && publishTopic === undefined) throw new ComponentConfigError('publishTopic', 'a topic to publish to (or `topics` to consume)');
  const initialOffset = parseInitialOffset(meta);
  const acks = requiredAcks(prop(meta, 'producerRequiredAcks'));
  const compression = (prop(meta, 'compression') ?? 'none').trim().toLowerCase();
  if (compression !== 'none' && compression !== '') throw new ComponentConfigError('compression', `"none" (other codecs are not supported yet by Tessera), got "${compression}"`);
  const maxBytes = intProp(meta, 'maxMessageBytes', 0);
  if (maxBytes < 0) throw new ComponentConfigError('maxMessageBytes', `a positive byte count, got ${maxBytes}`);
  const fallbackId = prop(meta, 'consumerID')?.trim() || meta.appId || meta.name;
  const ssl = parseKafkaTls(meta, authType) ?? false;
  let sasl: SASLOptions | undefined;
  if (authType === 'password') {
    const username = requiredProp(meta, 'saslUsername');
    const password = requiredProp(meta, 'saslPassword');
    sasl = saslConfig(saslMechanism(prop(meta, 'saslMechanism')), username, password);
  }
  return {
    brokers,
    authType,
    clientId: prop(meta, 'clientID')?.trim() || fallbackId,
    consumerGroup: prop(meta, 'consumerGroup')?.trim() || fallbackId,
    topics,
    ...(publishTopic !== undefined ? { publishTopic } : {}),
    fromBeginning: initialOffset === 'oldest',
    consumeRetryEnabled: boolProp(meta, 'consumeRetryEnabled', false),
    consumeRetryIntervalMs: positive(meta, 'consumeRetryInterval', 100),
    heartbeatIntervalMs: positive(meta, 'heartbeatInterval', 3000),
    sessionTimeoutMs: positive(meta, 'sessionTimeout', 10_000),
    dialTimeoutMs: positive(meta, 'dialTimeout', 10_000),
    acks,
    ...(maxBytes > 0 ? { maxMessageBytes: maxBytes } : {}),
    ...(sasl ? { sasl } : {}),
    ssl,
  };
}

/** The kafkajs client config for the settings (logging is attached by the binding). */
export function toKafkaConfig(s: KafkaBindingSettings): KafkaConfig {
  return {
    clientId: s.clientId,
    brokers: [...s.brokers],
    connectionTimeout: s.dialTimeoutMs,
    retry: { retries: 3, initialRetryTime: 250, maxRetryTime: 5000 },
    ssl: s.ssl === false ? false : { ...s.ssl },
    ...(s.sasl ? { sasl: s.sasl } : {}),
  };
}

/** The record of one `create`: key from `partitionKey` (or `key`), other metadata as headers. */
export function recordFromRequest(data: Uint8Array, metadata: Readonly<Record<string, string>>): { key: string | null; value: Buffer; headers: IHeaders } {
  const key = metadata['partitionKey'] ?? metadata['key'] ?? null;
  const headers: IHeaders = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (k === 'partitionKey' || k === 'key') continue;
    headers[k] = v;
  }
  return { key: key === '' ? null : key, value: Buffer.from(data.buffer, data.byteOffset, data.byteLength), headers };
}

/** The event of one consumed record. */
export function eventFromMessage(topic: string, partition: number, message: KafkaMessage): BindingReadEvent {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one !== undefined) metadata[k] = Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
  }
  if (message.key !== null && message.key !== undefined) metadata['__key'] = message.key.toString('utf8');
  metadata['__topic'] = topic;
  metadata['__partition'] = String(partition);
  metadata['__offset'] = message.offset;
  const v = message.value ?? Buffer.alloc(0);
  return { data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength), metadata };
}

/** Wait before retry `attempt` (1-based) of a failed handler: the interval doubling, at most 5s. */
export function consumeRetryDelayMs(s: KafkaBindingSettings, attempt: number): number {
  return Math.min(5000, s.consumeRetryIntervalMs * 2 ** Math.max(0, attempt - 1));
}

function positive(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const ms = durationProp(meta, name, fallbackMs);
  if (ms <= 0) throw new ComponentConfigError(name, 'a positive duration');
  return ms;
}
