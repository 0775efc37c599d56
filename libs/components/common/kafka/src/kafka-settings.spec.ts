import { ComponentConfigError } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';
import { parseInitialOffset, parseKafkaAuthType, parseKafkaBrokers, requiredAcks, saslConfig, saslMechanism } from './kafka-settings';

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'k', type: 'pubsub.kafka', version: 'v1', appId: 'app', properties });

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ComponentConfigError);
    return (e as ComponentConfigError).field;
  }
  return undefined;
}

describe('common Kafka metadata', () => {
  it('reads brokers as host:port entries', () => {
    expect(parseKafkaBrokers(meta({ brokers: ' a:9092, [::1]:9093 ,' }))).toEqual(['a:9092', '[::1]:9093']);
    expect(fieldOf(() => parseKafkaBrokers(meta({})))).toBe('brokers');
    expect(fieldOf(() => parseKafkaBrokers(meta({ brokers: ' , ' })))).toBe('brokers');
    expect(fieldOf(() => parseKafkaBrokers(meta({ brokers: 'a:1,nohostport' })))).toBe('brokers');
  });

  it('reads authType, upgrading the deprecated authRequired', () => {
    expect(parseKafkaAuthType(meta({ authType: ' MTLS ' }))).toBe('mtls');
    expect(parseKafkaAuthType(meta({ authRequired: 'true' }))).toBe('password');
    expect(parseKafkaAuthType(meta({ authRequired: 'false' }))).toBe('none');
    for (const authType of [undefined, '', 'kerberos', 'oidc', 'awsiam']) {
      expect(fieldOf(() => parseKafkaAuthType(meta(authType === undefined ? {} : { authType })))).toBe('authType');
    }
    expect(() => parseKafkaAuthType(meta({ authType: 'oidc' }))).toThrow(/not supported/);
  });

  it('maps Dapr SASL mechanism spellings to kafkajs mechanisms', () => {
    for (const v of [undefined, '', 'PLAINTEXT', 'plain']) expect(saslMechanism(v)).toBe('plain');
    for (const v of ['SHA-256', 'sha256', 'SCRAM-SHA-256', 'SCRAM_SHA_256']) expect(saslMechanism(v)).toBe('scram-sha-256');
    for (const v of ['SHA-512', 'SCRAM-SHA-512']) expect(saslMechanism(v)).toBe('scram-sha-512');
    expect(fieldOf(() => saslMechanism('GSSAPI'))).toBe('saslMechanism');
    expect(saslConfig('scram-sha-512', 'u', 'p')).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  });

  it('maps producerRequiredAcks and initialOffset', () => {
    expect([undefined, '', 'all', 'WaitForAll', '-1'].map(requiredAcks)).toEqual([-1, -1, -1, -1, -1]);
    expect(['local', 'one', 'leader', '1'].map(requiredAcks)).toEqual([1, 1, 1, 1]);
    expect(['none', 'NoResponse', '0'].map(requiredAcks)).toEqual([0, 0, 0]);
    expect(fieldOf(() => requiredAcks('most'))).toBe('producerRequiredAcks');
    expect(parseInitialOffset(meta({}))).toBe('newest');
    expect(parseInitialOffset(meta({ initialOffset: 'Oldest' }))).toBe('oldest');
    expect(fieldOf(() => parseInitialOffset(meta({ initialOffset: 'latest' })))).toBe('initialOffset');
  });
});
