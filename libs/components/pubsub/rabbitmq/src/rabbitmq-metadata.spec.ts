// pubsub.rabbitmq metadata: component fields (components.md 5.7), subscription and publish metadata.
import type { ComponentMetadata } from '@tessera/spi';
import {
  deadLetterQueueArguments,
  headersToMetadata,
  parsePublishMetadata,
  parseRabbitMqMetadata,
  parseSubscribeMetadata,
  queueArguments,
} from './rabbitmq-metadata';

function meta(properties: Record<string, string>): ComponentMetadata {
  return { name: 'rabbit', type: 'pubsub.rabbitmq', version: 'v1', appId: 'app', properties };
}

const base = { connectionString: 'amqp://guest:guest@localhost:5672' };

function fieldOf(properties: Record<string, string>): string | undefined {
  try {
    parseRabbitMqMetadata(meta(properties));
  } catch (e) {
    return (e as { field?: string }).field ?? `not a config error: ${String(e)}`;
  }
  return undefined;
}

describe('pubsub.rabbitmq component metadata', () => {
  it('has Dapr defaults', () => {
    const s = parseRabbitMqMetadata(meta(base));
    expect(s).toMatchObject({
      durable: false,
      deletedWhenUnused: true,
      autoAck: false,
      deliveryMode: 0,
      requeueInFailure: false,
      prefetchCount: 0,
      publisherConfirm: false,
      concurrencyMode: 'parallel',
      enableDeadLetter: false,
      exchangeKind: 'fanout',
      reconnectWaitMs: 3000,
      heartbeatSeconds: 10,
    });
    expect(s.ttlMs).toBeUndefined();
    expect(s.maxLen).toBeUndefined();
    expect(s.url).toBe('amqp://guest:guest@localhost:5672?heartbeat=10');
    expect(s.displayUrl).toBe('amqp://guest:***@localhost:5672?heartbeat=10');
  });

  it('reads every field', () => {
    const s = parseRabbitMqMetadata(
      meta({
        ...base,
        durable: 'true',
        deletedWhenUnused: 'false',
        autoAck: 'true',
        deliveryMode: '2',
        requeueInFailure: 'true',
        prefetchCount: '7',
        publisherConfirm: 'true',
        concurrencyMode: 'single',
        enableDeadLetter: 'true',
        maxLen: '100',
        maxLenBytes: '1048576',
        exchangeKind: 'topic',
        ttlInSeconds: '60',
        reconnectWait: '500ms',
        heartBeat: '30s',
        clientName: 'tessera-test',
      }),
    );
    expect(s).toMatchObject({
      durable: true,
      deletedWhenUnused: false,
      autoAck: true,
      deliveryMode: 2,
      requeueInFailure: true,
      prefetchCount: 7,
      publisherConfirm: true,
      concurrencyMode: 'single',
      enableDeadLetter: true,
      maxLen: 100,
      maxLenBytes: 1048576,
      exchangeKind: 'topic',
      ttlMs: 60_000,
      reconnectWaitMs: 500,
      heartbeatSeconds: 30,
      clientName: 'tessera-test',
    });
  });

  it('takes reconnectWaitSeconds and concurrency as the older spellings; bare numbers are seconds', () => {
    const s = parseRabbitMqMetadata(meta({ ...base, reconnectWaitSeconds: '2', concurrency: 'single' }));
    expect(s.reconnectWaitMs).toBe(2000);
    expect(s.concurrencyMode).toBe('single');
  });

  it('builds the URL from protocol/hostname/username/password, escaping credentials', () => {
    const s = parseRabbitMqMetadata(meta({ protocol: 'amqps', hostname: 'rabbit.example:5671', username: 'me@corp', password: 'p:ss/w@rd' }));
    expect(s.url).toBe('amqps://me%40corp:p%3Ass%2Fw%40rd@rabbit.example:5671?heartbeat=10');
    expect(s.displayUrl).not.toContain('p%3Ass');
  });

  it('lets username/password replace those of the connection string, and keeps a heartbeat it already has', () => {
    const s = parseRabbitMqMetadata(meta({ connectionString: 'amqp://a:b@h/vhost?heartbeat=5', username: 'u', password: 'p' }));
    expect(s.url).toBe('amqp://u:p@h/vhost?heartbeat=5');
  });

  it('accepts the legacy `host` field as the connection string', () => {
    expect(parseRabbitMqMetadata(meta({ host: 'amqp://localhost' })).url).toBe('amqp://localhost?heartbeat=10');
  });

  it.each([
    [{}, 'connectionString'],
    [{ connectionString: 'http://localhost' }, 'connectionString'],
    [{ connectionString: 'not a url' }, 'connectionString'],
    [{ ...base, protocol: 'amqps' }, 'protocol'],
    [{ hostname: 'h', protocol: 'mqtt' }, 'protocol'],
    [{ ...base, deliveryMode: '3' }, 'deliveryMode'],
    [{ ...base, deliveryMode: 'persistent' }, 'deliveryMode'],
    [{ ...base, prefetchCount: '-1' }, 'prefetchCount'],
    [{ ...base, exchangeKind: 'direct' }, 'exchangeKind'],
    [{ ...base, concurrencyMode: 'many' }, 'concurrencyMode'],
    [{ ...base, maxLen: '-5' }, 'maxLen'],
    [{ ...base, maxLenBytes: '1.5' }, 'maxLenBytes'],
    [{ ...base, ttlInSeconds: 'soon' }, 'ttlInSeconds'],
    [{ ...base, reconnectWait: 'x' }, 'reconnectWait'],
    [{ ...base, durable: 'maybe' }, 'durable'],
    [{ ...base, clientCert: 'PEM' }, 'clientKey'],
  ])('refuses %j (field %s)', (properties, field) => {
    expect(fieldOf(properties as Record<string, string>)).toBe(field);
  });
});

describe('pubsub.rabbitmq subscription metadata', () => {
  const s = parseRabbitMqMetadata(meta({ ...base, maxLen: '10' }));

  it('names the queue <consumerGroup>-<topic> unless queueName is given, binding "" by default', () => {
    expect(parseSubscribeMetadata(s, 'orders', 'app1', {})).toMatchObject({ queueName: 'app1-orders', routingKeys: [''], queueType: 'classic', maxLen: 10 });
    expect(parseSubscribeMetadata(s, 'orders', 'app1', { queueName: 'custom' }).queueName).toBe('custom');
  });

  it('binds every routing key of a comma list, including a trailing empty one', () => {
    expect(parseSubscribeMetadata(s, 't', 'g', { routingKey: 'keyA,keyB,' }).routingKeys).toEqual(['keyA', 'keyB', '']);
  });

  it('reads queueType, maxPriority (capped at 255), singleActiveConsumer and per-subscription limits', () => {
    const o = parseSubscribeMetadata(s, 't', 'g', { queueType: 'quorum', maxPriority: '300', singleActiveConsumer: 'true', maxLen: '3', maxLenBytes: '99' });
    expect(o).toMatchObject({ queueType: 'quorum', maxPriority: 255, singleActiveConsumer: true, maxLen: 3, maxLenBytes: 99 });
  });

  it.each<Record<string, string>>([{ queueType: 'stream' }, { maxPriority: 'high' }, { maxLen: '-1' }])('refuses %j as a bad request', (md) => {
    expect(() => parseSubscribeMetadata(s, 't', 'g', md)).toThrow(expect.objectContaining({ kind: 'tessera.pubsub-error', errorKind: 'bad-request' }));
  });

  it('puts Dapr queue arguments on the main queue and the dead-letter queue', () => {
    const dl = parseRabbitMqMetadata(meta({ ...base, enableDeadLetter: 'true', maxLen: '5', maxLenBytes: '100', ttlInSeconds: '30' }));
    const o = parseSubscribeMetadata(dl, 'orders', 'app1', { maxPriority: '4' });
    expect(queueArguments(dl, o)).toEqual({
      'x-dead-letter-exchange': 'dlx-app1-orders',
      'x-max-length': 5,
      'x-max-length-bytes': 100,
      'x-message-ttl': 30_000,
      'x-max-priority': 4,
      'x-queue-type': 'classic',
    });
    expect(deadLetterQueueArguments(dl)).toEqual({ 'x-max-length': 5, 'x-max-length-bytes': 100, 'x-queue-mode': 'lazy' });
  });
});

describe('pubsub.rabbitmq publish metadata', () => {
  const s = parseRabbitMqMetadata(meta(base));

  it('maps routingKey, ttlInSeconds (ms expiration), priority and AMQP ids', () => {
    expect(parsePublishMetadata(s, { routingKey: 'k', ttlInSeconds: '5', priority: '3', messageId: 'm1', correlationId: 'c1', type: 'order' })).toEqual({
      routingKey: 'k',
      expiration: '5000',
      priority: 3,
      messageId: 'm1',
      correlationId: 'c1',
      type: 'order',
    });
    expect(parsePublishMetadata(s, {})).toEqual({ routingKey: '' });
  });

  it('falls back to the component ttlInSeconds', () => {
    const ttl = parseRabbitMqMetadata(meta({ ...base, ttlInSeconds: '2' }));
    expect(parsePublishMetadata(ttl, {}).expiration).toBe('2000');
    expect(parsePublishMetadata(ttl, { ttlInSeconds: '7' }).expiration).toBe('7000');
  });

  it.each<Record<string, string>>([{ ttlInSeconds: '-1' }, { ttlInSeconds: '1.5' }, { priority: '256' }, { priority: 'x' }])('refuses %j as a bad request', (md) => {
    expect(() => parsePublishMetadata(s, md)).toThrow(expect.objectContaining({ kind: 'tessera.pubsub-error', errorKind: 'bad-request' }));
  });

  it('turns AMQP header values into strings', () => {
    expect(headersToMetadata({ a: 'x', b: 5, c: true, d: Buffer.from('buf'), e: null, f: [{ count: 1 }] })).toEqual({
      a: 'x',
      b: '5',
      c: 'true',
      d: 'buf',
      f: '[{"count":1}]',
    });
    expect(headersToMetadata(undefined)).toEqual({});
  });
});
