// pubsub.jetstream pieces without a server: metadata, subject rules, consumer names, headers.
import type { ComponentMetadata } from '@tessera/spi';
import { parseJetStreamMetadata } from './jetstream-metadata';
import { fromHeaders, toHeaders } from './jetstream-pubsub';
import { captured, durableConsumerName, subjectCovers, withSubject } from './jetstream-subjects';

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'js', type: 'pubsub.jetstream', version: 'v1', properties, appId: 'app' });

const fieldOf = (properties: Record<string, string>): string | undefined => {
  try {
    parseJetStreamMetadata(meta(properties));
  } catch (e) {
    return (e as { field?: string }).field;
  }
  return undefined;
};

describe('pubsub.jetstream metadata', () => {
  it('applies the defaults', () => {
    expect(parseJetStreamMetadata(meta({ natsURL: 'nats://localhost:4222' }))).toEqual({
      servers: ['nats://localhost:4222'],
      autoCreateStream: true,
      deliverPolicy: 'all',
      backOffMs: [],
      memoryStorage: false,
      concurrency: 'parallel',
    });
  });

  it('reads every field, names case-insensitively', () => {
    expect(
      parseJetStreamMetadata(
        meta({
          natsurl: 'nats://u:p%40ss@a:4222, nats://b:4223',
          name: 'conn',
          streamName: 'S',
          autoCreateStream: 'false',
          durableName: 'dur',
          queueGroupName: 'q',
          deliverPolicy: 'sequence',
          startSequence: '42',
          ackPolicy: 'explicit',
          ackWait: '10s',
          maxDeliver: '5',
          backOff: '50ms, 1s, 2s',
          maxAckPending: '500',
          replicas: '3',
          memoryStorage: 'true',
          concurrency: 'single',
          domain: 'hub',
          apiPrefix: 'PREFIX',
          jwt: 'eyJ',
          seedKey: 'SUA',
          tls_client_cert: '/c.crt',
          tls_client_key: '/c.key',
          rateLimit: '1024',
          heartbeat: '15s',
          flowControl: 'true',
        }),
      ),
    ).toEqual({
      servers: ['nats://a:4222', 'nats://b:4223'],
      user: 'u',
      pass: 'p@ss',
      jwt: 'eyJ',
      seedKey: 'SUA',
      tlsClientCert: '/c.crt',
      tlsClientKey: '/c.key',
      connectionName: 'conn',
      streamName: 'S',
      autoCreateStream: false,
      durableName: 'dur',
      queueGroupName: 'q',
      deliverPolicy: 'by_start_sequence',
      startSequence: 42,
      ackWaitMs: 10_000,
      maxDeliver: 5,
      backOffMs: [50, 1000, 2000],
      maxAckPending: 500,
      replicas: 3,
      memoryStorage: true,
      concurrency: 'single',
      domain: 'hub',
      apiPrefix: 'PREFIX',
    });
  });

  it('takes a token from the URL or the token field; startTime is Unix seconds', () => {
    expect(parseJetStreamMetadata(meta({ natsURL: 'nats://tok@h:4222' }))).toMatchObject({ servers: ['nats://h:4222'], token: 'tok' });
    expect(parseJetStreamMetadata(meta({ natsURL: 'h:4222', token: 't2' }))).toMatchObject({ servers: ['nats://h:4222'], token: 't2' });
    expect(parseJetStreamMetadata(meta({ natsURL: 'nats://h', deliverPolicy: 'time', startTime: '1630349391' }))).toMatchObject({
      deliverPolicy: 'by_start_time',
      startTime: '2021-08-30T18:49:51.000Z',
    });
  });

  it('refuses malformed values, naming the field', () => {
    expect(fieldOf({})).toBe('natsURL');
    expect(fieldOf({ natsURL: 'http://h:1' })).toBe('natsURL');
    expect(fieldOf({ natsURL: 'nats://h', jwt: 'x' })).toBe('seedKey');
    expect(fieldOf({ natsURL: 'nats://h', tls_client_key: 'k' })).toBe('tls_client_cert');
    expect(fieldOf({ natsURL: 'nats://h', deliverPolicy: 'sometimes' })).toBe('deliverPolicy');
    expect(fieldOf({ natsURL: 'nats://h', deliverPolicy: 'sequence' })).toBe('startSequence');
    expect(fieldOf({ natsURL: 'nats://h', deliverPolicy: 'time' })).toBe('startTime');
    expect(fieldOf({ natsURL: 'nats://h', ackPolicy: 'none' })).toBe('ackPolicy');
    expect(fieldOf({ natsURL: 'nats://h', concurrency: 'lots' })).toBe('concurrency');
    expect(fieldOf({ natsURL: 'nats://h', ackWait: 'soon' })).toBe('ackWait');
    expect(fieldOf({ natsURL: 'nats://h', maxDeliver: 'x' })).toBe('maxDeliver');
    expect(fieldOf({ natsURL: 'nats://h', backOff: '1s, never' })).toBe('backOff');
    expect(fieldOf({ natsURL: 'nats://h', backOff: '1s,2s', maxDeliver: '2' })).toBe('maxDeliver');
    expect(fieldOf({ natsURL: 'nats://h', streamName: 'a.b' })).toBe('streamName');
    expect(fieldOf({ natsURL: 'nats://h', autoCreateStream: 'perhaps' })).toBe('autoCreateStream');
  });
});

describe('NATS subjects', () => {
  it('knows which subject patterns cover which', () => {
    expect(subjectCovers('a.b', 'a.b')).toBe(true);
    expect(subjectCovers('a.*', 'a.b')).toBe(true);
    expect(subjectCovers('a.*', 'a.*')).toBe(true);
    expect(subjectCovers('a.b', 'a.*')).toBe(false);
    expect(subjectCovers('a.*', 'a.b.c')).toBe(false);
    expect(subjectCovers('a.>', 'a.b.c')).toBe(true);
    expect(subjectCovers('a.>', 'a.*.c')).toBe(true);
    expect(subjectCovers('a.>', 'a')).toBe(false);
    expect(subjectCovers('a.*.c', 'a.>')).toBe(false);
    expect(subjectCovers('>', 'x')).toBe(true);
    expect(subjectCovers('a', 'ab')).toBe(false);
  });

  it('adds a subject to a stream without overlaps', () => {
    expect(withSubject(['a.b', 'c'], 'a.b')).toBeUndefined();
    expect(withSubject(['a.>'], 'a.b.c')).toBeUndefined();
    expect(withSubject(['a.b', 'a.c', 'x'], 'a.*')).toEqual(['x', 'a.*']);
    expect(withSubject(['a.*.leaf'], 'a.>')).toEqual(['a.>']);
    expect(withSubject([], 't')).toEqual(['t']);
    expect(captured(['a.*'], 'a.b')).toBe(true);
  });

  it('names durable consumers after group and topic, hashing when characters had to go', () => {
    expect(durableConsumerName('app', 'orders')).toBe('app-orders');
    const dotted = durableConsumerName('app', 'orders.new');
    expect(dotted).toMatch(/^app-orders_new-[0-9a-f]{10}$/);
    expect(durableConsumerName('app', 'orders_new')).toBe('app-orders_new');
    expect(durableConsumerName('app', 'orders.*')).not.toBe(durableConsumerName('app', 'orders.>'));
    expect(durableConsumerName('g', 'x'.repeat(500)).length).toBeLessThanOrEqual(200);
  });
});

describe('metadata as NATS headers', () => {
  it('round-trips metadata keys exactly and the content type', () => {
    const h = toHeaders({ 'conf-key': 'v 1', traceparent: '00-ab', ttlInSeconds: '10' }, 'application/cloudevents+json');
    expect(fromHeaders(h)).toEqual({ metadata: { 'conf-key': 'v 1', traceparent: '00-ab', ttlInSeconds: '10' }, contentType: 'application/cloudevents+json' });
    expect(toHeaders({}, undefined)).toBeUndefined();
    expect(fromHeaders(undefined)).toEqual({ metadata: {} });
    expect(() => toHeaders({ 'bad key': 'x' }, undefined)).toThrow();
  });
});
