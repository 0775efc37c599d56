import { KNOWN_PUBSUB_TYPES, pubSubFactory, pubSubVersions } from './pubsub.registry';

const meta = (type: string, properties: Record<string, string>) => ({ name: 'ps', type, version: 'v1', properties, appId: 'app' });

describe('pubsub registry', () => {
  it('knows the embedded pub/sub types (brokers add theirs)', () => {
    expect([...KNOWN_PUBSUB_TYPES]).toEqual(expect.arrayContaining(['pubsub.in-memory', 'pubsub.sqlite']));
    for (const t of KNOWN_PUBSUB_TYPES) expect(pubSubFactory(t, 'v1')).toBeInstanceOf(Function);
  });

  it('treats an empty version and v0 as v1, and is case-insensitive', () => {
    const f = pubSubFactory('pubsub.in-memory', 'v1');
    expect(f).toBeInstanceOf(Function);
    expect(pubSubFactory('pubsub.in-memory', '')).toBe(f);
    expect(pubSubFactory('pubsub.in-memory', 'v0')).toBe(f);
    expect(pubSubFactory(' PubSub.In-Memory ', 'V1')).toBe(f);
  });

  it('knows the Redis Streams and JetStream brokers', () => {
    for (const t of ['pubsub.redis', 'pubsub.jetstream']) {
      expect(KNOWN_PUBSUB_TYPES).toContain(t);
      expect(pubSubVersions(t)).toEqual(['v1']);
    }
    // Building one checks nothing yet; init() reads the metadata and connects.
    expect(pubSubFactory('pubsub.redis', 'v1')?.(meta('pubsub.redis', { redisHost: 'localhost:6379' })).features()).toEqual([]);
    expect(pubSubFactory('pubsub.jetstream', '')?.(meta('pubsub.jetstream', { natsURL: 'nats://localhost:4222' })).features()).toEqual(['subscribe-wildcards']);
  });

  it('knows the RabbitMQ, MQTT 3 (alias pubsub.mqtt) and Kafka brokers', () => {
    for (const t of ['pubsub.rabbitmq', 'pubsub.mqtt3', 'pubsub.mqtt', 'pubsub.kafka']) {
      expect(KNOWN_PUBSUB_TYPES).toContain(t);
      expect(pubSubVersions(t)).toEqual(['v1']);
    }
    expect(pubSubFactory('pubsub.mqtt', 'v1')).toBe(pubSubFactory('pubsub.mqtt3', 'v1'));
    expect(pubSubFactory('pubsub.rabbitmq', 'v1')?.(meta('pubsub.rabbitmq', { connectionString: 'amqp://localhost' })).features()).toEqual(['message-ttl']);
    expect(pubSubFactory('pubsub.mqtt3', 'v1')?.(meta('pubsub.mqtt3', { url: 'tcp://localhost:1883' })).features()).toEqual(['subscribe-wildcards']);
    expect(pubSubFactory('pubsub.kafka', 'v1')?.(meta('pubsub.kafka', { brokers: 'localhost:9092', authType: 'none' })).features()).toEqual(['bulk-publish']);
  });

  it('answers undefined for unknown types and versions', () => {
    expect(pubSubFactory('pubsub.carrier-pigeon', 'v1')).toBeUndefined();
    expect(pubSubFactory('pubsub.in-memory', 'v2')).toBeUndefined();
    expect(pubSubVersions('pubsub.in-memory')).toEqual(['v1']);
    expect(pubSubVersions('pubsub.nope')).toEqual([]);
  });

  it('builds working embedded components', async () => {
    for (const [type, properties] of [['pubsub.in-memory', {}], ['pubsub.sqlite', { connectionString: ':memory:' }]] as const) {
      const ps = pubSubFactory(type, 'v1')?.(meta(type, properties));
      if (!ps) throw new Error(`no factory for ${type}`);
      await ps.init();
      const got: string[] = [];
      const sub = await ps.subscribe({ topic: 't', consumerGroup: 'app', metadata: {} }, async (m) => {
        got.push(Buffer.from(m.data).toString());
      });
      await ps.publish({ topic: 't', data: new TextEncoder().encode('hello'), metadata: {} });
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(['hello']);
      await sub.close();
      await ps.close();
    }
  });
});
