// pubsub.mqtt3 against a real broker (MQTT_URL, default tcp://127.0.0.1:1883 — Mosquitto; skipped
// loudly when unreachable): the shared conformance suite, PUBACK only after the handler settled
// (shown by cutting the connection through a local TCP proxy), retained messages, client ids.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { connectAsync } from 'mqtt';
import { describePubSubConformance } from '@tessera/conformance';
import type { ComponentMetadata, PubSub, PubSubMessage, PubSubSubscription } from '@tessera/spi';
import { mqttSkipReason, testMqttUrl, urlHostPort } from '@tessera/testing';
import { consumerClientId } from './mqtt-metadata';
import { createMqttPubSub } from './mqtt-pubsub';

const MQTT_URL = testMqttUrl();
const { host: MQTT_HOST, port: MQTT_PORT } = urlHostPort(MQTT_URL, 1883);

const skipReason = mqttSkipReason(MQTT_URL);
if (skipReason) console.warn(`\n!!! pubsub.mqtt3 integration tests SKIPPED: ${skipReason}\n`);
const describeBroker = skipReason === undefined ? describe : describe.skip;
const brokerTitle = (t: string): string => (skipReason === undefined ? t : `${t} (skipped: ${skipReason})`);

const run = randomUUID().slice(0, 8);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const text = (m: PubSubMessage): string => Buffer.from(m.data).toString('utf8');
const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

function meta(properties: Record<string, string> = {}): ComponentMetadata {
  return { name: 'mqtt', type: 'pubsub.mqtt3', version: 'v1', appId: 'app', properties: { url: MQTT_URL, ...properties } };
}

/** Client ids whose persistent sessions the suites leave on the broker; purged at the end. */
const sessions = new Set<string>();

function tracked(ps: PubSub): PubSub {
  const subscribe = ps.subscribe.bind(ps);
  return Object.assign(ps, {
    subscribe: (req: Parameters<PubSub['subscribe']>[0], handler: Parameters<PubSub['subscribe']>[1]) => {
      sessions.add(consumerClientId(req.consumerGroup, req.topic));
      return subscribe(req, handler);
    },
  });
}

async function open(properties: Record<string, string> = {}): Promise<PubSub> {
  const ps = tracked(createMqttPubSub(meta(properties)));
  await ps.init();
  return ps;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

if (skipReason === undefined) {
  afterAll(async () => {
    // A clean connect discards a persistent session and what it queued.
    for (const clientId of sessions) {
      const c = await connectAsync(MQTT_URL, { clientId, clean: true, protocolVersion: 4, reconnectPeriod: 0 }).catch(() => undefined);
      await c?.endAsync().catch(() => undefined);
    }
  });
}

describePubSubConformance('pubsub.mqtt3', () => open(), {
  ...(skipReason !== undefined ? { skipReason } : {}),
  // MQTT 3.1.1 has no headers: neither metadata nor the content type travel.
  carriesMetadata: false,
  carriesContentType: false,
  // Within one component instance (one connection per group and filter, round-robin).
  competingConsumers: true,
  fanOut: true,
  // A failed message stays unacknowledged; the session's next connection gets it again.
  redeliversOnHandlerError: { withinMs: 5000 },
  redeliversUnackedAfterClose: { withinMs: 3000 },
  durableAcrossInstances: true,
  wildcards: { separator: '/', single: '+', multi: '#' },
});

/** Forwards local connections to the broker; cut() destroys them, refuse makes new ones fail. */
class CuttableProxy {
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  refuse = false;
  port = 0;
  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      if (this.refuse) {
        client.destroy();
        return;
      }
      const upstream = net.connect(MQTT_PORT, MQTT_HOST);
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
  get url(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }
  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describeBroker(brokerTitle('pubsub.mqtt3 acknowledgement, sessions and retained messages'), () => {
  let proxy: CuttableProxy;
  const components: PubSub[] = [];
  const subs: PubSubSubscription[] = [];
  const make = async (properties: Record<string, string> = {}): Promise<PubSub> => {
    const ps = await open(properties);
    components.push(ps);
    return ps;
  };
  const topic = (what: string): string => `tessera/${run}/${what}`;

  beforeAll(async () => {
    proxy = new CuttableProxy();
    await proxy.start();
  });
  afterEach(() => {
    proxy.refuse = false;
  });
  afterAll(async () => {
    await Promise.allSettled(subs.map((s) => s.close()));
    await Promise.allSettled(components.map((c) => c.close()));
    await proxy.stop();
  });

  it('sends the PUBACK only once the handler resolved: a message in flight when the connection dies goes to the next session', async () => {
    const t = topic('puback');
    const a = await make({ url: proxy.url });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let aCalls = 0;
    const subA = await a.subscribe({ topic: t, consumerGroup: 'g-puback', metadata: {} }, async () => {
      aCalls++;
      await gate;
    });
    await a.publish({ topic: t, data: enc('unacked'), metadata: {} });
    await until(() => aCalls === 1, 5000, 'delivery to A');

    // A loses its connection and cannot come back; B resumes the same session directly.
    proxy.refuse = true;
    proxy.cut();
    const b = await make();
    const got: string[] = [];
    subs.push(await b.subscribe({ topic: t, consumerGroup: 'g-puback', metadata: {} }, async (m) => void got.push(text(m))));
    await until(() => got.length === 1, 5000, 'redelivery to B');
    expect(got).toEqual(['unacked']);

    release();
    await subA.close();
  });

  it('does not hand a message in flight to the handler again when the broker re-sends it after a reconnect, and acks it on the new connection', async () => {
    const t = topic('dup');
    const group = 'g-dup';
    const a = await make({ url: proxy.url });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const calls = new Map<string, number>();
    const subA = await a.subscribe({ topic: t, consumerGroup: group, metadata: {} }, async (m) => {
      calls.set(text(m), (calls.get(text(m)) ?? 0) + 1);
      if (text(m) === 'held') await gate;
    });
    await a.publish({ topic: t, data: enc('held'), metadata: {} });
    await until(() => calls.get('held') === 1, 5000, 'first delivery');

    proxy.cut(); // the client reconnects through the proxy; the broker re-sends 'held' (DUP)
    await a.publish({ topic: t, data: enc('after reconnect'), metadata: {} });
    await until(() => calls.get('after reconnect') === 1, 10_000, 'delivery after reconnect');
    await sleep(300);
    expect(calls.get('held')).toBe(1);

    release();
    await sleep(300);
    await subA.close();
    // The PUBACK went out on the new connection: the session has nothing left for the group.
    const b = await make();
    const later: string[] = [];
    subs.push(await b.subscribe({ topic: t, consumerGroup: group, metadata: {} }, async (m) => void later.push(text(m))));
    await sleep(1000);
    expect(later).toEqual([]);
    expect(calls.get('held')).toBe(1);
  });

  it('acknowledges a failed message with cleanSession true (no session to redeliver from)', async () => {
    const ps = await make({ cleanSession: 'true' });
    const t = topic('clean-fail');
    let calls = 0;
    subs.push(
      await ps.subscribe({ topic: t, consumerGroup: 'g-clean', metadata: {} }, async () => {
        calls++;
        throw new Error('fails');
      }),
    );
    await ps.publish({ topic: t, data: enc('x'), metadata: {} });
    await until(() => calls === 1, 5000, 'delivery');
    await sleep(2500);
    expect(calls).toBe(1);
  });

  it('publishes retained messages (per request or by default) and reports `retained` on delivery', async () => {
    const ps = await make();
    const t = topic('retained');
    try {
      await ps.publish({ topic: t, data: enc('last known'), metadata: { retain: 'true' } });
      const got: PubSubMessage[] = [];
      subs.push(await ps.subscribe({ topic: t, consumerGroup: 'g-retained-late', metadata: {} }, async (m) => void got.push(m)));
      await until(() => got.length === 1, 5000, 'retained delivery');
      expect(text(got[0] as PubSubMessage)).toBe('last known');
      expect(got[0]?.metadata).toEqual({ retained: 'true' });
      await ps.publish({ topic: t, data: enc('live'), metadata: {} });
      await until(() => got.length === 2, 5000, 'live delivery');
      expect(got[1]?.metadata).toEqual({ retained: 'false' });
    } finally {
      // An empty retained message clears the broker's retained one.
      const c = await connectAsync(MQTT_URL, { protocolVersion: 4 });
      await c.publishAsync(t, Buffer.alloc(0), { qos: 1, retain: true });
      await c.endAsync();
    }
  });

  it('keeps the subscriptions of one group on different topics connected side by side', async () => {
    const ps = await make();
    const got: string[] = [];
    subs.push(await ps.subscribe({ topic: topic('side-1'), consumerGroup: 'g-side', metadata: {} }, async (m) => void got.push(text(m))));
    subs.push(await ps.subscribe({ topic: topic('side-2'), consumerGroup: 'g-side', metadata: {} }, async (m) => void got.push(text(m))));
    await sleep(300);
    await ps.publish({ topic: topic('side-1'), data: enc('one'), metadata: {} });
    await ps.publish({ topic: topic('side-2'), data: enc('two'), metadata: {} });
    await until(() => got.length === 2, 5000, 'both deliveries');
    expect(got.sort()).toEqual(['one', 'two']);
  });

  it('delivers with QoS 0', async () => {
    const ps = await make({ qos: '0' });
    const t = topic('qos0');
    const got: string[] = [];
    subs.push(await ps.subscribe({ topic: t, consumerGroup: 'g-qos0', metadata: {} }, async (m) => void got.push(text(m))));
    await ps.publish({ topic: t, data: enc('fire and forget'), metadata: {} });
    await until(() => got.length === 1, 5000, 'delivery');
  });

  it('refuses a publish to a wildcard topic and an invalid filter as bad requests', async () => {
    const ps = await make();
    await expect(ps.publish({ topic: 'a/+/b', data: enc('x'), metadata: {} })).rejects.toMatchObject({ errorKind: 'bad-request' });
    await expect(ps.publish({ topic: topic('x'), data: enc('x'), metadata: { retain: 'perhaps' } })).rejects.toMatchObject({ errorKind: 'bad-request' });
    await expect(ps.subscribe({ topic: 'a/#/b', consumerGroup: 'g-bad', metadata: {} }, async () => undefined)).rejects.toMatchObject({ errorKind: 'bad-request' });
  });

  it('fails init with a backend error when the broker is unreachable', async () => {
    const ps = createMqttPubSub(meta({ url: 'tcp://127.0.0.1:1' }));
    await expect(ps.init()).rejects.toMatchObject({ kind: 'tessera.pubsub-error', errorKind: 'backend' });
    await ps.close();
  });
});
