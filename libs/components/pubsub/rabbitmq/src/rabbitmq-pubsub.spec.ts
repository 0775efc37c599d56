// pubsub.rabbitmq against a real RabbitMQ (RABBITMQ_URL, default amqp://guest:guest@127.0.0.1:5672;
// skipped loudly when unreachable): the shared conformance suite, Dapr's layout checked with a raw
// amqplib channel, failure semantics, prefetch/concurrency, and reconnecting after the connection
// was cut (through a local TCP proxy whose sockets the test destroys).
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { connect } from 'amqplib';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { describePubSubConformance } from '@tessera/conformance';
import { PubSubAbandonError } from '@tessera/spi';
import type { ComponentMetadata, PubSub, PubSubMessage, PubSubSubscription } from '@tessera/spi';
import { rabbitMqSkipReason, testRabbitMqUrl, urlHostPort } from '@tessera/testing';
import { createRabbitMqPubSub } from './rabbitmq-pubsub';

const RABBIT_URL = testRabbitMqUrl();
const { host: RABBIT_HOST, port: RABBIT_PORT } = urlHostPort(RABBIT_URL, 5672);

const skipReason = rabbitMqSkipReason(RABBIT_URL);
if (skipReason) console.warn(`\n!!! pubsub.rabbitmq integration tests SKIPPED: ${skipReason}\n`);
const describeBroker = skipReason === undefined ? describe : describe.skip;
const brokerTitle = (t: string): string => (skipReason === undefined ? t : `${t} (skipped: ${skipReason})`);

const run = randomUUID().slice(0, 8);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const text = (m: PubSubMessage): string => Buffer.from(m.data).toString('utf8');
const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

function meta(properties: Record<string, string>): ComponentMetadata {
  return { name: 'rabbit', type: 'pubsub.rabbitmq', version: 'v1', appId: 'app', properties: { connectionString: RABBIT_URL, ...properties } };
}

/** What the suites declared on the broker, deleted at the end (queues survive with deletedWhenUnused=false). */
const created = { queues: new Set<string>(), exchanges: new Set<string>() };

function tracked(ps: PubSub, extra: { deadLetter?: boolean } = {}): PubSub {
  const subscribe = ps.subscribe.bind(ps);
  const publish = ps.publish.bind(ps);
  return Object.assign(ps, {
    subscribe: (req: Parameters<PubSub['subscribe']>[0], handler: Parameters<PubSub['subscribe']>[1]) => {
      const q = req.metadata['queueName'] || `${req.consumerGroup}-${req.topic}`;
      created.queues.add(q);
      created.exchanges.add(req.topic);
      if (extra.deadLetter) {
        created.queues.add(`dlq-${q}`);
        created.exchanges.add(`dlx-${q}`);
      }
      return subscribe(req, handler);
    },
    publish: (req: Parameters<PubSub['publish']>[0]) => {
      created.exchanges.add(req.topic);
      return publish(req);
    },
  });
}

async function open(properties: Record<string, string> = {}): Promise<PubSub> {
  const ps = tracked(createRabbitMqPubSub(meta(properties)), { deadLetter: properties['enableDeadLetter'] === 'true' });
  await ps.init();
  return ps;
}

if (skipReason === undefined) {
  afterAll(async () => {
    const conn = await connect(RABBIT_URL);
    for (const q of created.queues) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const x of created.exchanges) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteExchange(x).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    await conn.close();
  });
}

// Queues outlive their consumers (deletedWhenUnused=false) so the abandon, durability and TTL
// cases can leave messages with the broker; failures are requeued (requeueInFailure=true).
describePubSubConformance('pubsub.rabbitmq', () => open({ deletedWhenUnused: 'false', requeueInFailure: 'true' }), {
  ...(skipReason !== undefined ? { skipReason } : {}),
  carriesMetadata: true,
  carriesContentType: true,
  competingConsumers: true,
  fanOut: true,
  redeliversOnHandlerError: { withinMs: 2000 },
  redeliversUnackedAfterClose: { withinMs: 2000 },
  durableAcrossInstances: true,
  messageTtl: true,
});

/** A raw amqplib connection to inspect what the component declared. */
class Raw {
  private constructor(private readonly conn: ChannelModel) {}
  static async open(): Promise<Raw> {
    return new Raw(await connect(RABBIT_URL));
  }
  /** Runs `fn` on a throwaway channel (a failed check closes a channel). */
  async on<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await this.conn.createChannel();
    ch.on('error', () => undefined);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }
  async queue(name: string): Promise<{ messageCount: number; consumerCount: number } | undefined> {
    return this.on((ch) => ch.checkQueue(name)).catch(() => undefined);
  }
  async exchangeExists(name: string): Promise<boolean> {
    return this.on((ch) => ch.checkExchange(name)).then(
      () => true,
      () => false,
    );
  }
  /** Whether declaring `name` with `kind` is accepted (it is refused when the kind differs). */
  async exchangeIs(name: string, kind: string, options: { durable: boolean; autoDelete: boolean }): Promise<boolean> {
    return this.on((ch) => ch.assertExchange(name, kind, options)).then(
      () => true,
      () => false,
    );
  }
  async get(queue: string): Promise<GetMessage | false> {
    return this.on((ch) => ch.get(queue, { noAck: true }));
  }
  async close(): Promise<void> {
    await this.conn.close().catch(() => undefined);
  }
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(25);
  }
}

describeBroker(brokerTitle('pubsub.rabbitmq layout and semantics'), () => {
  let raw: Raw;
  const components: PubSub[] = [];
  const subs: PubSubSubscription[] = [];
  const make = async (properties: Record<string, string> = {}): Promise<PubSub> => {
    const ps = await open(properties);
    components.push(ps);
    return ps;
  };
  const name = (what: string): string => `rmq-${run}-${what}`;

  beforeAll(async () => {
    raw = await Raw.open();
  });
  afterAll(async () => {
    await Promise.allSettled(subs.map((s) => s.close()));
    await Promise.allSettled(components.map((c) => c.close()));
    await raw.close();
  });

  it('declares a fanout exchange named after the topic and a queue <consumerGroup>-<topic> that auto-deletes by default', async () => {
    const ps = await make();
    const topic = name('layout');
    const got: string[] = [];
    const sub = await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async (m) => {
      got.push(text(m));
    });
    expect(await raw.exchangeIs(topic, 'fanout', { durable: false, autoDelete: true })).toBe(true);
    expect(await raw.exchangeIs(topic, 'topic', { durable: false, autoDelete: true })).toBe(false);
    expect(await raw.queue(`app1-${topic}`)).toEqual(expect.objectContaining({ consumerCount: 1 }));
    await ps.publish({ topic, data: enc('hello'), metadata: {} });
    await until(() => got.length === 1, 5000, 'delivery');
    await sub.close();
    await until(async () => (await raw.queue(`app1-${topic}`)) === undefined, 5000, 'auto-deleted queue');
  });

  it('uses subscription metadata queueName instead of <consumerGroup>-<topic>', async () => {
    const ps = await make({ deletedWhenUnused: 'false' });
    const topic = name('qname');
    const queueName = name('custom-queue');
    subs.push(await ps.subscribe({ topic, consumerGroup: 'app1', metadata: { queueName } }, async () => undefined));
    expect(await raw.queue(queueName)).toEqual(expect.objectContaining({ consumerCount: 1 }));
    expect(await raw.queue(`app1-${topic}`)).toBeUndefined();
  });

  it('delivers what a Dapr sidecar publishes (raw AMQP with headers and content type) with its metadata', async () => {
    const ps = await make();
    const topic = name('dapr-in');
    const got: PubSubMessage[] = [];
    subs.push(await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async (m) => void got.push(m)));
    await raw.on(async (ch) => {
      ch.publish(topic, '', Buffer.from('{"specversion":"1.0"}'), { contentType: 'application/cloudevents+json', headers: { traceparent: 'tp', n: 3 }, correlationId: 'c-1' });
    });
    await until(() => got.length === 1, 5000, 'delivery');
    expect(got[0]).toMatchObject({ topic, contentType: 'application/cloudevents+json', metadata: { traceparent: 'tp', n: '3', correlationid: 'c-1' } });
    expect(text(got[0] as PubSubMessage)).toBe('{"specversion":"1.0"}');
  });

  it('publishes with Dapr properties: headers, content type, persistent delivery mode, per-message expiration and priority', async () => {
    const ps = await make({ deliveryMode: '2' });
    const topic = name('props');
    const queue = name('props-probe');
    await raw.on(async (ch) => {
      await ch.assertExchange(topic, 'fanout', { durable: false, autoDelete: true });
      await ch.assertQueue(queue, { autoDelete: false });
      await ch.bindQueue(queue, topic, '');
    });
    created.queues.add(queue);
    await ps.publish({ topic, data: enc('x'), contentType: 'application/json', metadata: { ttlInSeconds: '60', priority: '4', custom: 'v' } });
    const m = await raw.get(queue);
    expect(m).not.toBe(false);
    const props = (m as GetMessage).properties;
    expect(props).toMatchObject({ contentType: 'application/json', deliveryMode: 2, expiration: '60000', priority: 4 });
    expect(props.headers).toMatchObject({ custom: 'v', ttlInSeconds: '60' });
    expect(typeof props.messageId).toBe('string');
  });

  it('publishes again after its exchange was deleted behind its back (re-declares on a fresh channel)', async () => {
    const ps = await make();
    const topic = name('vanished');
    const queue = name('vanished-probe');
    await ps.publish({ topic, data: enc('declares it'), metadata: {} });
    await raw.on((ch) => ch.deleteExchange(topic));
    await ps.publish({ topic, data: enc('first after delete'), metadata: {} });
    expect(await raw.exchangeExists(topic)).toBe(true);
    await raw.on(async (ch) => {
      await ch.assertQueue(queue, { autoDelete: false });
      await ch.bindQueue(queue, topic, '');
    });
    created.queues.add(queue);
    await ps.publish({ topic, data: enc('lands'), metadata: {} });
    const m = await raw.get(queue);
    expect(m && m.content.toString()).toBe('lands');
  });

  it('routes by routingKey on a topic exchange: a queue bound to keyA gets only keyA messages', async () => {
    const ps = await make({ exchangeKind: 'topic' });
    const topic = name('routing');
    const a: string[] = [];
    const all: string[] = [];
    subs.push(await ps.subscribe({ topic, consumerGroup: 'only-a', metadata: { routingKey: 'keyA' } }, async (m) => void a.push(text(m))));
    subs.push(await ps.subscribe({ topic, consumerGroup: 'everything', metadata: { routingKey: '#' } }, async (m) => void all.push(text(m))));
    expect(await raw.exchangeIs(topic, 'topic', { durable: false, autoDelete: true })).toBe(true);
    await ps.publish({ topic, data: enc('for a'), metadata: { routingKey: 'keyA' } });
    await ps.publish({ topic, data: enc('for b'), metadata: { routingKey: 'keyB' } });
    await until(() => all.length === 2, 5000, 'both messages on #');
    await sleep(300);
    expect(a).toEqual(['for a']);
  });

  it('nacks a failed message without requeue by default: not delivered again', async () => {
    const ps = await make();
    const topic = name('nack');
    let calls = 0;
    subs.push(
      await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async () => {
        calls++;
        throw new Error('fails');
      }),
    );
    await ps.publish({ topic, data: enc('once'), metadata: {} });
    await until(() => calls === 1, 5000, 'first delivery');
    await sleep(700);
    expect(calls).toBe(1);
    expect(await raw.queue(`app1-${topic}`)).toEqual(expect.objectContaining({ messageCount: 0 }));
  });

  it('dead-letters failed messages into dlq-<queue> through dlx-<queue> (with enableDeadLetter)', async () => {
    const ps = await make({ enableDeadLetter: 'true', deletedWhenUnused: 'false' });
    const topic = name('dlq');
    const queue = `app1-${topic}`;
    const sub = await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async () => {
      throw new Error('poison');
    });
    expect(await raw.exchangeIs(`dlx-${queue}`, 'fanout', { durable: true, autoDelete: false })).toBe(true);
    expect(await raw.queue(`dlq-${queue}`)).toBeDefined();
    await ps.publish({ topic, data: enc('poison pill'), contentType: 'text/plain', metadata: { origin: 'test' } });
    await until(async () => ((await raw.queue(`dlq-${queue}`))?.messageCount ?? 0) === 1, 5000, 'dead-lettered message');
    await sub.close();
    const dead = await raw.get(`dlq-${queue}`);
    expect(dead).not.toBe(false);
    expect((dead as GetMessage).content.toString()).toBe('poison pill');
    expect((dead as GetMessage).properties.headers).toMatchObject({ origin: 'test' });
  });

  it('requeues an abandoned message even without requeueInFailure, and never dead-letters it', async () => {
    const ps = await make({ enableDeadLetter: 'true', deletedWhenUnused: 'false' });
    const topic = name('abandon');
    const queue = `app1-${topic}`;
    let seen = 0;
    const sub = await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async () => {
      seen++;
      throw new PubSubAbandonError();
    });
    await ps.publish({ topic, data: enc('left'), metadata: {} });
    await until(() => seen >= 1, 5000, 'delivery');
    await sub.close();
    await until(async () => ((await raw.queue(queue))?.messageCount ?? 0) === 1, 5000, 'message back in its queue');
    expect((await raw.queue(`dlq-${queue}`))?.messageCount).toBe(0);
  });

  it('caps the queue at maxLen messages', async () => {
    const ps = await make({ maxLen: '2', deletedWhenUnused: 'false' });
    const topic = name('maxlen');
    const sub = await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async () => undefined);
    await sub.close();
    for (let i = 0; i < 5; i++) await ps.publish({ topic, data: enc(`m${i}`), metadata: {} });
    expect((await raw.queue(`app1-${topic}`))?.messageCount).toBe(2);
  });

  it('handles one message at a time with concurrencyMode single', async () => {
    const ps = await make({ concurrencyMode: 'single' });
    const topic = name('single');
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    subs.push(
      await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async (m) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(10);
        order.push(Number(text(m)));
        active--;
      }),
    );
    for (let i = 0; i < 10; i++) await ps.publish({ topic, data: enc(String(i)), metadata: {} });
    await until(() => order.length === 10, 5000, 'all messages');
    expect(maxActive).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps at most prefetchCount messages in flight in parallel mode', async () => {
    const ps = await make({ prefetchCount: '3' });
    const topic = name('prefetch');
    let active = 0;
    let maxActive = 0;
    let done = 0;
    subs.push(
      await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(50);
        active--;
        done++;
      }),
    );
    await Promise.all(Array.from({ length: 12 }, (_, i) => ps.publish({ topic, data: enc(String(i)), metadata: {} })));
    await until(() => done === 12, 5000, 'all messages');
    expect(maxActive).toBe(3);
  });

  it('rejects a subscription whose queue exists with other arguments, as a backend error', async () => {
    const ps = await make({ deletedWhenUnused: 'false' });
    const topic = name('mismatch');
    const queue = `app1-${topic}`;
    await raw.on((ch) => ch.assertQueue(queue, { autoDelete: false, arguments: { 'x-max-length': 1 } }));
    created.queues.add(queue);
    await expect(ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async () => undefined)).rejects.toMatchObject({
      kind: 'tessera.pubsub-error',
      errorKind: 'backend',
    });
    // The component is still usable.
    await ps.publish({ topic, data: enc('still works'), metadata: {} });
  });

  it('fails init with a backend error when the broker is unreachable', async () => {
    const ps = createRabbitMqPubSub(meta({ connectionString: 'amqp://guest:guest@127.0.0.1:1' }));
    await expect(ps.init()).rejects.toMatchObject({ kind: 'tessera.pubsub-error', errorKind: 'backend' });
    await ps.close();
  });
});

/** Forwards local connections to the broker; cut() destroys every forwarded socket. */
class CuttableProxy {
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  port = 0;
  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(RABBIT_PORT, RABBIT_HOST);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as net.AddressInfo).port;
  }
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }
  get open(): number {
    return this.sockets.size;
  }
  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describeBroker(brokerTitle('pubsub.rabbitmq reconnect'), () => {
  let proxy: CuttableProxy;
  let raw: Raw;
  const name = (what: string): string => `rmq-${run}-${what}`;
  const viaProxy = (): string => {
    const u = new URL(RABBIT_URL);
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
    return u.toString();
  };

  beforeAll(async () => {
    proxy = new CuttableProxy();
    await proxy.start();
    raw = await Raw.open();
  });
  afterAll(async () => {
    await raw.close();
    await proxy.stop();
  });

  it('re-establishes subscriptions after the connection was cut, without handing an in-flight message to the handler twice', async () => {
    const ps = tracked(createRabbitMqPubSub(meta({ connectionString: viaProxy(), reconnectWait: '200ms', deletedWhenUnused: 'false' })));
    await ps.init();
    const topic = name('reconnect');
    const queue = `app1-${topic}`;
    const calls = new Map<string, number>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sub = await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async (m) => {
      const t = text(m);
      calls.set(t, (calls.get(t) ?? 0) + 1);
      if (t === 'held') await gate;
    });
    try {
      await ps.publish({ topic, data: enc('held'), metadata: {} });
      await until(() => calls.get('held') === 1, 5000, 'first delivery');

      proxy.cut();
      await sleep(100);
      // The broker requeues 'held' and hands it back once the subscription is re-established.
      await until(async () => ((await raw.queue(queue))?.consumerCount ?? 0) === 1 && proxy.open > 0, 10_000, 'consumer back after reconnect');
      await ps.publish({ topic, data: enc('after reconnect'), metadata: {} });
      await until(() => calls.get('after reconnect') === 1, 5000, 'delivery after reconnect');
      await sleep(300);
      expect(calls.get('held')).toBe(1);

      // The redelivered copy is settled with the first delivery's outcome (ack): once the
      // subscription is closed nothing is left in the queue (an unacked copy would be requeued).
      release();
      await sleep(300);
      await sub.close();
      expect(calls.get('held')).toBe(1);
      expect((await raw.queue(queue))?.messageCount).toBe(0);
    } finally {
      release();
      await sub.close();
      await ps.close();
    }
  }, 30_000);

  it('publishes again after the connection was cut (reconnecting on demand)', async () => {
    const ps = tracked(createRabbitMqPubSub(meta({ connectionString: viaProxy(), reconnectWait: '2s', deletedWhenUnused: 'false' })));
    await ps.init();
    const topic = name('republish');
    const got: string[] = [];
    const sub = await ps.subscribe({ topic, consumerGroup: 'app1', metadata: {} }, async (m) => void got.push(text(m)));
    try {
      await ps.publish({ topic, data: enc('before'), metadata: {} });
      await until(() => got.length === 1, 5000, 'first delivery');
      proxy.cut();
      await sleep(100);
      // The publish reconnects at once and the queue keeps the message; the subscription comes
      // back after reconnectWait and gets it.
      await ps.publish({ topic, data: enc('after'), metadata: {} });
      await until(() => got.includes('after'), 10_000, 'delivery after reconnect');
    } finally {
      await sub.close();
      await ps.close();
    }
  }, 30_000);
});
