// The Kafka connection metadata `pubsub.kafka` and `bindings.kafka` share (components.md 5.6; the
// binding reads "other Kafka fields as 5.6", 5.20): brokers, authType (with the deprecated
// authRequired), SASL mechanism, producerRequiredAcks and initialOffset; TLS is in kafka-tls.ts.
// Pure parsing into plain values that the components turn into kafkajs options; nothing here
// imports kafkajs.
import { ComponentConfigError, boolProp, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export type KafkaAuthType = 'none' | 'password' | 'mtls' | 'certificate';
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** kafkajs's SASL options for the mechanisms Tessera supports. */
export type SaslConfig = { [M in SaslMechanism]: { mechanism: M; username: string; password: string } }[SaslMechanism];

/** Dapr's authType values Tessera knows of but does not implement. */
const UNSUPPORTED_AUTH_TYPES = ['oidc', 'oidc_private_key_jwt', 'awsiam'];

/** `brokers`: a comma-separated list of host:port (IPv6 hosts in brackets). */
export function parseKafkaBrokers(meta: ComponentMetadata): string[] {
  const brokers = requiredProp(meta, 'brokers')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) throw new ComponentConfigError('brokers', 'a comma-separated list of host:port');
  for (const b of brokers) {
    if (!/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(b)) throw new ComponentConfigError('brokers', `host:port entries, got "${b}"`);
  }
  return brokers;
}

/** `authType` (required), or the deprecated `authRequired` (true = SASL password) when it is absent. */
export function parseKafkaAuthType(meta: ComponentMetadata): KafkaAuthType {
  const raw = prop(meta, 'authType');
  if (raw === undefined || raw.trim() === '') {
    const authRequired = prop(meta, 'authRequired');
    if (authRequired !== undefined && authRequired.trim() !== '') return boolProp(meta, 'authRequired', false) ? 'password' : 'none';
    throw new ComponentConfigError('authType', '"none", "password", "mtls" or "certificate" (it is required)');
  }
  const t = raw.trim().toLowerCase();
  if (t === 'none' || t === 'password' || t === 'mtls' || t === 'certificate') return t;
  if (UNSUPPORTED_AUTH_TYPES.includes(t)) throw new ComponentConfigError('authType', `"none", "password", "mtls" or "certificate": "${t}" is not supported by Tessera's Kafka components`);
  throw new ComponentConfigError('authType', `"none", "password", "mtls" or "certificate", got "${raw}"`);
}

/** `saslMechanism`: Dapr's spellings (`PLAINTEXT`, `SHA-256`, `SHA-512`) and the SASL names, any case, `-`/`_` optional. */
export function saslMechanism(value: string | undefined): SaslMechanism {
  const v = (value ?? '').trim().toUpperCase().replace(/[-_]/g, '');
  if (v === '' || v === 'PLAINTEXT' || v === 'PLAIN') return 'plain';
  if (v === 'SHA256' || v === 'SCRAMSHA256') return 'scram-sha-256';
  if (v === 'SHA512' || v === 'SCRAMSHA512') return 'scram-sha-512';
  throw new ComponentConfigError('saslMechanism', `"PLAINTEXT", "SHA-256" or "SHA-512", got "${value}"`);
}

export function saslConfig(mechanism: SaslMechanism, username: string, password: string): SaslConfig {
  switch (mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/** `producerRequiredAcks` as kafkajs `acks`: -1 all (default), 1 leader, 0 none. */
export function requiredAcks(value: string | undefined): -1 | 0 | 1 {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'all' || v === '-1' || v === 'waitforall') return -1;
  if (v === 'one' || v === 'local' || v === '1' || v === 'leader' || v === 'waitforlocal') return 1;
  if (v === 'none' || v === '0' || v === 'noresponse') return 0;
  throw new ComponentConfigError('producerRequiredAcks', `"all", "local" (leader only) or "none", got "${value}"`);
}

/** `initialOffset`: where a new consumer group starts, `newest` (default) or `oldest`. */
export function parseInitialOffset(meta: ComponentMetadata): 'newest' | 'oldest' {
  const v = (prop(meta, 'initialOffset') || 'newest').trim().toLowerCase();
  if (v !== 'newest' && v !== 'oldest') throw new ComponentConfigError('initialOffset', `"newest" or "oldest", got "${v}"`);
  return v;
}
