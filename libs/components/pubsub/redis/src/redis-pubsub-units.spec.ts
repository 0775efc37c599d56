// pubsub.redis pieces without a server: metadata and Dapr's stream entry layout.
import type { ComponentMetadata } from '@tessera/spi';
import { parseRedisPubSubMetadata } from './redis-pubsub-metadata';
import { parseEntryFields, xaddArgs } from './redis-streams-layout';

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'ps', type: 'pubsub.redis', version: 'v1', properties, appId: 'app' });

const fieldOf = (properties: Record<string, string>): string | undefined => {
  try {
    parseRedisPubSubMetadata(meta(properties));
  } catch (e) {
    return (e as { field?: string }).field;
  }
  return undefined;
};

describe('pubsub.redis metadata', () => {
  it('applies the Dapr defaults', () => {
    const s = parseRedisPubSubMetadata(meta({ redisHost: 'localhost:6379' }));
    expect(s).toEqual({
      connection: { host: 'localhost', port: 6379, db: 0, tls: false, dialTimeoutMs: 5000, readTimeoutMs: 3000, maxRetries: 3 },
      redeliverIntervalMs: 60_000,
      processingTimeoutMs: 15_000,
      queueDepth: 100,
      concurrency: 10,
      maxLenApprox: 0,
      streamTtlMs: 0,
    });
  });

  it('reads every field; 0 disables redelivery and the processing timeout; bare numbers are seconds', () => {
    const s = parseRedisPubSubMetadata(
      meta({ redisHost: 'r:7000', redisPassword: 'pw', redisDB: '1', redeliverInterval: '0', processingTimeout: '2', queueDepth: '5', concurrency: '3', maxLenApprox: '1000', streamTTL: '1h' }),
    );
    expect(s).toMatchObject({ redeliverIntervalMs: 0, processingTimeoutMs: 2000, queueDepth: 5, concurrency: 3, maxLenApprox: 1000, streamTtlMs: 3_600_000 });
    expect(s.connection).toMatchObject({ host: 'r', port: 7000, password: 'pw', db: 1 });
  });

  it('refuses malformed values, naming the field', () => {
    expect(fieldOf({})).toBe('redisHost');
    expect(fieldOf({ redisHost: 'a:1', redisType: 'cluster' })).toBe('redisType');
    expect(fieldOf({ redisHost: 'a:1', queueDepth: '0' })).toBe('queueDepth');
    expect(fieldOf({ redisHost: 'a:1', concurrency: 'many' })).toBe('concurrency');
    expect(fieldOf({ redisHost: 'a:1', concurrency: '0' })).toBe('concurrency');
    expect(fieldOf({ redisHost: 'a:1', maxLenApprox: '-5' })).toBe('maxLenApprox');
    expect(fieldOf({ redisHost: 'a:1', processingTimeout: 'soon' })).toBe('processingTimeout');
    expect(fieldOf({ redisHost: 'a:1', redeliverInterval: '1x' })).toBe('redeliverInterval');
    expect(fieldOf({ redisHost: 'a:1', streamTTL: 'forever' })).toBe('streamTTL');
  });
});

describe("Dapr's stream entry layout", () => {
  const data = new Uint8Array([0, 1, 255]);
  const strings = (args: Array<string | Buffer>): string[] => args.map((a) => (typeof a === 'string' ? a : `<${a.toString('hex')}>`));

  it('XADD: data, then metadata JSON when there is metadata, then contentType', () => {
    expect(strings(xaddArgs({ topic: 't', data, metadata: {} }, { maxLenApprox: 0, streamTtlMs: 0 }, 0))).toEqual(['t', '*', 'data', '<0001ff>']);
    expect(
      strings(xaddArgs({ topic: 't', data, contentType: 'text/plain', metadata: { a: 'b' } }, { maxLenApprox: 0, streamTtlMs: 0 }, 0)),
    ).toEqual(['t', '*', 'data', '<0001ff>', 'metadata', '{"a":"b"}', 'contentType', 'text/plain']);
  });

  it('XADD trims with MAXLEN ~ n, else MINID ~ <now - streamTTL>', () => {
    expect(strings(xaddArgs({ topic: 't', data, metadata: {} }, { maxLenApprox: 10, streamTtlMs: 5000 }, 100_000)).slice(0, 5)).toEqual(['t', 'MAXLEN', '~', '10', '*']);
    expect(strings(xaddArgs({ topic: 't', data, metadata: {} }, { maxLenApprox: 0, streamTtlMs: 5000 }, 100_000)).slice(0, 5)).toEqual(['t', 'MINID', '~', '95000', '*']);
  });

  it('reads entries written by Dapr (data + metadata) and by Tessera (+ contentType)', () => {
    const b = (s: string): Buffer => Buffer.from(s);
    expect(parseEntryFields([b('data'), Buffer.from([1, 2])])).toEqual({ data: new Uint8Array([1, 2]), metadata: {} });
    expect(parseEntryFields([b('metadata'), b('{"k":"v","n":1}'), b('data'), b('x'), b('contentType'), b('text/plain')])).toEqual({
      data: new Uint8Array(b('x')),
      metadata: { k: 'v', n: '1' },
      contentType: 'text/plain',
    });
    expect(parseEntryFields([b('other'), b('x')])).toBeUndefined();
    const bad: string[] = [];
    expect(parseEntryFields([b('data'), b('x'), b('metadata'), b('not json')], (raw) => bad.push(raw))?.metadata).toEqual({});
    expect(bad).toEqual(['not json']);
  });
});
