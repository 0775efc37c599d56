// pubsub.kafka pure parts (no broker needed): metadata (components.md 5.6), SASL/TLS client
// config, record <-> message mapping, and the subscription-aware range assignment.
import { AssignerProtocol } from 'kafkajs';
import type { Cluster, GroupMember } from 'kafkajs';
import type { ComponentMetadata } from '@tessera/spi';
import { saslMechanism } from '@tessera/common-kafka';
import { goQueryEscape, kafkaClientConfig, parseKafkaMetadata, rangeAssign, toKafkaRecord, toPubSubMessage } from './kafka-metadata';
import { subscriptionAwareRangeAssigner } from './kafka-pubsub';

function meta(properties: Record<string, string>, appId = 'app'): ComponentMetadata {
  return { name: 'kafka', type: 'pubsub.kafka', version: 'v1', appId, properties };
}

const base = { brokers: 'localhost:9092', authType: 'none' };

function fieldOf(properties: Record<string, string>): string | undefined {
  try {
    parseKafkaMetadata(meta(properties));
  } catch (e) {
    return (e as { field?: string }).field ?? `not a config error: ${String(e)}`;
  }
  return undefined;
}

describe('pubsub.kafka metadata', () => {
  it('has Dapr defaults (no TLS for authType none, retries on, newest, acks all)', () => {
    const s = parseKafkaMetadata(meta(base));
    expect(s).toEqual({
      brokers: ['localhost:9092'],
      authType: 'none',
      clientId: 'app',
      initialOffset: 'newest',
      maxMessageBytes: 0,
      consumeRetryEnabled: true,
      consumeRetryIntervalMs: 100,
      consumeRetryMaxRetries: -1,
      heartbeatIntervalMs: 3000,
      sessionTimeoutMs: 10_000,
      requiredAcks: -1,
      compression: 'none',
      escapeHeaders: false,
      rebalanceStrategy: 'range',
    });
    expect(parseKafkaMetadata(meta(base, '')).clientId).toBe('sarama');
  });

  it('reads every supported field', () => {
    const s = parseKafkaMetadata(
      meta({
        brokers: 'a:9092, b:9093',
        authType: 'password',
        saslUsername: 'user',
        saslPassword: 'pw',
        saslMechanism: 'SHA-512',
        consumerGroup: 'group1',
        clientID: 'client1',
        initialOffset: 'oldest',
        maxMessageBytes: '2048',
        consumeRetryEnabled: 'false',
        consumeRetryInterval: '250',
        backOffMaxRetries: '3',
        heartbeatInterval: '5s',
        sessionTimeout: '15s',
        producerRequiredAcks: 'local',
        compression: 'gzip',
        escapeHeaders: 'true',
        excludeHeaderMetaRegex: '^x-internal-',
        consumerFetchMin: '1',
        consumerFetchDefault: '2097152',
        consumerGroupRebalanceStrategy: 'roundrobin',
        disableTls: 'true',
      }),
    );
    expect(s).toMatchObject({
      brokers: ['a:9092', 'b:9093'],
      authType: 'password',
      sasl: { mechanism: 'scram-sha-512', username: 'user', password: 'pw' },
      consumerGroup: 'group1',
      clientId: 'client1',
      initialOffset: 'oldest',
      maxMessageBytes: 2048,
      consumeRetryEnabled: false,
      consumeRetryIntervalMs: 250,
      consumeRetryMaxRetries: 3,
      heartbeatIntervalMs: 5000,
      sessionTimeoutMs: 15_000,
      requiredAcks: 1,
      compression: 'gzip',
      escapeHeaders: true,
      consumerFetchMin: 1,
      consumerFetchDefault: 2097152,
      rebalanceStrategy: 'roundrobin',
    });
    expect(s.tls).toBeUndefined();
    expect(s.excludeHeaderMetaRegex?.test('x-internal-id')).toBe(true);
  });

  it('reads consumeRetryInterval as a Go duration or bare milliseconds', () => {
    expect(parseKafkaMetadata(meta({ ...base, consumeRetryInterval: '1.5s' })).consumeRetryIntervalMs).toBe(1500);
    expect(parseKafkaMetadata(meta({ ...base, consumeRetryInterval: '200' })).consumeRetryIntervalMs).toBe(200);
  });

  it('maps sticky (not in kafkajs) to the range assignment', () => {
    expect(parseKafkaMetadata(meta({ ...base, consumerGroupRebalanceStrategy: 'sticky' })).rebalanceStrategy).toBe('range');
  });

  it('upgrades the deprecated authRequired', () => {
    expect(parseKafkaMetadata(meta({ brokers: 'h:1', authRequired: 'true', saslUsername: 'u', saslPassword: 'p' })).authType).toBe('password');
    expect(parseKafkaMetadata(meta({ brokers: 'h:1', authRequired: 'false' })).authType).toBe('none');
  });

  it('maps the SASL mechanism spellings', () => {
    expect(saslMechanism(undefined)).toBe('plain');
    expect(saslMechanism('PLAINTEXT')).toBe('plain');
    expect(saslMechanism('plain')).toBe('plain');
    expect(saslMechanism('SHA-256')).toBe('scram-sha-256');
    expect(saslMechanism('SCRAM-SHA-512')).toBe('scram-sha-512');
  });

  it.each([
    [{ authType: 'none' }, 'brokers'],
    [{ brokers: 'no-port', authType: 'none' }, 'brokers'],
    [{ brokers: ' , ', authType: 'none' }, 'brokers'],
    [{ brokers: 'h:1' }, 'authType'],
    [{ brokers: 'h:1', authType: 'kerberos' }, 'authType'],
    [{ brokers: 'h:1', authType: 'oidc' }, 'authType'],
    [{ brokers: 'h:1', authType: 'awsiam' }, 'authType'],
    [{ brokers: 'h:1', authType: 'password', saslPassword: 'p' }, 'saslUsername'],
    [{ brokers: 'h:1', authType: 'password', saslUsername: 'u' }, 'saslPassword'],
    [{ brokers: 'h:1', authType: 'password', saslUsername: 'u', saslPassword: 'p', saslMechanism: 'GSSAPI' }, 'saslMechanism'],
    [{ brokers: 'h:1', authType: 'mtls' }, 'clientCert'],
    [{ brokers: 'h:1', authType: 'mtls', clientCert: 'C', clientKey: 'K', disableTls: 'true' }, 'disableTls'],
    [{ brokers: 'h:1', authType: 'certificate' }, 'caCert'],
    [{ ...base, clientCert: 'C' }, 'clientKey'],
    [{ ...base, initialOffset: 'latest' }, 'initialOffset'],
    [{ ...base, maxMessageBytes: '-1' }, 'maxMessageBytes'],
    [{ ...base, consumeRetryInterval: 'soon' }, 'consumeRetryInterval'],
    [{ ...base, heartbeatInterval: '0s' }, 'heartbeatInterval'],
    [{ ...base, producerRequiredAcks: 'most' }, 'producerRequiredAcks'],
    [{ ...base, compression: 'snappy' }, 'compression'],
    [{ ...base, compression: 'brotli' }, 'compression'],
    [{ ...base, excludeHeaderMetaRegex: '(' }, 'excludeHeaderMetaRegex'],
    [{ ...base, consumerFetchMin: '0' }, 'consumerFetchMin'],
    [{ ...base, consumerGroupRebalanceStrategy: 'cooperative' }, 'consumerGroupRebalanceStrategy'],
    [{ ...base, backOffMaxRetries: '-2' }, 'backOffMaxRetries'],
  ])('refuses %j (field %s)', (properties, field) => {
    expect(fieldOf(properties as Record<string, string>)).toBe(field);
  });
});

describe('pubsub.kafka client config', () => {
  const password = { brokers: 'h:1', authType: 'password', saslUsername: 'u', saslPassword: 'p', saslMechanism: 'SHA-256' };

  it('uses plain TCP without SASL for authType none, with or without disableTls', () => {
    expect(kafkaClientConfig(parseKafkaMetadata(meta(base)))).toEqual({ clientId: 'app', brokers: ['localhost:9092'], ssl: false });
    expect(kafkaClientConfig(parseKafkaMetadata(meta({ ...base, caCert: 'CA', disableTls: 'false' }))).ssl).toBe(false);
    expect(kafkaClientConfig(parseKafkaMetadata(meta({ ...base, disableTls: 'true' })))).toEqual({ clientId: 'app', brokers: ['localhost:9092'], ssl: false });
  });

  it('uses TLS verified by the system roots for password without a CA', () => {
    const c = kafkaClientConfig(parseKafkaMetadata(meta(password)));
    expect(c.ssl).toEqual({ rejectUnauthorized: true });
    expect(c.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'u', password: 'p' });
  });

  it('passes SASL credentials over plain TCP for password with disableTls', () => {
    const c = kafkaClientConfig(parseKafkaMetadata(meta({ ...password, disableTls: 'true' })));
    expect(c.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'u', password: 'p' });
    expect(c.ssl).toBe(false);
  });

  it('passes the client certificate and key for mTLS, the CA when given, and skipVerify', () => {
    expect(kafkaClientConfig(parseKafkaMetadata(meta({ brokers: 'h:1', authType: 'mtls', clientCert: 'CERT', clientKey: 'KEY' }))).ssl).toEqual({ cert: 'CERT', key: 'KEY', rejectUnauthorized: true });
    const c = kafkaClientConfig(parseKafkaMetadata(meta({ brokers: 'h:1', authType: 'mtls', caCert: 'CA', clientCert: 'CERT', clientKey: 'KEY', skipVerify: 'true' })));
    expect(c.ssl).toEqual({ ca: ['CA'], cert: 'CERT', key: 'KEY', rejectUnauthorized: false });
    expect(c.sasl).toBeUndefined();
    expect(kafkaClientConfig(parseKafkaMetadata(meta({ ...password, skipVerify: 'true' }))).ssl).toEqual({ rejectUnauthorized: false });
  });
});

describe('pubsub.kafka records', () => {
  const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

  it('takes partitionKey (or __key) as the record key and every other metadata entry as a header', () => {
    expect(toKafkaRecord(bytes('v'), { partitionKey: 'k1', correlationId: 'c', traceparent: 't' })).toEqual({
      key: 'k1',
      value: Buffer.from('v'),
      headers: { correlationId: 'c', traceparent: 't' },
    });
    expect(toKafkaRecord(bytes('v'), { __key: 'k2' })).toEqual({ key: 'k2', value: Buffer.from('v'), headers: {} });
    expect(toKafkaRecord(bytes('v'), { __key: 'k2', partitionKey: 'k1' }).key).toBe('k1');
    expect(toKafkaRecord(bytes('v'), {}).key).toBeUndefined();
  });

  it('keeps the bytes of a slice of a larger buffer exactly', () => {
    const big = Buffer.from('xxpayloadyy');
    const view = new Uint8Array(big.buffer, big.byteOffset + 2, 7);
    expect(toKafkaRecord(view, {}).value.toString()).toBe('payload');
  });

  it('refuses messages above maxMessageBytes as a bad request', () => {
    expect(() => toKafkaRecord(bytes('12345'), {}, 4)).toThrow(expect.objectContaining({ errorKind: 'bad-request' }));
    expect(toKafkaRecord(bytes('1234'), {}, 4).value.length).toBe(4);
  });

  it('delivers headers plus __key, __topic, __partition, __offset and __timestamp', () => {
    const m = toPubSubMessage('orders', 3, {
      key: Buffer.from('k1'),
      value: Buffer.from([0, 255, 1]),
      timestamp: '1700000000000',
      offset: '42',
      headers: { correlationId: Buffer.from('c'), plain: 'p', multi: [Buffer.from('first'), Buffer.from('last')], gone: undefined },
    });
    expect(m).toEqual({
      topic: 'orders',
      data: Buffer.from([0, 255, 1]),
      metadata: { correlationId: 'c', plain: 'p', multi: 'last', __key: 'k1', __topic: 'orders', __partition: '3', __offset: '42', __timestamp: '1700000000000' },
    });
  });

  it('delivers a tombstone as the bytes null and omits __key for a keyless record', () => {
    const m = toPubSubMessage('t', 0, { key: null, value: null, timestamp: '1', offset: '0' });
    expect(Buffer.from(m.data).toString()).toBe('null');
    expect(m.metadata['__key']).toBeUndefined();
  });

  it('escapes header values with escapeHeaders and skips headers matching excludeHeaderMetaRegex', () => {
    const m = toPubSubMessage(
      't',
      0,
      { key: Buffer.from('a b'), value: Buffer.from('v'), timestamp: '1', offset: '0', headers: { h: Buffer.from('x y/ü'), 'x-internal': Buffer.from('secret') } },
      { escapeHeaders: true, excludeHeaderMetaRegex: /^x-internal/ },
    );
    expect(m.metadata).toMatchObject({ h: 'x+y%2F%C3%BC', __key: 'a+b' });
    expect(m.metadata['x-internal']).toBeUndefined();
  });

  it('escapes like Go url.QueryEscape', () => {
    expect(goQueryEscape("a-b_c.d~e f!*'()")).toBe('a-b_c.d~e+f%21%2A%27%28%29');
  });

  it('round-trips a published record through the delivered metadata', () => {
    const rec = toKafkaRecord(bytes('data'), { partitionKey: 'k', h1: 'v1' });
    const m = toPubSubMessage('t', 1, { key: Buffer.from(rec.key ?? ''), value: rec.value, timestamp: '5', offset: '9', headers: rec.headers });
    expect(m.metadata).toMatchObject({ h1: 'v1', __key: 'k' });
    expect(Buffer.from(m.data).toString()).toBe('data');
  });
});

describe('pubsub.kafka range assignment', () => {
  it('splits each topic among the members that subscribe it, lowest member ids first', () => {
    const out = rangeAssign(
      [
        { memberId: 'm2', topics: ['a', 'b'] },
        { memberId: 'm1', topics: ['a'] },
        { memberId: 'm3', topics: ['b'] },
      ],
      { a: [4, 0, 3, 1, 2], b: [0, 1] },
    );
    expect(out).toEqual({ m1: { a: [0, 1, 2] }, m2: { a: [3, 4], b: [0] }, m3: { b: [1] } });
  });

  it('leaves members beyond the partition count without partitions, and ignores topics nobody subscribes', () => {
    expect(rangeAssign([{ memberId: 'x', topics: ['t'] }, { memberId: 'y', topics: ['t'] }], { t: [0], other: [0, 1] })).toEqual({ x: { t: [0] }, y: {} });
  });

  it('encodes the assignment with kafkajs AssignerProtocol and fetches metadata of topics only other members subscribe', async () => {
    const requested: string[][] = [];
    const cluster = {
      addMultipleTargetTopics: async (topics: string[]) => void requested.push(topics),
      findTopicPartitionMetadata: (topic: string) => (topic === 'a' ? [0, 1] : [0]).map((partitionId) => ({ partitionId })),
    } as unknown as Cluster;
    const assigner = subscriptionAwareRangeAssigner({ cluster, groupId: 'g', logger: undefined as never });
    const member = (memberId: string, topics: string[]): GroupMember => ({ memberId, memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) });
    const result = await assigner.assign({ members: [member('m1', ['a']), member('m2', ['b'])], topics: ['a'] });
    expect(requested).toEqual([['a', 'b']]);
    const decoded = Object.fromEntries(result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment]));
    expect(decoded).toEqual({ m1: { a: [0, 1] }, m2: { b: [0] } });
    const proto = assigner.protocol({ topics: ['a'] });
    expect(proto.name).toBe('range');
    expect(AssignerProtocol.MemberMetadata.decode(proto.metadata)?.topics).toEqual(['a']);
  });
});
