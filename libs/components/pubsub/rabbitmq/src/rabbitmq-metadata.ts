// Component metadata of `pubsub.rabbitmq` (components.md 5.7), parsed and checked once at init,
// plus the subscription metadata a Subscription may carry (`queueName`, `routingKey`, `queueType`,
// `maxPriority`, `singleActiveConsumer`, `maxLen`, `maxLenBytes`) and the per-message publish
// metadata (`routingKey`, `ttlInSeconds`, `priority`, `messageId`, `correlationId`, `type`).
// `consumerID` is not read here: the runtime resolves it and passes it as the consumer group.
import { parseAmqpUrl } from '@tessera/common-amqp';
import { ComponentConfigError, PubSubError, boolProp, clientTlsProps, parseDuration, prop, redactUrl } from '@tessera/spi';
import type { ClientTlsProps, ComponentMetadata } from '@tessera/spi';

export type ExchangeKind = 'fanout' | 'topic';
export type ConcurrencyMode = 'parallel' | 'single';

export interface RabbitMqSettings {
  /** amqp(s) URL with credentials and `heartbeat`, as amqplib connects with it. */
  readonly url: string;
  /** The same URL with the password hidden, for messages. */
  readonly displayUrl: string;
  readonly tls: ClientTlsProps;
  readonly saslExternal: boolean;
  readonly clientName?: string;
  readonly durable: boolean;
  readonly deletedWhenUnused: boolean;
  readonly autoAck: boolean;
  /** AMQP delivery mode 0..2; 2 = persistent. */
  readonly deliveryMode: number;
  readonly requeueInFailure: boolean;
  readonly prefetchCount: number;
  /** Recorded for completeness: publishes always wait for the broker's confirm (see the component). */
  readonly publisherConfirm: boolean;
  readonly concurrencyMode: ConcurrencyMode;
  readonly enableDeadLetter: boolean;
  readonly maxLen?: number;
  readonly maxLenBytes?: number;
  readonly exchangeKind: ExchangeKind;
  /** Component-wide TTL (`ttlInSeconds`): queue `x-message-ttl` and the default per-message expiration. */
  readonly ttlMs?: number;
  readonly reconnectWaitMs: number;
  readonly heartbeatSeconds: number;
}

export const DEFAULT_RECONNECT_WAIT_MS = 3000;
export const DEFAULT_HEARTBEAT_MS = 10_000;

export function parseRabbitMqMetadata(meta: ComponentMetadata): RabbitMqSettings {
  const heartbeatMs = durationField(meta, 'heartBeat', DEFAULT_HEARTBEAT_MS);
  const { url, displayUrl } = connectionUrl(meta, Math.round(heartbeatMs / 1000));
  const deliveryMode = intField(meta, 'deliveryMode', 0);
  if (deliveryMode < 0 || deliveryMode > 2) throw new ComponentConfigError('deliveryMode', `0, 1 or 2 (2 = persistent), got ${deliveryMode}`);
  const prefetchCount = intField(meta, 'prefetchCount', 0);
  if (prefetchCount < 0 || prefetchCount > 65535) throw new ComponentConfigError('prefetchCount', `an integer in 0..65535, got ${prefetchCount}`);
  const exchangeKind = (prop(meta, 'exchangeKind') || 'fanout').trim().toLowerCase();
  if (exchangeKind !== 'fanout' && exchangeKind !== 'topic') throw new ComponentConfigError('exchangeKind', `"fanout" or "topic", got "${exchangeKind}"`);
  const concurrencyName = prop(meta, 'concurrencyMode') ? 'concurrencyMode' : 'concurrency';
  const concurrencyMode = (prop(meta, concurrencyName) || 'parallel').trim().toLowerCase();
  if (concurrencyMode !== 'parallel' && concurrencyMode !== 'single') {
    throw new ComponentConfigError(concurrencyName, `"parallel" or "single", got "${concurrencyMode}"`);
  }
  const maxLen = optionalCount(meta, 'maxLen');
  const maxLenBytes = optionalCount(meta, 'maxLenBytes');
  const ttl = prop(meta, 'ttlInSeconds');
  let ttlMs: number | undefined;
  if (ttl !== undefined && ttl.trim() !== '') {
    const ms = parseDuration(ttl);
    if (ms === undefined || ms < 0) throw new ComponentConfigError('ttlInSeconds', `a number of seconds or a duration such as "30s", got "${ttl}"`);
    if (ms > 0) ttlMs = Math.round(ms);
  }
  const reconnectName = prop(meta, 'reconnectWait') !== undefined ? 'reconnectWait' : 'reconnectWaitSeconds';
  const reconnectWaitMs = Math.max(0, durationField(meta, reconnectName, DEFAULT_RECONNECT_WAIT_MS));
  const clientName = nonEmpty(prop(meta, 'clientName'));
  const tls = clientTlsProps(meta);
  return {
    url,
    displayUrl,
    tls,
    saslExternal: boolProp(meta, 'saslExternal', false),
    ...(clientName !== undefined ? { clientName } : {}),
    durable: boolProp(meta, 'durable', false),
    deletedWhenUnused: boolProp(meta, 'deletedWhenUnused', true),
    autoAck: boolProp(meta, 'autoAck', false),
    deliveryMode,
    requeueInFailure: boolProp(meta, 'requeueInFailure', false),
    prefetchCount,
    publisherConfirm: boolProp(meta, 'publisherConfirm', false),
    concurrencyMode,
    enableDeadLetter: boolProp(meta, 'enableDeadLetter', false),
    ...(maxLen !== undefined ? { maxLen } : {}),
    ...(maxLenBytes !== undefined ? { maxLenBytes } : {}),
    exchangeKind,
    ...(ttlMs !== undefined ? { ttlMs } : {}),
    reconnectWaitMs,
    heartbeatSeconds: Math.max(0, Math.round(heartbeatMs / 1000)),
  };
}

/**
 * `connectionString` (alias `host`) or `protocol`/`hostname`/`username`/`password`. Username and
 * password given on their own replace those of the connection string. `heartbeat` is added to the
 * query unless the string already has one.
 */
function connectionUrl(meta: ComponentMetadata, heartbeatSeconds: number): { url: string; displayUrl: string } {
  const field = prop(meta, 'connectionString') ? 'connectionString' : prop(meta, 'host') ? 'host' : undefined;
  const protocol = nonEmpty(prop(meta, 'protocol'))?.toLowerCase();
  if (protocol !== undefined && protocol !== 'amqp' && protocol !== 'amqps') throw new ComponentConfigError('protocol', `"amqp" or "amqps", got "${protocol}"`);
  let u: URL;
  if (field !== undefined) {
    u = parseAmqpUrl(field, (prop(meta, field) ?? '').trim());
    const scheme = u.protocol.replace(/:$/, '').toLowerCase();
    if (protocol !== undefined && protocol !== scheme) throw new ComponentConfigError('protocol', `to match the scheme of ${field} ("${scheme}"), got "${protocol}"`);
  } else {
    const hostname = nonEmpty(prop(meta, 'hostname'));
    if (hostname === undefined) throw new ComponentConfigError('connectionString', 'a non-empty value, or "hostname" (with protocol, username, password)');
    try {
      u = new URL(`${protocol ?? 'amqp'}://${hostname}`);
    } catch {
      throw new ComponentConfigError('hostname', `a host name or host:port, got "${hostname}"`);
    }
  }
  const username = prop(meta, 'username');
  const password = prop(meta, 'password');
  if (username !== undefined && username !== '') u.username = encodeURIComponent(username);
  if (password !== undefined && password !== '') u.password = encodeURIComponent(password);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(heartbeatSeconds));
  const url = u.toString();
  return { url, displayUrl: redactUrl(url) };
}

export interface RabbitMqSubscribeOptions {
  readonly queueName: string;
  readonly routingKeys: readonly string[];
  readonly queueType: 'classic' | 'quorum';
  readonly maxPriority?: number;
  readonly singleActiveConsumer: boolean;
  readonly maxLen?: number;
  readonly maxLenBytes?: number;
}

/** Subscription metadata -> queue options; bad values are a bad request of the subscriber. */
export function parseSubscribeMetadata(
  s: RabbitMqSettings,
  topic: string,
  consumerGroup: string,
  md: Readonly<Record<string, string>>,
): RabbitMqSubscribeOptions {
  const get = (name: string): string | undefined => lookup(md, name);
  const queueName = nonEmpty(get('queueName')) ?? `${consumerGroup}-${topic}`;
  // Dapr binds one key per comma-separated entry; "a,b," binds "a", "b" and "".
  const routingKeys = (get('routingKey') ?? '').split(',');
  const queueType = (get('queueType') || 'classic').trim().toLowerCase();
  if (queueType !== 'classic' && queueType !== 'quorum') throw badRequest(`queueType must be "classic" or "quorum", got "${queueType}"`);
  const maxPriority = optionalUint(get('maxPriority'), 'maxPriority');
  const maxLen = optionalUint(get('maxLen'), 'maxLen') ?? s.maxLen;
  const maxLenBytes = optionalUint(get('maxLenBytes'), 'maxLenBytes') ?? s.maxLenBytes;
  const sac = get('singleActiveConsumer');
  return {
    queueName,
    routingKeys,
    queueType,
    ...(maxPriority !== undefined ? { maxPriority: Math.min(255, maxPriority) } : {}),
    singleActiveConsumer: sac !== undefined && ['true', '1', 'yes', 'y', 'on'].includes(sac.trim().toLowerCase()),
    ...(maxLen !== undefined ? { maxLen } : {}),
    ...(maxLenBytes !== undefined ? { maxLenBytes } : {}),
  };
}

/** AMQP queue arguments of the main queue (Dapr's layout: classic queue type unless asked). */
export function queueArguments(s: RabbitMqSettings, o: RabbitMqSubscribeOptions): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (s.enableDeadLetter) args['x-dead-letter-exchange'] = deadLetterExchange(o.queueName);
  if (o.maxLen !== undefined) args['x-max-length'] = o.maxLen;
  if (o.maxLenBytes !== undefined) args['x-max-length-bytes'] = o.maxLenBytes;
  if (s.ttlMs !== undefined) args['x-message-ttl'] = s.ttlMs;
  if (o.maxPriority !== undefined) args['x-max-priority'] = o.maxPriority;
  if (o.singleActiveConsumer) args['x-single-active-consumer'] = true;
  args['x-queue-type'] = o.queueType;
  return args;
}

/** Arguments of the dead-letter queue: the same length limits, lazy mode (kept on disk). */
export function deadLetterQueueArguments(s: RabbitMqSettings): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (s.maxLen !== undefined) args['x-max-length'] = s.maxLen;
  if (s.maxLenBytes !== undefined) args['x-max-length-bytes'] = s.maxLenBytes;
  args['x-queue-mode'] = 'lazy';
  return args;
}

export const deadLetterExchange = (queue: string): string => `dlx-${queue}`;
export const deadLetterQueue = (queue: string): string => `dlq-${queue}`;

export interface RabbitMqPublishOptions {
  readonly routingKey: string;
  readonly expiration?: string;
  readonly priority?: number;
  readonly messageId?: string;
  readonly correlationId?: string;
  readonly type?: string;
}

/** Publish metadata -> AMQP properties. `ttlInSeconds` falls back to the component's TTL. */
export function parsePublishMetadata(s: RabbitMqSettings, md: Readonly<Record<string, string>>): RabbitMqPublishOptions {
  const get = (name: string): string | undefined => nonEmpty(lookup(md, name));
  const ttl = get('ttlInSeconds');
  let expiration: string | undefined;
  if (ttl !== undefined) {
    const n = Number(ttl);
    if (!Number.isInteger(n) || n < 0) throw badRequest(`metadata ttlInSeconds must be a non-negative integer, got "${ttl}"`);
    expiration = String(n * 1000);
  } else if (s.ttlMs !== undefined) {
    expiration = String(s.ttlMs);
  }
  const p = get('priority');
  let priority: number | undefined;
  if (p !== undefined) {
    priority = Number(p);
    if (!Number.isInteger(priority) || priority < 0 || priority > 255) throw badRequest(`metadata priority must be an integer in 0..255, got "${p}"`);
  }
  const messageId = get('messageId');
  const correlationId = get('correlationId');
  const type = get('type');
  return {
    routingKey: get('routingKey') ?? '',
    ...(expiration !== undefined ? { expiration } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(messageId !== undefined ? { messageId } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(type !== undefined ? { type } : {}),
  };
}

/** AMQP header values (strings, numbers, buffers, nested tables) as metadata strings. */
export function headersToMetadata(headers: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') out[k] = v;
    else if (Buffer.isBuffer(v)) out[k] = v.toString('utf8');
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out[k] = String(v);
    else out[k] = JSON.stringify(v, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
  }
  return out;
}

function lookup(md: Readonly<Record<string, string>>, name: string): string | undefined {
  if (md[name] !== undefined) return md[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(md)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function badRequest(message: string): PubSubError {
  return new PubSubError('bad-request', `rabbitmq pub/sub: ${message}`);
}

function optionalUint(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`subscription metadata ${name} must be a non-negative integer, got "${v}"`);
  return n;
}

function intField(meta: ComponentMetadata, name: string, fallback: number): number {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ComponentConfigError(name, `an integer, got "${v}"`);
  return n;
}

function optionalCount(meta: ComponentMetadata, name: string): number | undefined {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ComponentConfigError(name, `a non-negative integer, got "${v}"`);
  return n;
}

function durationField(meta: ComponentMetadata, name: string, fallbackMs: number): number {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return fallbackMs;
  const ms = parseDuration(v);
  if (ms === undefined) throw new ComponentConfigError(name, `a duration such as "3s" (a bare number means seconds), got "${v}"`);
  return ms;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
