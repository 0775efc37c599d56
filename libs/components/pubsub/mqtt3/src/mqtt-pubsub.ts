// `pubsub.mqtt3` (alias `pubsub.mqtt`) on mqtt.js speaking MQTT 3.1.1 (protocolVersion 4),
// components.md 5.8. Topic = MQTT topic (filters with `+`/`#` and `$share/<group>/…` are
// subscribed as given; PubSubMessage.topic is the concrete topic), payload = the message bytes.
// MQTT 3 has no headers: content type and publish metadata do not travel; delivered metadata is
// `retained` ("true"/"false"), as Dapr reports it.
//
// Connections and consumer groups. MQTT 3 has no consumer groups. Dapr's mqtt3 opens one
// connection per sidecar whose client id is `consumerID` (default: the app id) and subscribes
// every topic on it, so two replicas sharing a consumerID take over each other's session (its docs
// say to use `{uuid}` then). Tessera receives the group per subscription and opens one consumer
// connection per (consumerGroup, topic filter) with client id `<consumerGroup>-<hash of filter>`
// (consumerClientId): the session (cleanSession false by default) keeps what was published while
// the group had no subscription, across restarts, and subscriptions of one group on different
// topics never kick each other off. Subscriptions of one group on the same filter inside one
// component share that connection and compete (each message goes to one of them, round-robin);
// different groups have their own connections and each get every message (fan-out). Two
// processes subscribing with the same group and filter take over each other's session, as Dapr's
// replicas do. Publishing uses a separate connection (`<consumerID|appId>-pub-<random>`, clean
// session), so a publisher never takes over a consumer's session.
//
// Acknowledgement. For QoS 1 the PUBACK is sent only after the handler resolved: mqtt.js sends it
// when its handleMessage(packet, callback) calls back without error, and its `customHandleAcks`
// hook only works with MQTT 5, so this component answers handleMessage at once with an error (no
// PUBACK, the client keeps reading other packets — keepalives are not held up by slow handlers)
// and writes the PUBACK itself when the handler settled. A message whose handler rejects is left
// unacknowledged and the consumer connection is re-established shortly after (persistent sessions
// only): MQTT 3 brokers re-send unacknowledged messages only to a new connection of the session, so
// this is how a failed message is redelivered (and how the broker's in-flight window is freed).
// With cleanSession true a failed message is acknowledged (a new connection would drop it anyway).
// PubSubAbandonError: handed to another subscription of the same connection if there is one,
// else left unacknowledged for the next session. QoS 0 has no acknowledgement; with QoS 2 the
// broker considers the message delivered once PUBREC was sent (before the handler runs), so only
// QoS 1 (the default) gives at-least-once handling.
import { randomUUID } from 'node:crypto';
import { connect } from 'mqtt';
import type { IClientOptions, IConnackPacket, IPublishPacket, MqttClient } from 'mqtt';
import { mqttClientOptions } from '@tessera/common-mqtt';
import { ComponentConfigError, PubSubError, isPubSubAbandon, isPubSubError } from '@tessera/spi';
import type {
  ComponentHost,
  ComponentMetadata,
  PubSub,
  PubSubFeature,
  PubSubHandler,
  PubSubMessage,
  PubSubPublishRequest,
  PubSubSubscribeRequest,
  PubSubSubscription,
} from '@tessera/spi';
import { consumerClientId, parseMqttMetadata, publishRetain, unsubscribeOnClose } from './mqtt-metadata';
import type { MqttSettings } from './mqtt-metadata';

const CONNECT_TIMEOUT_MS = 10_000;
const PUBLISH_TIMEOUT_MS = 20_000;
const RECONNECT_PERIOD_MS = 1000;
/** Pause after a failed handler before the consumer connection is re-established (coalesces failures). */
export const RECYCLE_DELAY_MS = 500;

export function createMqttPubSub(meta: ComponentMetadata, host?: ComponentHost): PubSub {
  return new MqttPubSub(meta, host);
}

type Outcome = 'ack' | 'fail' | 'abandon';

/** Passed to mqtt.js's handleMessage callback: "do not acknowledge now". */
const DEFERRED = new Error('tessera: acknowledgement deferred until the handler settled');

interface PacketWriter {
  _sendPacket(packet: { cmd: 'puback'; messageId: number }, cb?: (err?: Error) => void, cbStorePut?: () => void, noStore?: boolean): void;
}

class MqttPubSub implements PubSub {
  private settings: MqttSettings | undefined;
  private producer: MqttClient | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  readonly consumers = new Map<string, ConsumerConnection>();
  /** Consumer connections being ended, by client id: a new one with the same id waits for it. */
  readonly endings = new Map<string, Promise<void>>();

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host?: ComponentHost,
  ) {}

  get s(): MqttSettings {
    if (!this.settings) throw new PubSubError('closed', 'mqtt pub/sub: not initialized');
    return this.settings;
  }

  async init(): Promise<void> {
    this.settings = parseMqttMetadata(this.meta);
    const clientId = `${this.s.clientIdBase}-pub-${randomUUID().slice(0, 8)}`;
    const client = connect(this.clientOptions(clientId, true));
    client.on('error', (e: Error) => this.log('warn', 'mqtt pub/sub: publisher connection error', { error: e.message }));
    try {
      await firstConnect(client, CONNECT_TIMEOUT_MS);
    } catch (e) {
      client.end(true);
      if (e instanceof ComponentConfigError) throw e;
      throw new PubSubError('backend', `mqtt pub/sub: error connecting to ${this.s.displayUrl}: ${messageOf(e)}`, { cause: e });
    }
    this.producer = client;
  }

  features(): readonly PubSubFeature[] {
    return ['subscribe-wildcards'];
  }

  async publish(req: PubSubPublishRequest): Promise<void> {
    this.assertOpen();
    if (!req.topic) throw new PubSubError('bad-request', 'mqtt pub/sub: topic is empty');
    if (/[+#]/.test(req.topic)) throw new PubSubError('bad-request', `mqtt pub/sub: cannot publish to a topic with wildcards: "${req.topic}"`);
    const retain = publishRetain(this.s, req.metadata);
    const producer = this.producer;
    if (!producer) throw new PubSubError('closed', 'mqtt pub/sub: not initialized');
    const payload = Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
    try {
      // Resolves on PUBACK (QoS 1) / PUBCOMP (QoS 2); while reconnecting mqtt.js holds the packet.
      await withTimeout(producer.publishAsync(req.topic, payload, { qos: this.s.qos, retain }), PUBLISH_TIMEOUT_MS, 'no acknowledgement from the broker');
    } catch (e) {
      if (this.closed) throw new PubSubError('closed', 'mqtt pub/sub: component closed while publishing', { cause: e });
      throw new PubSubError('backend', `mqtt pub/sub: publishing to "${req.topic}" failed: ${messageOf(e)}`, { cause: e });
    }
  }

  async subscribe(req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription> {
    this.assertOpen();
    if (!req.topic) throw new PubSubError('bad-request', 'mqtt pub/sub: topic is empty');
    if (!req.consumerGroup) throw new PubSubError('bad-request', 'mqtt pub/sub: a consumer group (consumerID) is required');
    const clientId = consumerClientId(req.consumerGroup, req.topic);
    let conn = this.consumers.get(clientId);
    if (!conn) {
      conn = new ConsumerConnection(this, clientId, req.topic);
      this.consumers.set(clientId, conn);
    }
    const sub = new MqttSubscription(conn, handler, unsubscribeOnClose(req.metadata));
    conn.add(sub);
    try {
      await conn.ready();
    } catch (e) {
      await sub.close();
      if (this.closed) throw new PubSubError('closed', 'mqtt pub/sub: component closed while subscribing', { cause: e });
      if (isPubSubError(e)) throw e;
      throw new PubSubError('backend', `mqtt pub/sub: subscribing to "${req.topic}" failed: ${messageOf(e)}`, { cause: e });
    }
    return sub;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.consumers.values()].flatMap((c) => c.subscriptions().map((s) => s.close())));
    await Promise.allSettled([...this.consumers.values()].map((c) => c.end(false)));
    await Promise.allSettled([...this.endings.values()]);
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await endClient(producer);
  }

  isClosed(): boolean {
    return this.closed;
  }

  clientOptions(clientId: string, clean: boolean): IClientOptions {
    return mqttClientOptions(this.s, this.s, { clientId, clean, connectTimeoutMs: CONNECT_TIMEOUT_MS, reconnectPeriodMs: RECONNECT_PERIOD_MS });
  }

  private assertOpen(): void {
    if (this.closed) throw new PubSubError('closed', 'mqtt pub/sub: component is closed');
  }

  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.host?.logger?.[level](msg, { component: this.meta.name, ...fields });
  }
}

interface InflightEntry {
  state: 'running' | 'ack-pending';
}

/** One MQTT connection (one session) for the subscriptions of one group on one topic filter. */
class ConsumerConnection {
  private readonly subs: MqttSubscription[] = [];
  private next = 0;
  private client: MqttClient | undefined;
  private starting: Promise<void> | undefined;
  private ending: Promise<void> | undefined;
  private recycleTimer: NodeJS.Timeout | undefined;
  /** QoS 1 packets handed to a handler and not yet acknowledged, by packet id. */
  private readonly inflight = new Map<number, InflightEntry>();

  constructor(
    private readonly owner: MqttPubSub,
    readonly clientId: string,
    readonly filter: string,
  ) {}

  subscriptions(): MqttSubscription[] {
    return [...this.subs];
  }

  add(sub: MqttSubscription): void {
    this.subs.push(sub);
  }

  ready(): Promise<void> {
    this.starting ??= this.start();
    return this.starting;
  }

  private async start(): Promise<void> {
    await this.owner.endings.get(this.clientId);
    if (this.ending) throw new PubSubError('closed', 'mqtt pub/sub: subscription closed while connecting');
    const s = this.owner.s;
    const client = connect({ ...this.owner.clientOptions(this.clientId, s.cleanSession), manualConnect: true });
    this.client = client;
    client.on('error', (e: Error) => this.owner.log('warn', `mqtt pub/sub: consumer connection ${this.clientId} error`, { error: e.message }));
    client.on('connect', (ack: IConnackPacket) => {
      // A new session forgot every unacknowledged packet id: nothing in flight may be acked on it.
      if (!ack.sessionPresent) this.inflight.clear();
    });
    client.on('offline', () => this.owner.log('warn', `mqtt pub/sub: consumer connection ${this.clientId} lost; reconnecting`));
    client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void): void => {
      if (packet.qos === 1 && typeof packet.messageId === 'number') {
        this.onReliable(client, packet);
        callback(DEFERRED);
      } else {
        void this.dispatch(packet);
        callback();
      }
    };
    client.connect();
    try {
      await firstConnect(client, CONNECT_TIMEOUT_MS);
      const granted = await client.subscribeAsync(this.filter, { qos: s.qos });
      const refused = granted.find((g) => g.qos === 128);
      if (refused) throw new PubSubError('backend', `mqtt pub/sub: the broker refused the subscription to "${this.filter}"`);
    } catch (e) {
      client.end(true);
      if (e instanceof Error && /invalid topic/i.test(e.message)) {
        throw new PubSubError('bad-request', `mqtt pub/sub: invalid topic filter "${this.filter}"`, { cause: e });
      }
      throw e;
    }
  }

  private onReliable(client: MqttClient, packet: IPublishPacket): void {
    const id = packet.messageId as number;
    const known = this.inflight.get(id);
    if (known) {
      // The broker sent the packet again (new connection of the same session).
      if (known.state === 'ack-pending') {
        this.inflight.delete(id);
        puback(client, id);
      }
      // 'running': its handler is still busy; the PUBACK follows when it settles.
      return;
    }
    const entry: InflightEntry = { state: 'running' };
    this.inflight.set(id, entry);
    void this.dispatch(packet).then((outcome) => this.settle(id, entry, outcome));
  }

  private settle(id: number, entry: InflightEntry, outcome: Outcome): void {
    if (this.inflight.get(id) !== entry) return;
    const clean = this.owner.s.cleanSession;
    if (outcome === 'ack' || (outcome === 'fail' && clean)) {
      const client = this.client;
      if (client?.connected) {
        this.inflight.delete(id);
        puback(client, id);
      } else {
        // Sent when the broker hands the packet to the next connection of the session.
        entry.state = 'ack-pending';
      }
      return;
    }
    this.inflight.delete(id);
    if (outcome === 'fail') this.scheduleRecycle();
  }

  /** Hands the message to one subscription (round-robin); an abandoning one passes it on. */
  private async dispatch(packet: IPublishPacket): Promise<Outcome> {
    const message: PubSubMessage = {
      topic: packet.topic,
      data: typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload,
      metadata: { retained: String(packet.retain === true) },
    };
    const tried = new Set<MqttSubscription>();
    for (;;) {
      const sub = this.pick(tried);
      if (!sub) return 'abandon';
      tried.add(sub);
      const outcome = await sub.handle(message);
      if (outcome === 'fail') {
        this.owner.log('warn', `mqtt pub/sub: handler failed for a message of "${message.topic}"`, {
          qos: packet.qos,
          redelivery: packet.qos === 1 && !this.owner.s.cleanSession,
        });
      }
      if (outcome !== 'abandon') return outcome;
    }
  }

  private pick(exclude: ReadonlySet<MqttSubscription>): MqttSubscription | undefined {
    const n = this.subs.length;
    for (let i = 0; i < n; i++) {
      const sub = this.subs[(this.next + i) % n];
      if (sub && sub.active && !exclude.has(sub)) {
        this.next = (this.next + i + 1) % n;
        return sub;
      }
    }
    return undefined;
  }

  /** MQTT 3 re-sends unacknowledged messages only to a new connection of the session. */
  private scheduleRecycle(): void {
    if (this.owner.s.cleanSession || this.recycleTimer || this.ending) return;
    this.recycleTimer = setTimeout(() => {
      this.recycleTimer = undefined;
      const client = this.client;
      if (!client || this.ending) return;
      this.owner.log('info', `mqtt pub/sub: reconnecting ${this.clientId} to get failed messages redelivered`);
      client.end(true, () => {
        if (!this.ending) client.reconnect();
      });
    }, RECYCLE_DELAY_MS);
    this.recycleTimer.unref?.();
  }

  /** A subscription closed: the last one ends the connection (the session stays with the broker). */
  async release(sub: MqttSubscription): Promise<void> {
    const i = this.subs.indexOf(sub);
    if (i >= 0) this.subs.splice(i, 1);
    if (this.subs.length === 0) await this.end(sub.unsubscribeOnClose);
  }

  end(unsubscribe: boolean): Promise<void> {
    this.ending ??= this.doEnd(unsubscribe);
    return this.ending;
  }

  private async doEnd(unsubscribe: boolean): Promise<void> {
    if (this.recycleTimer) clearTimeout(this.recycleTimer);
    this.recycleTimer = undefined;
    if (this.owner.consumers.get(this.clientId) === this) this.owner.consumers.delete(this.clientId);
    const done = (async () => {
      await this.starting?.catch(() => undefined);
      const client = this.client;
      if (!client) return;
      if ((unsubscribe || this.owner.s.cleanSession) && client.connected) {
        await withTimeout(client.unsubscribeAsync(this.filter), CONNECT_TIMEOUT_MS, 'no UNSUBACK').catch((e: unknown) =>
          this.owner.log('warn', `mqtt pub/sub: unsubscribing "${this.filter}" failed`, { error: messageOf(e) }),
        );
      }
      await endClient(client);
    })();
    this.owner.endings.set(this.clientId, done);
    try {
      await done;
    } finally {
      if (this.owner.endings.get(this.clientId) === done) this.owner.endings.delete(this.clientId);
    }
  }
}

class MqttSubscription implements PubSubSubscription {
  active = true;
  private readonly inflight = new Set<Promise<Outcome>>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly conn: ConsumerConnection,
    private readonly handler: PubSubHandler,
    readonly unsubscribeOnClose: boolean,
  ) {}

  handle(message: PubSubMessage): Promise<Outcome> {
    if (!this.active) return Promise.resolve('abandon');
    const p = Promise.resolve(message)
      .then((m) => this.handler(m))
      .then(
      (): Outcome => 'ack',
      (e: unknown): Outcome => (isPubSubAbandon(e) ? 'abandon' : 'fail'),
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.active = false;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.conn.release(this);
  }
}

function puback(client: MqttClient, messageId: number): void {
  // mqtt.js has no public call to acknowledge later under MQTT 3.1.1 (customHandleAcks is MQTT 5
  // only); _sendPacket with noStore writes the PUBACK as its own handler would have.
  (client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId }, undefined, undefined, true);
}

function firstConnect(client: MqttClient, timeoutMs: number): Promise<IConnackPacket> {
  return new Promise<IConnackPacket>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
    };
    const onConnect = (ack: IConnackPacket): void => {
      cleanup();
      resolve(ack);
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no CONNACK within ${timeoutMs} ms`));
    }, timeoutMs);
    client.on('connect', onConnect);
    client.on('error', onError);
  });
}

async function endClient(client: MqttClient): Promise<void> {
  await withTimeout(
    new Promise<void>((resolve) => client.end(!client.connected, () => resolve())),
    CONNECT_TIMEOUT_MS,
    'no clean disconnect',
  ).catch(() => client.end(true));
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
