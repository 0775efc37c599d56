import { isSecretName, redact, redactUrlCredentials } from './redact';

describe('redact', () => {
  it('recognizes secret field names', () => {
    for (const n of ['redisPassword', 'password', 'PASSWORD', 'token', 'dapr-api-token', 'clientSecret', 'connectionString', 'connection_string', 'apiKey', 'accessKey', 'privateKey', 'Authorization', 'credentials']) {
      expect([n, isSecretName(n)]).toEqual([n, true]);
    }
    for (const n of ['redisHost', 'keyPrefix', 'authType', 'secretKeyRef', 'secretStore', 'name', 'queueName']) {
      expect([n, isSecretName(n)]).toEqual([n, false]);
    }
  });

  it('masks secret fields deeply without touching the input', () => {
    const input = {
      redisHost: 'localhost:6379',
      redisPassword: 'hunter2',
      nested: { token: 'abc', list: [{ clientSecret: 's' }] },
      secretKeyRef: { name: 'redis', key: 'password' },
      empty: { password: '' },
    };
    const out = redact(input);
    expect(out).toEqual({
      redisHost: 'localhost:6379',
      redisPassword: '***',
      nested: { token: '***', list: [{ clientSecret: '***' }] },
      secretKeyRef: { name: 'redis', key: 'password' },
      empty: { password: '' },
    });
    expect(input.redisPassword).toBe('hunter2');
  });

  it('masks values of {name, value} metadata entries with secret names', () => {
    expect(
      redact([
        { name: 'redisPassword', value: 'p' },
        { name: 'redisHost', value: 'h' },
      ]),
    ).toEqual([
      { name: 'redisPassword', value: '***' },
      { name: 'redisHost', value: 'h' },
    ]);
  });

  it('masks URL passwords and extra names', () => {
    expect(redactUrlCredentials('amqp://guest:guest@localhost:5672')).toBe('amqp://guest:***@localhost:5672');
    expect(redactUrlCredentials('see postgres://u:p%40ss@db/x and tcp://h:1883')).toBe('see postgres://u:***@db/x and tcp://h:1883');
    expect(redact({ url: 'tcp://u:p@h:1883', mySalt: 'x' }, ['mysalt'])).toEqual({ url: 'tcp://u:***@h:1883', mySalt: '***' });
  });
});
