import { ComponentConfigError } from '@tessera/spi';
import { amqpSocketOptions, parseAmqpUrl } from './amqp-connection';

describe('common AMQP connection', () => {
  it('accepts amqp:// and amqps:// URLs in any case', () => {
    expect(parseAmqpUrl('host', 'amqp://guest:guest@127.0.0.1:5672/vh').hostname).toBe('127.0.0.1');
    expect(parseAmqpUrl('host', 'AMQPS://h').protocol).toBe('amqps:');
  });

  it('refuses other URLs naming the field, without the password', () => {
    for (const raw of ['http://h', 'not a url', '', 'amqp']) {
      let err: unknown;
      try {
        parseAmqpUrl('connectionString', raw);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ComponentConfigError);
      expect((err as ComponentConfigError).field).toBe('connectionString');
    }
    expect(() => parseAmqpUrl('host', 'amqp//u:secret@h')).toThrow(/^(?!.*secret)/);
  });

  it('builds socket options from TLS material, name, timeout and SASL EXTERNAL', () => {
    expect(amqpSocketOptions({})).toEqual({ clientProperties: {} });
    const o = amqpSocketOptions({ ca: 'CA', cert: 'C', key: 'K' }, { connectionName: 'n', timeoutMs: 500, saslExternal: true });
    expect(o).toMatchObject({ timeout: 500, clientProperties: { connection_name: 'n' }, ca: ['CA'], cert: 'C', key: 'K' });
    expect(o.credentials?.mechanism).toBe('EXTERNAL');
  });
});
