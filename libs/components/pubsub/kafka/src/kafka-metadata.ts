// Component metadata of `pubsub.kafka` (components.md 5.6) and the pure pieces of the component:
// SASL/TLS client config, publish request -> Kafka record, Kafka record -> PubSubMessage, and
// the subscription-aware range assignor. Everything here is unit-tested without a broker.
import { parseInitialOffset, parseKafkaAuthType, parseKafkaBrokers, parseKafkaTls, requiredAcks, saslConfig, saslMechanism } from '@tessera/common-kafka';
import type { KafkaAuthType, KafkaTlsOptions, SaslConfig, SaslMechanism } from '@tessera/common-kafka';
import { ComponentConfigError, PubSubError, boolProp, intProp, parseDuration, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata, PubSubMessage } from '@tessera/spi';

export type KafkaCompression = 'none' | 'gzip';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly authType: KafkaAuthType;
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
  /** undefined = plain TCP (`disableTls: true` or authType `none`). */
  readonly tls?: KafkaTlsOptions;
  /** Component-level group; overrides the runtime's consumer group when set. */
  readonly consumerGroup?: string;
  readonly clientId: string;
  readonly initialOffset: 'newest' | 'oldest';
  /** 0 = no limit of the component's own. */
  readonly maxMessageBytes: number;
  readonly consumeRetryEnabled: boolean;
  readonly consumeRetryIntervalMs: number;
  /** Handler attempts after the first one before giving up; -1 = until it works or the subscription ends. */
  readonly consumeRetryMaxRetries: number;
  readonly heartbeatIntervalMs: number;
  readonly sessionTimeoutMs: number;
  /** kafkajs `acks`: -1 all, 1 leader, 0 none. */
  readonly requiredAcks: -1 | 0 | 1;
  readonly compression: KafkaCompression;
  readonly escapeHeaders: boolean;
  readonly excludeHeaderMetaRegex?: RegExp;
  readonly consumerFetchMin?: number;
  readonly consumerFetchDefault?: number;
  readonly rebalanceStrategy: 'range' | 'roundrobin';
}

export function parseKafkaMetadata(meta: ComponentMetadata): KafkaSettings {
  const brokers = parseKafkaBrokers(meta);
  const authType = parseKafkaAuthType(meta);
  const tls = parseKafkaTls(meta, authType);
  let sasl: KafkaSettings['sasl'];
  if (authType === 'password') {
    const username = requiredProp(meta, 'saslUsername');
    const password = prop(meta, 'saslPassword');
    if (password === undefined) throw new ComponentConfigError('saslPassword', 'a value (authType "password")');
    sasl = { mechanism: saslMechanism(prop(meta, 'saslMechanism')), username, password };
  }
  const initialOffset = parseInitialOffset(meta);
  const maxMessageBytes = intProp(meta, 'maxMessageBytes', 0);
  if (maxMessageBytes < 0) throw new ComponentConfigError('maxMessageBytes', `a non-negative integer, got ${maxMessageBytes}`);
  const consumeRetryMaxRetries = intProp(meta, 'backOffMaxRetries', -1);
  if (consumeRetryMaxRetries < -1) throw new ComponentConfigError('backOffMaxRetries', `-1 (no limit) or more, got ${consumeRetryMaxRetries}`);
  const excludeRe = nonEmpty(prop(meta, 'excludeHeaderMetaRegex'));
  let excludeHeaderMetaRegex: RegExp | undefined;
  if (excludeRe !== undefined) {
    try {
      excludeHeaderMetaRegex = new RegExp(excludeRe);
    } catch {
      throw new ComponentConfigError('excludeHeaderMetaRegex', `a regular expression, got "${excludeRe}"`);
    }
  }
  const consumerGroup = nonEmpty(prop(meta, 'consumerGroup'));
  const consumerFetchMin = optionalPositive(meta, 'consumerFetchMin');
  const consumerFetchDefault = optionalPositive(meta, 'consumerFetchDefault');
  const strategy = (prop(meta, 'consumerGroupRebalanceStrategy') || 'range').trim().toLowerCase();
  if (strategy !== 'range' && strategy !== 'roundrobin' && strategy !== 'sticky') {
    throw new ComponentConfigError('consumerGroupRebalanceStrategy', `"range", "roundrobin" or "sticky", got "${strategy}"`);
  }
  return {
    brokers,
    authType,
    ...(sasl !== undefined ? { sasl } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(consumerGroup !== undefined ? { consumerGroup } : {}),
    clientId: nonEmpty(prop(meta, 'clientID')) ?? (meta.appId || 'sarama'),
    initialOffset,
    maxMessageBytes,
    consumeRetryEnabled: boolProp(meta, 'consumeRetryEnabled', true),
    consumeRetryIntervalMs: millis(meta, 'consumeRetryInterval', 100),
    consumeRetryMaxRetries,
    heartbeatIntervalMs: duration(meta, 'heartbeatInterval', 3000),
    sessionTimeoutMs: duration(meta, 'sessionTimeout', 10_000),
    requiredAcks: requiredAcks(prop(meta, 'producerRequiredAcks')),
    compression: compression(prop(meta, 'compression')),
    escapeHeaders: boolProp(meta, 'escapeHeaders', false),
    ...(excludeHeaderMetaRegex !== undefined ? { excludeHeaderMetaRegex } : {}),
    ...(consumerFetchMin !== undefined ? { consumerFetchMin } : {}),
    ...(consumerFetchDefault !== undefined ? { consumerFetchDefault } : {}),
    // kafkajs has no sticky assignor; range keeps partitions with the members that subscribe them.
    rebalanceStrategy: strategy === 'roundrobin' ? 'roundrobin' : 'range',
  };
}

function compression(value: string | undefined): KafkaCompression {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'none') return 'none';
  if (v === 'gzip') return 'gzip';
  if (v === 'snappy' || v === 'lz4' || v === 'zstd') {
    throw new ComponentConfigError('compression', `"none" or "gzip": "${v}" needs a codec Tessera's Kafka client does not ship`);
  }
  throw new ComponentConfigError('compression', `"none" or "gzip", got "${value}"`);
}

/** Dapr reads consumeRetryInterval with bare numbers as milliseconds (unlike other durations). */
function millis(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallbackMs;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const ms = parseDuration(v);
  if (ms === undefined || ms < 0) throw new ComponentConfigError(name, `a duration such as "100ms" (a bare number means milliseconds), got "${v}"`);
  return ms;
}

function duration(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallbackMs;
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new ComponentConfigError(name, `a positive duration such as "3s", got "${v}"`);
  return ms;
}

function optionalPositive(meta: ComponentMetadata, name: string): number | undefined {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new ComponentConfigError(name, `a positive integer, got "${v}"`);
  return n;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

// ---------------------------------------------------------------------------------------------
// Records

/** Publish metadata naming the record key; everything else becomes a header. */
export const KEY_METADATA = ['partitionKey', '__key'] as const;

export interface KafkaRecord {
  readonly key?: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/** Publish request -> record: `partitionKey` (or `__key`) is the key, other metadata the headers. */
export function toKafkaRecord(data: Uint8Array, metadata: Readonly<Record<string, string>>, maxMessageBytes = 0): KafkaRecord {
  if (maxMessageBytes > 0 && data.byteLength > maxMessageBytes) {
    throw new PubSubError('bad-request', `kafka pub/sub: message of ${data.byteLength} bytes exceeds maxMessageBytes (${maxMessageBytes})`);
  }
  let key: string | undefined;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if ((KEY_METADATA as readonly string[]).includes(k)) {
      if (v !== '' && (key === undefined || k === 'partitionKey')) key = v;
    } else {
      headers[k] = v;
    }
  }
  return {
    ...(key !== undefined ? { key } : {}),
    value: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    headers,
  };
}

export interface ConsumedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly offset: string;
  readonly headers?: Readonly<Record<string, Buffer | string | ReadonlyArray<Buffer | string> | undefined>>;
}

export interface ToMessageOptions {
  readonly escapeHeaders?: boolean;
  readonly excludeHeaderMetaRegex?: RegExp;
}

/**
 * Kafka record -> PubSubMessage: headers as metadata plus `__key`, `__topic`, `__partition`,
 * `__offset` and `__timestamp` (ms), as Dapr delivers them. A null value (tombstone) is delivered
 * as the bytes `null`, as Dapr does.
 */
export function toPubSubMessage(topic: string, partition: number, record: ConsumedRecord, opts: ToMessageOptions = {}): PubSubMessage {
  const esc = (s: string): string => (opts.escapeHeaders ? goQueryEscape(s) : s);
  const metadata: Record<string, string> = {};
  for (const [k, raw] of Object.entries(record.headers ?? {})) {
    if (raw === undefined) continue;
    if (opts.excludeHeaderMetaRegex?.test(k)) continue;
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (last === undefined) continue;
    metadata[k] = esc(typeof last === 'string' ? last : Buffer.from(last as Buffer).toString('utf8'));
  }
  if (record.key !== null && record.key !== undefined) metadata['__key'] = esc(record.key.toString('utf8'));
  metadata['__topic'] = topic;
  metadata['__partition'] = String(partition);
  metadata['__offset'] = record.offset;
  metadata['__timestamp'] = record.timestamp;
  return { topic, data: record.value ?? Buffer.from('null'), metadata };
}

/** Go's url.QueryEscape: everything but [A-Za-z0-9-_.~] percent-encoded, space as '+'. */
export function goQueryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Client config

export interface KafkaClientConfig {
  readonly clientId: string;
  readonly brokers: string[];
  readonly ssl?: { ca?: string[]; cert?: string; key?: string; rejectUnauthorized: boolean } | false;
  readonly sasl?: SaslConfig;
}

/** Settings -> the kafkajs client options (brokers, TLS, SASL). */
export function kafkaClientConfig(s: KafkaSettings): KafkaClientConfig {
  return {
    clientId: s.clientId,
    brokers: [...s.brokers],
    ssl: s.tls
      ? {
          ...(s.tls.ca !== undefined ? { ca: [s.tls.ca] } : {}),
          ...(s.tls.cert !== undefined ? { cert: s.tls.cert } : {}),
          ...(s.tls.key !== undefined ? { key: s.tls.key } : {}),
          rejectUnauthorized: s.tls.rejectUnauthorized,
        }
      : false,
    ...(s.sasl ? { sasl: saslConfig(s.sasl.mechanism, s.sasl.username, s.sasl.password) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Range assignment

/**
 * Kafka's range assignment, per topic among the members that subscribe it (kafkajs's only
 * built-in assignor, round-robin, hands a member partitions of topics it did not subscribe, which
 * breaks one consumer per subscription when a group subscribes several topics). Members sorted by
 * id; each gets a contiguous run of partitions, the first `partitions % members` one extra.
 */
export function rangeAssign(
  members: ReadonlyArray<{ readonly memberId: string; readonly topics: readonly string[] }>,
  partitionsByTopic: Readonly<Record<string, readonly number[]>>,
): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const m of members) out[m.memberId] = {};
  for (const [topic, partitionList] of Object.entries(partitionsByTopic)) {
    const consumers = members
      .filter((m) => m.topics.includes(topic))
      .map((m) => m.memberId)
      .sort();
    if (consumers.length === 0) continue;
    const partitions = [...partitionList].sort((a, b) => a - b);
    const per = Math.floor(partitions.length / consumers.length);
    const extra = partitions.length % consumers.length;
    consumers.forEach((memberId, i) => {
      const start = per * i + Math.min(i, extra);
      const count = per + (i < extra ? 1 : 0);
      if (count > 0) (out[memberId] as Record<string, number[]>)[topic] = partitions.slice(start, start + count);
    });
  }
  return out;
}
