// bindings.mqtt3 against the real Mosquitto on loopback (skipped loudly when unreachable), plus
// the pure metadata mapping. Topics and client ids are unique per run.
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import * as mqtt from 'mqtt';
import type { Binding, BindingReadEvent, ComponentMetadata } from '@tessera/spi';
import { mqttSkipReason, testMqttUrl, urlHostPort } from '@tessera/testing';
import { createMqttBinding } from './mqtt-binding';
import { parseMqttBindingMetadata, publishTarget, retryDelayMs } from './mqtt-binding-metadata';

const URL_ = testMqttUrl();
const { host: MQTT_HOST, port: MQTT_PORT } = urlHostPort(URL_, 1883);

function meta(properties: Record<string, string>): ComponentMetadata {
  return { name: 'mq', type: 'bindings.mqtt3', version: 'v1', appId: 'app', properties };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
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

describe('bindings.mqtt3 metadata', () => {
  it('applies Dapr defaults and reads every field', () => {
    expect(parseMqttBindingMetadata(meta({ url: 'tcp://127.0.0.1:1883', topic: 't' }))).toEqual({
      broker: { protocol: 'mqtt', host: '127.0.0.1', port: 1883, displayUrl: 'tcp://127.0.0.1:1883' }, topic: 't', clientId: 'app', retain: false, cleanSession: true, backOffMaxRetries: 0, tls: {},
    });
    expect(parseMqttBindingMetadata(meta({ url: 'ssl://u:p@h:8883', topic: 'a/+', consumerID: 'c1', retain: 'true', cleanSession: 'false', backOffMaxRetries: '-1' }))).toMatchObject({
      clientId: 'c1', retain: true, cleanSession: false, backOffMaxRetries: -1,
    });
  });

  it('lets request metadata override topic and retain', () => {
    const s = parseMqttBindingMetadata(meta({ url: URL_, topic: 'base' }));
    expect(publishTarget(s, {})).toEqual({ topic: 'base', retain: false });
    expect(publishTarget(s, { topic: 'other/x', retain: 'true' })).toEqual({ topic: 'other/x', retain: true });
    expect(() => publishTarget(s, { retain: 'perhaps' })).toThrow(/retain/);
    expect(() => publishTarget(s, { topic: 'a/#' })).toThrow(/wildcard/);
    expect([1, 2, 3, 10].map(retryDelayMs)).toEqual([100, 200, 400, 5000]);
  });

  it('refuses bad metadata naming the field', () => {
    const fieldOf = (p: Record<string, string>): string | undefined => {
      try {
        parseMqttBindingMetadata(meta(p));
      } catch (e) {
        return (e as { field?: string }).field;
      }
      return undefined;
    };
    expect(fieldOf({ topic: 't' })).toBe('url');
    expect(fieldOf({ url: 'http://h', topic: 't' })).toBe('url');
    expect(fieldOf({ url: URL_ })).toBe('topic');
    expect(fieldOf({ url: URL_, topic: 't', cleanSession: 'x' })).toBe('cleanSession');
    expect(fieldOf({ url: URL_, topic: 't', backOffMaxRetries: '-2' })).toBe('backOffMaxRetries');
    expect(fieldOf({ url: URL_, topic: 't', clientKey: 'k' })).toBe('clientCert');
  });
});

const skipReason = mqttSkipReason(URL_);
if (skipReason) console.warn(`bindings.mqtt3 suite skipped: ${skipReason}`);

(skipReason === undefined ? describe : describe.skip)(`bindings.mqtt3 against Mosquitto${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const run = randomUUID().slice(0, 8);
  const topic = (name: string): string => `tessera/binding/${run}/${name}`;
  const open: Binding[] = [];
  let raw: mqtt.MqttClient;

  async function binding(props: Record<string, string>): Promise<Binding> {
    const b = createMqttBinding(meta({ url: URL_, consumerID: `tessera-${run}-${randomUUID().slice(0, 6)}`, ...props }));
    open.push(b);
    await b.init();
    return b;
  }

  beforeAll(async () => {
    raw = await mqtt.connectAsync(URL_, { clientId: `tessera-raw-${run}` });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await raw.endAsync();
  });

  async function collect(t: string): Promise<Array<{ topic: string; payload: string; retain: boolean }>> {
    const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
    raw.on('message', (tp, payload, packet) => {
      if (tp === t) got.push({ topic: tp, payload: payload.toString(), retain: packet.retain });
    });
    await raw.subscribeAsync(t, { qos: 1 });
    return got;
  }

  it('is input and output with the create operation; refuses others with bad-request', async () => {
    const b = await binding({ topic: topic('ops') });
    expect(b.operations?.()).toEqual(['create']);
    expect(typeof b.read).toBe('function');
    await expect(b.invoke?.({ operation: 'delete', data: enc('x'), metadata: {} })).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'bad-request' });
    await expect(create(b, 'x', { retain: 'sometimes' })).rejects.toMatchObject({ errorKind: 'bad-request' });
  });

  it('create publishes the bytes to the topic; metadata topic and retain override', async () => {
    const t = topic('out');
    const t2 = topic('out2');
    const got = await collect(t);
    const got2 = await collect(t2);
    const b = await binding({ topic: t });
    expect(await create(b, '{"n":1}')).toBeUndefined();
    await create(b, 'elsewhere', { topic: t2 });
    await waitFor(() => got.length === 1 && got2.length === 1, 3000);
    expect(got[0]).toEqual({ topic: t, payload: '{"n":1}', retain: false });
    expect(got2[0]?.payload).toBe('elsewhere');
    // retain: a subscriber arriving later still gets the message.
    const rt = topic('retained');
    await create(b, 'kept', { topic: rt, retain: 'true' });
    const late = await mqtt.connectAsync(URL_, { clientId: `tessera-late-${run}` });
    const retained: string[] = [];
    late.on('message', (_t, p, packet) => packet.retain && retained.push(p.toString()));
    await late.subscribeAsync(rt, { qos: 1 });
    await waitFor(() => retained.length === 1, 3000);
    expect(retained).toEqual(['kept']);
    await late.publishAsync(rt, '', { retain: true, qos: 1 }); // clear the retained message
    await late.endAsync();
  });

  it('read delivers messages with their topic and acks after the handler', async () => {
    const t = topic('in');
    const b = await binding({ topic: t });
    const events: BindingReadEvent[] = [];
    const r = await reader(b)(async (e) => {
      events.push(e);
    });
    await raw.publishAsync(t, '"hello"', { qos: 1 });
    await create(b, 'from the binding itself');
    await waitFor(() => events.length === 2, 3000);
    expect(events.map((e) => dec(e.data))).toEqual(['"hello"', 'from the binding itself']);
    expect(events[0]?.metadata).toEqual({ topic: t });
    await r.close();
  });

  it('handles one message at a time and retries a failing handler backOffMaxRetries times', async () => {
    const t = topic('retry');
    const b = await binding({ topic: t, backOffMaxRetries: '2' });
    let calls = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const done: string[] = [];
    const r = await reader(b)(async (e) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await sleep(20);
      concurrent--;
      if (dec(e.data) === 'flaky' && ++calls < 3) throw new Error('not yet');
      done.push(dec(e.data));
    });
    await raw.publishAsync(t, 'flaky', { qos: 1 });
    await raw.publishAsync(t, 'next', { qos: 1 });
    await waitFor(() => done.length === 2, 5000);
    expect(calls).toBe(3);
    expect(done).toEqual(['flaky', 'next']);
    expect(maxConcurrent).toBe(1);
    await r.close();
  });

  it('withholds the PUBACK of a failed message: a persistent session gets it again, an acked one not', async () => {
    const t = topic('persist');
    const consumerID = `tessera-${run}-persist`;
    const b1 = await binding({ topic: t, consumerID, cleanSession: 'false' });
    const first: string[] = [];
    const r1 = await reader(b1)(async (e) => {
      first.push(dec(e.data));
      if (dec(e.data) === 'fail') throw new Error('app failed');
    });
    await raw.publishAsync(t, 'ok', { qos: 1 });
    await raw.publishAsync(t, 'fail', { qos: 1 });
    await waitFor(() => first.length === 2, 3000);
    await r1.close();
    await b1.close();
    const b2 = await binding({ topic: t, consumerID, cleanSession: 'false' });
    const second: string[] = [];
    const r2 = await reader(b2)(async (e) => {
      second.push(dec(e.data));
    });
    await waitFor(() => second.length >= 1, 5000);
    await sleep(300);
    expect(second).toEqual(['fail']);
    await r2.close();
    // Clean the persistent session up.
    const cleaner = await mqtt.connectAsync(URL_, { clientId: `${consumerID}-consumer`, clean: true });
    await cleaner.endAsync();
  });

  it('reports an unreachable broker as BindingError(backend), at init and mid-flight', async () => {
    await expect(createMqttBinding(meta({ url: 'tcp://127.0.0.1:1', topic: topic('down') })).init()).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'backend' });
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(MQTT_PORT, MQTT_HOST);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((res) => proxy.listen(0, '127.0.0.1', res));
    const port = (proxy.address() as net.AddressInfo).port;
    const b = createMqttBinding(meta({ url: `tcp://127.0.0.1:${port}`, topic: topic('proxy'), consumerID: `tessera-${run}-proxy` }));
    open.push(b);
    await b.init();
    await create(b, 'before');
    await new Promise<void>((res) => {
      proxy.close(() => res());
      for (const s of sockets) s.destroy();
    });
    await sleep(50);
    await expect(create(b, 'during')).rejects.toMatchObject({ errorKind: 'backend' });
    await b.close();
  });

  it('answers BindingError(closed) after close()', async () => {
    const b = await binding({ topic: topic('closed') });
    await b.close();
    await expect(create(b, 'x')).rejects.toMatchObject({ errorKind: 'closed' });
    await expect(reader(b)(async () => undefined)).rejects.toMatchObject({ errorKind: 'closed' });
  });
});
