import { ComponentConfigError } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';
import { parseKafkaAuthType } from './kafka-settings';
import { parseKafkaTls } from './kafka-tls';

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'k', type: 'pubsub.kafka', version: 'v1', appId: 'app', properties });
const tlsOf = (properties: Record<string, string>): ReturnType<typeof parseKafkaTls> => {
  const m = meta(properties);
  return parseKafkaTls(m, parseKafkaAuthType(m));
};

function fieldOf(properties: Record<string, string>): string | undefined {
  try {
    tlsOf(properties);
  } catch (e) {
    expect(e).toBeInstanceOf(ComponentConfigError);
    return (e as ComponentConfigError).field;
  }
  return undefined;
}

const password = { authType: 'password', saslUsername: 'u', saslPassword: 'p' };
const mtls = { authType: 'mtls', clientCert: 'CERT', clientKey: 'KEY' };

describe('Kafka TLS (Dapr: off with disableTls or authType none, on otherwise)', () => {
  it('uses plain TCP for authType none, even with a CA or skipVerify', () => {
    expect(tlsOf({ authType: 'none' })).toBeUndefined();
    expect(tlsOf({ authType: 'none', caCert: 'CA', skipVerify: 'true' })).toBeUndefined();
    expect(tlsOf({ authRequired: 'false' })).toBeUndefined();
  });

  it('uses TLS verified by the system roots for password without a CA', () => {
    expect(tlsOf(password)).toEqual({ rejectUnauthorized: true });
    expect(tlsOf({ ...password, disableTls: 'false' })).toEqual({ rejectUnauthorized: true });
    expect(tlsOf({ authRequired: 'true', saslUsername: 'u', saslPassword: 'p' })).toEqual({ rejectUnauthorized: true });
  });

  it('uses plain TCP for password with disableTls', () => {
    expect(tlsOf({ ...password, disableTls: 'true' })).toBeUndefined();
    expect(tlsOf({ ...password, caCert: 'CA', disableTls: 'TRUE' })).toBeUndefined();
  });

  it('presents the client certificate for mtls, with the CA when given', () => {
    expect(tlsOf(mtls)).toEqual({ cert: 'CERT', key: 'KEY', rejectUnauthorized: true });
    expect(tlsOf({ ...mtls, caCert: 'CA' })).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: true });
  });

  it('refuses mtls with disableTls, mtls without a client certificate and certificate without a CA', () => {
    expect(fieldOf({ ...mtls, disableTls: 'true' })).toBe('disableTls');
    expect(() => tlsOf({ ...mtls, disableTls: 'true' })).toThrow(/mtls/);
    expect(fieldOf({ authType: 'mtls' })).toBe('clientCert');
    expect(fieldOf({ authType: 'mtls', clientCert: 'CERT' })).toBe('clientKey');
    expect(fieldOf({ authType: 'certificate' })).toBe('caCert');
  });

  it('verifies the broker with the CA for certificate', () => {
    expect(tlsOf({ authType: 'certificate', caCert: 'CA' })).toEqual({ ca: 'CA', rejectUnauthorized: true });
  });

  it('skips verification with skipVerify', () => {
    expect(tlsOf({ ...password, skipVerify: 'true' })).toEqual({ rejectUnauthorized: false });
    expect(tlsOf({ ...mtls, caCert: 'CA', skipVerify: 'true' })).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: false });
  });
});
