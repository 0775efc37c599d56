import { ComponentConfigError, clientTlsProps, redactUrl } from './component';
import type { ComponentMetadata } from './component';

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'c', type: 't', version: 'v1', appId: 'app', properties });

describe('clientTlsProps', () => {
  it('reads caCert, clientCert and clientKey, leaving blank ones unset', () => {
    expect(clientTlsProps(meta({}))).toEqual({});
    expect(clientTlsProps(meta({ caCert: 'CA', clientCert: ' ', clientKey: '' }))).toEqual({ ca: 'CA' });
    expect(clientTlsProps(meta({ CACERT: 'CA', clientCert: 'CERT', clientKey: 'KEY' }))).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY' });
  });

  it('wants the certificate and its key together, naming the missing one', () => {
    const fieldOf = (p: Record<string, string>): string | undefined => {
      try {
        clientTlsProps(meta(p));
      } catch (e) {
        expect(e).toBeInstanceOf(ComponentConfigError);
        return (e as ComponentConfigError).field;
      }
      return undefined;
    };
    expect(fieldOf({ clientKey: 'KEY' })).toBe('clientCert');
    expect(fieldOf({ clientCert: 'CERT', clientKey: '  ' })).toBe('clientKey');
  });
});

describe('redactUrl', () => {
  it('hides the password, keeps the rest', () => {
    expect(redactUrl('amqp://guest:guest@127.0.0.1:5672/vh?heartbeat=10')).toBe('amqp://guest:***@127.0.0.1:5672/vh?heartbeat=10');
    expect(redactUrl('tcp://u:secret@h:1883')).toBe('tcp://u:***@h:1883');
    expect(redactUrl('tcp://h:1883')).toBe('tcp://h:1883');
    expect(redactUrl('tcp://user@h')).toBe('tcp://user@h');
  });
});
