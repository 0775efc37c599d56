// Component metadata of `bindings.rabbitmq` v1 (components.md 5.21), parsed once at init, and
// the per-request publish options (`ttlInSeconds`, `priority`, `contentType`), kept pure for tests.
import { parseAmqpUrl } from '@tessera/common-amqp';
import { ComponentConfigError, boolProp, clientTlsProps, intProp, prop, requiredProp } from '@tessera/spi';
import type { ClientTlsProps, ComponentMetadata } from '@tessera/spi';

export interface RabbitMqBindingSettings {
  readonly url: string;
  readonly queueName: string;
  readonly durable: boolean;
  readonly deleteWhenUnused: boolean;
  readonly exclusive: boolean;
  /** Queue message TTL (`ttlInSeconds`), milliseconds. */
  readonly queueTtlMs?: number;
  readonly prefetchCount: number;
  readonly maxPriority?: number;
  readonly contentType: string;
  readonly reconnectWaitMs: number;
  readonly tls: ClientTlsProps;
}

export function parseRabbitMqBindingMetadata(meta: ComponentMetadata): RabbitMqBindingSettings {
  const url = requiredProp(meta, 'host').trim();
  parseAmqpUrl('host', url);
  const queueName = requiredProp(meta, 'queueName');
  const ttl = intProp(meta, 'ttlInSeconds', -1);
  if (prop(meta, 'ttlInSeconds') !== undefined && prop(meta, 'ttlInSeconds') !== '' && ttl < 0) {
    throw new ComponentConfigError('ttlInSeconds', `seconds >= 0, got ${ttl}`);
  }
  const prefetchCount = intProp(meta, 'prefetchCount', 0);
  if (prefetchCount < 0 || prefetchCount > 65535) throw new ComponentConfigError('prefetchCount', `0..65535, got ${prefetchCount}`);
  const maxPriority = intProp(meta, 'maxPriority', -1);
  const hasPriority = prop(meta, 'maxPriority') !== undefined && prop(meta, 'maxPriority') !== '';
  if (hasPriority && (maxPriority < 0 || maxPriority > 255)) throw new ComponentConfigError('maxPriority', `0..255, got ${maxPriority}`);
  const waitText = prop(meta, 'reconnectWaitInSeconds');
  let reconnectWaitMs = 5000;
  if (waitText !== undefined && waitText.trim() !== '') {
    const n = Number(waitText);
    if (!Number.isFinite(n) || n < 0) throw new ComponentConfigError('reconnectWaitInSeconds', `seconds >= 0, got "${waitText}"`);
    reconnectWaitMs = n * 1000;
  }
  const tls = clientTlsProps(meta);
  return {
    url,
    queueName,
    durable: boolProp(meta, 'durable', false),
    deleteWhenUnused: boolProp(meta, 'deleteWhenUnused', false),
    exclusive: boolProp(meta, 'exclusive', false),
    ...(ttl >= 0 ? { queueTtlMs: ttl * 1000 } : {}),
    prefetchCount,
    ...(hasPriority ? { maxPriority } : {}),
    contentType: nonEmpty(prop(meta, 'contentType')) ?? 'text/plain',
    reconnectWaitMs,
    tls,
  };
}

export interface PublishOptions {
  readonly contentType: string;
  readonly persistent: boolean;
  readonly expiration?: string;
  readonly priority?: number;
}

/** Publish options of one `create`: per-message TTL/priority/contentType from request metadata. */
export function publishOptions(s: RabbitMqBindingSettings, metadata: Readonly<Record<string, string>>): PublishOptions {
  const ttlText = metadata['ttlInSeconds'];
  let expiration: string | undefined;
  if (ttlText !== undefined && ttlText !== '') {
    const n = Number(ttlText);
    if (!Number.isInteger(n) || n < 0) throw new Error(`metadata ttlInSeconds must be an integer >= 0, got "${ttlText}"`);
    expiration = String(n * 1000);
  }
  const prioText = metadata['priority'];
  let priority: number | undefined;
  if (prioText !== undefined && prioText !== '') {
    const n = Number(prioText);
    if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error(`metadata priority must be an integer in 0..255, got "${prioText}"`);
    priority = n;
  }
  return {
    contentType: nonEmpty(metadata['contentType']) ?? s.contentType,
    persistent: s.durable,
    ...(expiration !== undefined ? { expiration } : {}),
    ...(priority !== undefined ? { priority } : {}),
  };
}

/** The queue arguments Dapr declares: x-message-ttl and x-max-priority when configured. */
export function queueArguments(s: RabbitMqBindingSettings): Record<string, number> {
  return {
    ...(s.queueTtlMs !== undefined ? { 'x-message-ttl': s.queueTtlMs } : {}),
    ...(s.maxPriority !== undefined ? { 'x-max-priority': s.maxPriority } : {}),
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
