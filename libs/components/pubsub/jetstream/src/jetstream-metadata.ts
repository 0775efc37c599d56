// Component metadata of `pubsub.jetstream` (components.md 5.9), parsed and checked once at init.
// Push-consumer tuning that has no meaning for the pull consumers Tessera uses (`rateLimit`,
// `heartbeat`, `flowControl`) is accepted and ignored. `autoCreateStream` is Tessera's own
// (Dapr requires the stream to exist): see jetstream-pubsub.ts for what it creates.
import { ComponentConfigError, boolProp, intProp, parseDuration, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export type JetStreamDeliverPolicy = 'all' | 'last' | 'new' | 'by_start_sequence' | 'by_start_time' | 'last_per_subject';

export interface JetStreamSettings {
  /** Server URLs without credentials (comma list in `natsURL`). */
  readonly servers: string[];
  /** User and password taken from the URL (`nats://user:pass@host:4222`). */
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  readonly jwt?: string;
  readonly seedKey?: string;
  readonly tlsClientCert?: string;
  readonly tlsClientKey?: string;
  /** `name`: connection name shown by the server. */
  readonly connectionName?: string;
  readonly streamName?: string;
  readonly autoCreateStream: boolean;
  readonly durableName?: string;
  readonly queueGroupName?: string;
  readonly deliverPolicy: JetStreamDeliverPolicy;
  readonly startSequence?: number;
  /** ISO time for `startTime` (Unix seconds in the metadata). */
  readonly startTime?: string;
  readonly ackWaitMs?: number;
  /** Undefined = the server's default (unlimited). */
  readonly maxDeliver?: number;
  readonly backOffMs: number[];
  readonly maxAckPending?: number;
  readonly replicas?: number;
  readonly memoryStorage: boolean;
  /** `single`: one handler at a time per subscription; `parallel`: many. */
  readonly concurrency: 'single' | 'parallel';
  readonly domain?: string;
  readonly apiPrefix?: string;
}

const DELIVER_POLICIES: Readonly<Record<string, JetStreamDeliverPolicy>> = {
  all: 'all',
  last: 'last',
  new: 'new',
  sequence: 'by_start_sequence',
  by_start_sequence: 'by_start_sequence',
  time: 'by_start_time',
  by_start_time: 'by_start_time',
  lastpersubject: 'last_per_subject',
  last_per_subject: 'last_per_subject',
};

export function parseJetStreamMetadata(meta: ComponentMetadata): JetStreamSettings {
  const { servers, user, pass, token: urlToken } = parseNatsUrl(requiredProp(meta, 'natsURL'));
  const jwt = nonEmpty(prop(meta, 'jwt'));
  const seedKey = nonEmpty(prop(meta, 'seedKey'));
  if ((jwt === undefined) !== (seedKey === undefined)) {
    throw new ComponentConfigError(jwt === undefined ? 'jwt' : 'seedKey', 'both "jwt" and "seedKey" for decentralized JWT authentication');
  }
  const tlsClientCert = nonEmpty(prop(meta, 'tls_client_cert'));
  const tlsClientKey = nonEmpty(prop(meta, 'tls_client_key'));
  if ((tlsClientCert === undefined) !== (tlsClientKey === undefined)) {
    throw new ComponentConfigError(tlsClientCert === undefined ? 'tls_client_cert' : 'tls_client_key', 'both "tls_client_cert" and "tls_client_key" for TLS client authentication');
  }

  const policyText = (prop(meta, 'deliverPolicy') ?? '').trim().toLowerCase();
  const deliverPolicy = policyText === '' ? 'all' : DELIVER_POLICIES[policyText];
  if (deliverPolicy === undefined) {
    throw new ComponentConfigError('deliverPolicy', `one of all, last, new, sequence, time, lastPerSubject; got "${policyText}"`);
  }
  const startSequence = optionalInt(meta, 'startSequence');
  if (deliverPolicy === 'by_start_sequence' && (startSequence === undefined || startSequence < 1)) {
    throw new ComponentConfigError('startSequence', 'a stream sequence >= 1 (deliverPolicy is "sequence")');
  }
  const startSeconds = optionalInt(meta, 'startTime');
  if (deliverPolicy === 'by_start_time' && startSeconds === undefined) {
    throw new ComponentConfigError('startTime', 'a Unix time in seconds (deliverPolicy is "time")');
  }

  const ackPolicy = (prop(meta, 'ackPolicy') ?? '').trim().toLowerCase();
  if (ackPolicy !== '' && ackPolicy !== 'explicit') {
    throw new ComponentConfigError('ackPolicy', `"explicit": each message is acknowledged after its handler, got "${ackPolicy}"`);
  }
  const concurrencyText = (prop(meta, 'concurrency') ?? '').trim().toLowerCase();
  if (concurrencyText !== '' && concurrencyText !== 'single' && concurrencyText !== 'parallel') {
    throw new ComponentConfigError('concurrency', `"single" or "parallel", got "${concurrencyText}"`);
  }

  const ackWaitMs = optionalDuration(meta, 'ackWait');
  if (ackWaitMs !== undefined && ackWaitMs <= 0) throw new ComponentConfigError('ackWait', 'a positive duration');
  const maxDeliver = optionalInt(meta, 'maxDeliver');
  const maxAckPending = optionalInt(meta, 'maxAckPending');
  const replicas = optionalInt(meta, 'replicas');
  if (replicas !== undefined && replicas < 0) throw new ComponentConfigError('replicas', `an integer >= 0, got ${replicas}`);
  const backOffMs = parseBackOff(prop(meta, 'backOff'));
  if (backOffMs.length > 0 && maxDeliver !== undefined && maxDeliver > 0 && maxDeliver <= backOffMs.length) {
    throw new ComponentConfigError('maxDeliver', `more deliveries than backOff has steps (${backOffMs.length}), got ${maxDeliver}`);
  }

  const connectionName = nonEmpty(prop(meta, 'name'));
  const token = nonEmpty(prop(meta, 'token')) ?? urlToken;
  const streamName = nonEmpty(prop(meta, 'streamName'));
  const durableName = nonEmpty(prop(meta, 'durableName'));
  const queueGroupName = nonEmpty(prop(meta, 'queueGroupName'));
  const domain = nonEmpty(prop(meta, 'domain'));
  const apiPrefix = nonEmpty(prop(meta, 'apiPrefix'));
  if (streamName !== undefined && !validName(streamName)) {
    throw new ComponentConfigError('streamName', `a stream name without spaces, ".", "*", ">", "/" or "\\", got "${streamName}"`);
  }
  return {
    servers,
    ...(user !== undefined ? { user } : {}),
    ...(pass !== undefined ? { pass } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(jwt !== undefined ? { jwt } : {}),
    ...(seedKey !== undefined ? { seedKey } : {}),
    ...(tlsClientCert !== undefined ? { tlsClientCert } : {}),
    ...(tlsClientKey !== undefined ? { tlsClientKey } : {}),
    ...(connectionName !== undefined ? { connectionName } : {}),
    ...(streamName !== undefined ? { streamName } : {}),
    autoCreateStream: boolProp(meta, 'autoCreateStream', true),
    ...(durableName !== undefined ? { durableName } : {}),
    ...(queueGroupName !== undefined ? { queueGroupName } : {}),
    deliverPolicy,
    ...(deliverPolicy === 'by_start_sequence' ? { startSequence } : {}),
    ...(deliverPolicy === 'by_start_time' && startSeconds !== undefined ? { startTime: new Date(startSeconds * 1000).toISOString() } : {}),
    ...(ackWaitMs !== undefined ? { ackWaitMs } : {}),
    ...(maxDeliver !== undefined && maxDeliver > 0 ? { maxDeliver } : {}),
    backOffMs,
    ...(maxAckPending !== undefined && maxAckPending > 0 ? { maxAckPending } : {}),
    ...(replicas !== undefined && replicas > 0 ? { replicas } : {}),
    memoryStorage: boolProp(meta, 'memoryStorage', false),
    concurrency: concurrencyText === 'single' ? 'single' : 'parallel',
    ...(domain !== undefined ? { domain } : {}),
    ...(apiPrefix !== undefined ? { apiPrefix } : {}),
  };
}

/**
 * `nats://[user:pass@]host:port[,nats://host2:port]`; credentials are lifted out of the URLs (a
 * user part without a password is a token, as in the Go client).
 */
function parseNatsUrl(value: string): { servers: string[]; user?: string; pass?: string; token?: string } {
  const servers: string[] = [];
  const creds: { user?: string; pass?: string; token?: string } = {};
  for (const raw of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `nats://${raw}`;
    let u: URL;
    try {
      u = new URL(withScheme);
    } catch {
      throw new ComponentConfigError('natsURL', `a URL such as "nats://localhost:4222", got "${raw}"`);
    }
    if (!['nats:', 'tls:', 'ws:', 'wss:'].includes(u.protocol) || u.hostname === '') {
      throw new ComponentConfigError('natsURL', `a nats://, tls://, ws:// or wss:// URL with a host, got "${raw}"`);
    }
    if (u.username !== '' && u.password !== '') {
      creds.user = decodeURIComponent(u.username);
      creds.pass = decodeURIComponent(u.password);
    } else if (u.username !== '') {
      creds.token = decodeURIComponent(u.username);
    }
    servers.push(`${u.protocol}//${u.host}`);
  }
  if (servers.length === 0) throw new ComponentConfigError('natsURL', 'at least one server URL');
  return { servers, ...creds };
}

function parseBackOff(value: string | undefined): number[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((part) => {
    const ms = parseDuration(part.trim());
    if (ms === undefined || ms <= 0) throw new ComponentConfigError('backOff', `a comma list of positive durations such as "50ms, 1s, 10s", got "${value}"`);
    return ms;
  });
}

function optionalInt(meta: ComponentMetadata, name: string): number | undefined {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return undefined;
  return intProp(meta, name, 0);
}

function optionalDuration(meta: ComponentMetadata, name: string): number | undefined {
  const v = prop(meta, name);
  if (v === undefined || v.trim() === '') return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) throw new ComponentConfigError(name, `a duration such as "10s" or "500ms", got "${v}"`);
  return ms;
}

/** Stream and consumer names: no whitespace, `.`, `*`, `>`, path separators. */
export function validName(name: string): boolean {
  return name !== '' && !/[\s.*>/\\]/.test(name);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}
