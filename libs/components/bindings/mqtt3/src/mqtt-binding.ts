// `bindings.mqtt3` (alias `bindings.mqtt`) v1, components.md 5.22, input and output, on mqtt.js
// speaking MQTT 3.1.1, QoS 1 both ways. Two client connections, as Dapr keeps them apart: the
// producer (`<consumerID>-producer`, opened by init()) and, once read() is called, the consumer
// (`<consumerID>-consumer`, clean session per `cleanSession`).
// - Output `create` publishes the data to `topic` (request metadata `topic`/`retain` override)
//   and resolves on the broker's PUBACK; with the producer disconnected it rejects at once with
//   BindingError('backend') instead of queueing.
// - Input subscribes `topic` and runs the handler for each message one at a time, holding the
//   PUBACK until the handler resolved (mqtt.js handleMessage: the ack follows its callback). A
//   rejection is retried backOffMaxRetries times with backoff; after that the message stays
//   unacknowledged (a persistent session, cleanSession=false, gets it again on reconnect).
// - mqtt.js reconnects by itself; the consumer's subscription is restored on reconnect.
import * as mqtt from 'mqtt';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { mqttClientOptions } from '@tessera/common-mqtt';
import { BindingError } from '@tessera/spi';
import type {
  Binding,
  BindingInvokeRequest,
  BindingInvokeResponse,
  BindingReadHandler,
  BindingReader,
  ComponentHost,
  ComponentMetadata,
} from '@tessera/spi';
import { parseMqttBindingMetadata, publishTarget, retryDelayMs } from './mqtt-binding-metadata';
import type { MqttBindingSettings } from './mqtt-binding-metadata';

export const MQTT_OPERATIONS = ['create'] as const;

const CONNECT_TIMEOUT_MS = 5000;
const RECONNECT_PERIOD_MS = 1000;

export function createMqttBinding(meta: ComponentMetadata, host?: ComponentHost): Binding {
  return new MqttBinding(meta, host);
}

class MqttBinding implements Binding {
  private settings: MqttBindingSettings | undefined;
  private producer: MqttClient | undefined;
  private readonly readers = new Set<MqttReader>();
  private closed = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host?: ComponentHost,
  ) {}

  async init(): Promise<void> {
    const s = parseMqttBindingMetadata(this.meta);
    this.settings = s;
    try {
      this.producer = await connectClient(s, `${s.clientId}-producer`, true);
    } catch (e) {
      throw new BindingError('backend', `mqtt binding ${this.meta.name}: cannot connect to ${s.broker.displayUrl}: ${messageOf(e)}`, { cause: e });
    }
  }

  operations(): readonly string[] {
    return MQTT_OPERATIONS;
  }

  async invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    if (req.operation !== 'create') {
      throw new BindingError('bad-request', `mqtt binding ${this.meta.name}: unsupported operation "${req.operation}" (supported: create)`);
    }
    const s = this.settings;
    const client = this.producer;
    if (this.closed || !s || !client) throw new BindingError('closed', `mqtt binding ${this.meta.name} is not initialized or closed`);
    let target;
    try {
      target = publishTarget(s, req.metadata);
    } catch (e) {
      throw new BindingError('bad-request', `mqtt binding ${this.meta.name}: ${messageOf(e)}`);
    }
    if (!client.connected) throw new BindingError('backend', `mqtt binding ${this.meta.name}: not connected to ${s.broker.displayUrl} (reconnecting)`);
    try {
      await client.publishAsync(target.topic, Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength), { qos: 1, retain: target.retain });
    } catch (e) {
      throw new BindingError('backend', `mqtt binding ${this.meta.name}: publishing to ${target.topic} failed: ${messageOf(e)}`, { cause: e });
    }
    return undefined;
  }

  async read(handler: BindingReadHandler): Promise<BindingReader> {
    const s = this.settings;
    if (this.closed || !s) throw new BindingError('closed', `mqtt binding ${this.meta.name} is not initialized or closed`);
    const suffix = this.readers.size === 0 ? '' : `-${this.readers.size}`;
    const reader = new MqttReader(s, handler, this.meta.name, this.host, (r) => this.readers.delete(r));
    try {
      await reader.start(`${s.clientId}-consumer${suffix}`);
    } catch (e) {
      throw new BindingError('backend', `mqtt binding ${this.meta.name}: cannot subscribe to ${s.topic}: ${messageOf(e)}`, { cause: e });
    }
    this.readers.add(reader);
    return reader;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.readers].map((r) => r.close()));
    const p = this.producer;
    this.producer = undefined;
    if (p) await p.endAsync(!p.connected).catch(() => undefined);
  }
}

class MqttReader implements BindingReader {
  private client: MqttClient | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly s: MqttBindingSettings,
    private readonly handler: BindingReadHandler,
    private readonly name: string,
    private readonly host: ComponentHost | undefined,
    private readonly onClosed: (r: MqttReader) => void,
  ) {}

  async start(clientId: string): Promise<void> {
    const client = await connectClient(this.s, clientId, this.s.cleanSession, (c) => {
      // Runs before any PUBLISH can arrive; mqtt.js sends the PUBACK once `done` is called
      // without an error.
      c.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void): void => {
        const p = this.process(packet).then(() => done(), (e: Error) => done(e));
        this.inFlight = p;
      };
    });
    this.client = client;
    try {
      await client.subscribeAsync(this.s.topic, { qos: 1 });
    } catch (e) {
      await client.endAsync(true).catch(() => undefined);
      throw e;
    }
  }

  private async process(packet: IPublishPacket): Promise<void> {
    if (this.stopped) throw new Error('reader closed');
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const event = { data: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), metadata: { topic: packet.topic } };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.handler(event);
        return;
      } catch (e) {
        const max = this.s.backOffMaxRetries;
        if (this.stopped || (max >= 0 && attempt >= max)) {
          this.host?.logger?.warn(`mqtt binding ${this.name}: handler failed; message left unacknowledged`, { topic: packet.topic, error: messageOf(e) });
          throw e instanceof Error ? e : new Error(String(e));
        }
        await new Promise((r) => setTimeout(r, retryDelayMs(attempt + 1)));
      }
    }
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.onClosed(this);
    const c = this.client;
    // No UNSUBSCRIBE: a persistent session (cleanSession=false) keeps collecting messages for
    // the next reader; a clean one is discarded by the broker on disconnect anyway.
    await this.inFlight?.catch(() => undefined);
    if (c) await c.endAsync(!c.connected).catch(() => undefined);
  }
}

/** Connects one client; rejects on the first failure (mqtt.js would retry forever). */
function connectClient(s: MqttBindingSettings, clientId: string, clean: boolean, prepare?: (c: MqttClient) => void): Promise<MqttClient> {
  const opts = mqttClientOptions(s.broker, s.tls, { clientId, clean, connectTimeoutMs: CONNECT_TIMEOUT_MS, reconnectPeriodMs: RECONNECT_PERIOD_MS });
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(opts);
    prepare?.(client);
    const fail = (e: Error): void => {
      cleanup();
      client.end(true);
      reject(e);
    };
    const onError = (e: Error): void => fail(e);
    const onClose = (): void => fail(new Error('connection closed before CONNACK'));
    const onConnect = (): void => {
      cleanup();
      client.on('error', () => undefined); // reconnects are mqtt.js's; errors surface on publish
      resolve(client);
    };
    const cleanup = (): void => {
      client.off('error', onError);
      client.off('close', onClose);
      client.off('connect', onConnect);
    };
    client.on('error', onError);
    client.on('close', onClose);
    client.on('connect', onConnect);
  });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
