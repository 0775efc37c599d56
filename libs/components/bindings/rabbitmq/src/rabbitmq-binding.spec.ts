// bindings.rabbitmq against the real RabbitMQ on loopback (skipped loudly when unreachable), plus
// the pure metadata mapping. Queue names are unique per run and deleted afterwards.
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import * as amqp from 'amqplib';
import type { Binding, BindingReadEvent, ComponentMetadata } from '@tessera/spi';
import { rabbitMqSkipReason, testRabbitMqUrl, urlHostPort } from '@tessera/testing';
import { createRabbitMqBinding } from './rabbitmq-binding';
import { parseRabbitMqBindingMetadata, publishOptions, queueArguments } from './rabbitmq-binding-metadata';

const URL_ = testRabbitMqUrl();
const { host: AMQP_HOST, port: AMQP_PORT } = urlHostPort(URL_, 5672);

function meta(properties: Record<string, string>): ComponentMetadata {
  return { name: 'rq', type: 'bindings.rabbitmq', version: 'v1', appId: 'app', properties };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

function reader(b: Binding): NonNullable<Binding['read']> {
  if (!b.read) throw new Error('not an input binding');
  return b.read.bind(b);
}

function create(b: Binding, data: string, metadata: Record<string, string> = {}): Promise<unknown> {
  if (!b.invoke) throw new Error('not an output binding');
  return b.invoke({ operation: 'create', data: enc(data), metadata });
}

describe('bindings.rabbitmq metadata', () => {
  it('applies Dapr defaults and reads every field', () => {
    const s = parseRabbitMqBindingMetadata(meta({ host: URL_, queueName: 'q' }));
    expect(s).toEqual({ url: URL_, queueName: 'q', durable: false, deleteWhenUnused: false, exclusive: false, prefetchCount: 0, contentType: 'text/plain', reconnectWaitMs: 5000, tls: {} });
    const full = parseRabbitMqBindingMetadata(meta({ host: URL_, queueName: 'q', durable: 'true', deleteWhenUnused: 'true', exclusive: 'true', ttlInSeconds: '60', prefetchCount: '10', maxPriority: '5', contentType: 'application/json', reconnectWaitInSeconds: '0.5' }));
    expect(full).toMatchObject({ durable: true, deleteWhenUnused: true, exclusive: true, queueTtlMs: 60_000, prefetchCount: 10, maxPriority: 5, contentType: 'application/json', reconnectWaitMs: 500 });
    expect(queueArguments(full)).toEqual({ 'x-message-ttl': 60_000, 'x-max-priority': 5 });
    expect(queueArguments(s)).toEqual({});
  });

  it('maps per-message ttlInSeconds, priority and contentType', () => {
    const s = parseRabbitMqBindingMetadata(meta({ host: URL_, queueName: 'q', durable: 'true' }));
    expect(publishOptions(s, {})).toEqual({ contentType: 'text/plain', persistent: true });
    expect(publishOptions(s, { ttlInSeconds: '3', priority: '7', contentType: 'application/json' })).toEqual({ contentType: 'application/json', persistent: true, expiration: '3000', priority: 7 });
    expect(() => publishOptions(s, { ttlInSeconds: 'x' })).toThrow(/ttlInSeconds/);
    expect(() => publishOptions(s, { priority: '256' })).toThrow(/priority/);
  });

  it('refuses bad metadata naming the field', () => {
    const fieldOf = (p: Record<string, string>): string | undefined => {
      try {
        parseRabbitMqBindingMetadata(meta(p));
      } catch (e) {
        return (e as { field?: string }).field;
      }
      return undefined;
    };
    expect(fieldOf({ queueName: 'q' })).toBe('host');
    expect(fieldOf({ host: 'http://x', queueName: 'q' })).toBe('host');
    expect(fieldOf({ host: URL_ })).toBe('queueName');
    expect(fieldOf({ host: URL_, queueName: 'q', durable: 'maybe' })).toBe('durable');
    expect(fieldOf({ host: URL_, queueName: 'q', maxPriority: '300' })).toBe('maxPriority');
    expect(fieldOf({ host: URL_, queueName: 'q', prefetchCount: '-1' })).toBe('prefetchCount');
    expect(fieldOf({ host: URL_, queueName: 'q', reconnectWaitInSeconds: 'soon' })).toBe('reconnectWaitInSeconds');
    expect(fieldOf({ host: URL_, queueName: 'q', clientCert: 'pem' })).toBe('clientKey');
  });
});

const skipReason = rabbitMqSkipReason(URL_);
if (skipReason) console.warn(`bindings.rabbitmq suite skipped: ${skipReason}`);

(skipReason === undefined ? describe : describe.skip)(`bindings.rabbitmq against RabbitMQ${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const run = randomUUID().slice(0, 8);
  const queues: string[] = [];
  const open: Binding[] = [];
  let conn: amqp.ChannelModel;
  let raw: amqp.Channel;

  const queue = (name: string): string => {
    const q = `tessera-binding-${run}-${name}`;
    queues.push(q);
    return q;
  };

  async function binding(props: Record<string, string>): Promise<Binding> {
    const b = createRabbitMqBinding(meta({ host: URL_, ...props }));
    open.push(b);
    await b.init();
    return b;
  }

  beforeAll(async () => {
    conn = await amqp.connect(URL_);
    raw = await conn.createChannel();
    raw.on('error', () => undefined);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    for (const q of queues) await raw.deleteQueue(q).catch(() => undefined);
    await conn.close();
  });

  it('is input and output, with the create operation', async () => {
    const b = await binding({ queueName: queue('ops') });
    expect(b.operations?.()).toEqual(['create']);
    expect(typeof b.read).toBe('function');
    await expect(b.invoke?.({ operation: 'get', data: enc('x'), metadata: {} })).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'bad-request' });
    await expect(create(b, 'x', { priority: 'high' })).rejects.toMatchObject({ errorKind: 'bad-request' });
  });

  it('create publishes to the queue via the default exchange with the message properties', async () => {
    const q = queue('publish');
    const b = await binding({ queueName: q, durable: 'true', maxPriority: '10' });
    expect(await create(b, '{"a":1}')).toBeUndefined();
    await create(b, 'second', { ttlInSeconds: '60', priority: '7', contentType: 'application/json' });
    // The priority queue hands out the priority-7 message before the earlier priority-0 one.
    const first = await raw.get(q, { noAck: true });
    const second = await raw.get(q, { noAck: true });
    if (!first || !second) throw new Error('messages missing');
    expect(first.content.toString()).toBe('second');
    expect(first.properties).toMatchObject({ contentType: 'application/json', expiration: '60000', priority: 7 });
    expect(second.content.toString()).toBe('{"a":1}');
    expect(second.fields.exchange).toBe('');
    expect(second.fields.routingKey).toBe(q);
    expect(second.properties).toMatchObject({ contentType: 'text/plain', deliveryMode: 2 });
    // The queue exists with Dapr's arguments: re-declaring it identically succeeds.
    await raw.assertQueue(q, { durable: true, autoDelete: false, exclusive: false, arguments: { 'x-max-priority': 10 } });
  });

  it('queue ttlInSeconds and per-message ttlInSeconds expire messages', async () => {
    const q = queue('ttl');
    const b = await binding({ queueName: q, ttlInSeconds: '1' });
    const m = queue('msgttl');
    const b2 = await binding({ queueName: m });
    await create(b, 'gone soon');
    await create(b2, 'gone soon too', { ttlInSeconds: '1' });
    await create(b2, 'stays');
    expect((await raw.checkQueue(q)).messageCount).toBe(1);
    await sleep(1300);
    expect((await raw.checkQueue(q)).messageCount).toBe(0);
    const left = await raw.get(m, { noAck: true });
    expect(left && left.content.toString()).toBe('stays');
  });

  it('read delivers each message and acks it after the handler resolved', async () => {
    const q = queue('read');
    const b = await binding({ queueName: q });
    const got: BindingReadEvent[] = [];
    const r = await reader(b)(async (e) => {
      got.push(e);
    });
    await create(b, '"hello"', { contentType: 'application/json' });
    await create(b, 'two');
    await waitFor(() => got.length === 2, 5000);
    expect(got.map((e) => dec(e.data))).toEqual(['"hello"', 'two']);
    expect(got[0]?.contentType).toBe('application/json');
    await r.close();
    expect((await raw.checkQueue(q)).messageCount).toBe(0);
  });

  it('nacks with requeue when the handler rejects: the message comes again', async () => {
    const q = queue('nack');
    const b = await binding({ queueName: q });
    const seen: string[] = [];
    const r = await reader(b)(async (e) => {
      seen.push(dec(e.data));
      if (seen.length === 1) throw new Error('app failed');
    });
    await create(b, 'retry me');
    await waitFor(() => seen.length === 2, 5000);
    await r.close();
    expect(seen).toEqual(['retry me', 'retry me']);
    expect((await raw.checkQueue(q)).messageCount).toBe(0);
  });

  it('reader close() waits for handlers in flight; unprocessed messages stay queued', async () => {
    const q = queue('close');
    const b = await binding({ queueName: q, prefetchCount: '1' });
    let started = 0;
    let finished = 0;
    const r = await reader(b)(async () => {
      started++;
      await sleep(300);
      finished++;
    });
    await create(b, 'one');
    await create(b, 'two');
    await waitFor(() => started === 1, 5000);
    await r.close();
    expect(finished).toBe(1);
    expect(started).toBe(1);
    await waitFor(async () => (await raw.checkQueue(q)).messageCount === 1, 2000);
  });

  it('reports an unreachable broker as BindingError(backend) and recovers when it returns', async () => {
    await expect(createRabbitMqBinding(meta({ host: 'amqp://guest:guest@127.0.0.1:1', queueName: queue('down') })).init()).rejects.toMatchObject({
      kind: 'tessera.binding-error',
      errorKind: 'backend',
    });
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(AMQP_PORT, AMQP_HOST);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((res) => proxy.listen(0, '127.0.0.1', res));
    const port = (proxy.address() as net.AddressInfo).port;
    const q = queue('proxy');
    const b = createRabbitMqBinding(meta({ host: `amqp://guest:guest@127.0.0.1:${port}`, queueName: q, reconnectWaitInSeconds: '0.2' }));
    open.push(b);
    await b.init();
    const got: string[] = [];
    await reader(b)(async (e) => {
      got.push(dec(e.data));
    });
    await create(b, 'before');
    await waitFor(() => got.length === 1, 5000);
    await new Promise<void>((res) => {
      proxy.close(() => res());
      for (const s of sockets) s.destroy();
    });
    await sleep(50);
    await expect(create(b, 'during')).rejects.toMatchObject({ errorKind: 'backend' });
    await new Promise<void>((res) => proxy.listen(port, '127.0.0.1', res));
    await waitFor(async () => create(b, 'after').then(() => true, () => false), 5000);
    await waitFor(() => got.includes('after'), 5000);
    expect(got).not.toContain('during');
    await b.close();
    await new Promise<void>((res) => {
      proxy.close(() => res());
      for (const s of sockets) s.destroy();
    });
  });

  it('answers BindingError(closed) after close()', async () => {
    const b = await binding({ queueName: queue('closed') });
    await b.close();
    await expect(create(b, 'x')).rejects.toMatchObject({ errorKind: 'closed' });
    await expect(reader(b)(async () => undefined)).rejects.toMatchObject({ errorKind: 'closed' });
  });
});
