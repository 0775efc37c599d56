// `pubsub.redis` on Redis Streams in Dapr's layout and protocol (components.md 5.5; the field
// layout is in redis-streams-layout.ts):
// - publish: one XADD per message on the shared command connection.
// - subscribe: XGROUP CREATE <topic> <consumerGroup> 0 MKSTREAM (BUSYGROUP ignored), then a read
//   loop of XREADGROUP GROUP <consumerGroup> <consumer> COUNT <room> BLOCK ... STREAMS <topic> >
//   on a connection of its own (a blocked connection cannot serve anyone else). The consumer name
//   is `<consumerGroup>-<uuid>`, unique per subscription, so entries delivered to one
//   subscription are pending under its name only and can be told apart when reclaimed.
// - entries wait in a queue of at most `queueDepth` and `concurrency` workers run the handler;
//   after it resolves the entry is XACKed; after it rejects it is XACKed too (the runtime has
//   already applied its retry policy and dead-letter topic) unless `processingTimeout` passed since
//   the entry was read, in which case it stays pending and is reclaimed. A handler that abandons
//   the message (PubSubAbandonError) leaves it pending as well.
// - every `redeliverInterval` (and once when the subscription starts): XPENDING IDLE
//   <processingTimeout> lists up to queueDepth entries idle that long, under any consumer of the
//   group (e.g. a crashed sidecar's), XCLAIM moves them to this subscription and they are run
//   again. Entries that no longer exist in the stream (trimmed or XDELed) are XACKed so they leave
//   the pending list. Needs Redis >= 6.2 (XPENDING IDLE).
// - close(): stop reading, wait for the handlers in flight (their outcome is applied), leave every
//   other delivered entry pending for reclaim; the consumer name is deleted from the group when
//   nothing is pending under it any more. A sidecar that dies leaves its consumer name behind in
//   XINFO CONSUMERS (its pending entries are reclaimed by the others).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient, redisAddress } from '@tessera/common-redis';
import { PubSubError, isPubSubAbandon } from '@tessera/spi';
import type {
  ComponentHost,
  ComponentMetadata,
  PubSub,
  PubSubFeature,
  PubSubHandler,
  PubSubPublishRequest,
  PubSubSubscribeRequest,
  PubSubSubscription,
} from '@tessera/spi';
import { parseRedisPubSubMetadata } from './redis-pubsub-metadata';
import type { RedisPubSubSettings } from './redis-pubsub-metadata';
import { parseEntryFields, xaddArgs } from './redis-streams-layout';

/** How long one XREADGROUP blocks server-side before the loop asks again. */
const BLOCK_MS = 2000;
/** Pause after a failed read before trying again (connection trouble). */
const READ_RETRY_MS = 1000;

const FEATURES: readonly PubSubFeature[] = [];

type Logger = NonNullable<ComponentHost['logger']>;

export function createRedisPubSub(meta: ComponentMetadata, host: ComponentHost = {}): PubSub {
  return new RedisStreamsPubSub(meta, host);
}

class RedisStreamsPubSub implements PubSub {
  private settings: RedisPubSubSettings | undefined;
  private client: Redis | undefined;
  private readonly subs = new Set<StreamSubscription>();
  private lastError: Error | undefined;
  private closed = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host: ComponentHost,
  ) {}

  async init(): Promise<void> {
    const s = parseRedisPubSubMetadata(this.meta);
    this.settings = s;
    const client = createRedisClient(s.connection, {
      connectionName: `tessera-pubsub-${this.meta.name}`,
      onError: (e) => {
        this.lastError = e;
      },
    });
    try {
      await client.connect();
      await client.ping();
    } catch (e) {
      client.disconnect();
      const cause = this.lastError ?? e;
      throw new PubSubError('backend', `redis streams: error connecting to redis at ${redisAddress(s.connection)}: ${messageOf(cause)}`, { cause });
    }
    this.client = client;
  }

  features(): readonly PubSubFeature[] {
    return FEATURES;
  }

  async publish(req: PubSubPublishRequest): Promise<void> {
    const client = this.connected();
    const s = this.settings as RedisPubSubSettings;
    if (req.topic === '') throw new PubSubError('bad-request', 'redis streams: topic is empty');
    try {
      await client.call('XADD', ...xaddArgs(req, s, Date.now()));
    } catch (e) {
      throw new PubSubError('backend', `redis streams: error from publish: ${messageOf(e)}`, { cause: e });
    }
  }

  async subscribe(req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription> {
    const client = this.connected();
    const s = this.settings as RedisPubSubSettings;
    if (req.topic === '') throw new PubSubError('bad-request', 'redis streams: topic is empty');
    if (req.consumerGroup === '') throw new PubSubError('bad-request', 'redis streams: consumer group (consumerID) is empty');
    const consumer = `${req.consumerGroup}-${randomUUID()}`;
    let readerError: Error | undefined;
    const reader = createRedisClient(s.connection, {
      connectionName: `tessera-pubsub-${this.meta.name}-reader`,
      blocking: true,
      onError: (e) => {
        readerError = e;
      },
    });
    const sub = new StreamSubscription(client, reader, s, req.topic, req.consumerGroup, consumer, handler, this.host.logger, () => this.subs.delete(sub));
    try {
      await reader.connect();
      await sub.ensureGroup();
    } catch (e) {
      reader.disconnect();
      const cause = readerError ?? e;
      throw new PubSubError('backend', `redis streams: error subscribing to ${req.topic} as ${req.consumerGroup}: ${messageOf(cause)}`, { cause });
    }
    if (this.closed) {
      reader.disconnect();
      throw new PubSubError('closed', 'redis streams: pub/sub component is closed');
    }
    this.subs.add(sub);
    sub.start();
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subs].map((sub) => sub.close()));
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    }
  }

  private connected(): Redis {
    if (this.closed) throw new PubSubError('closed', 'redis streams: pub/sub component is closed');
    if (this.client === undefined) throw new PubSubError('closed', 'redis streams: pub/sub component is not initialised');
    return this.client;
  }
}

interface Delivery {
  readonly id: string;
  readonly fields: Buffer[] | null;
  /** When the entry was read or claimed: the processing deadline runs from here. */
  readonly at: number;
}

class StreamSubscription implements PubSubSubscription {
  private readonly queue: Delivery[] = [];
  /** Ids queued or being handled, so neither the reader nor a reclaim dispatches one twice. */
  private readonly active = new Set<string>();
  private workerWaiters: Array<() => void> = [];
  private roomWaiter: (() => void) | undefined;
  private stopping = false;
  private readLoop: Promise<void> = Promise.resolve();
  private workers: Array<Promise<void>> = [];
  private reclaimTimer: NodeJS.Timeout | undefined;
  private reclaiming: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly client: Redis,
    private readonly reader: Redis,
    private readonly s: RedisPubSubSettings,
    private readonly topic: string,
    private readonly group: string,
    private readonly consumer: string,
    private readonly handler: PubSubHandler,
    private readonly logger: Logger | undefined,
    private readonly onClosed: () => void,
  ) {}

  async ensureGroup(): Promise<void> {
    try {
      await this.client.call('XGROUP', 'CREATE', this.topic, this.group, '0', 'MKSTREAM');
    } catch (e) {
      if (!messageOf(e).includes('BUSYGROUP')) throw e;
    }
  }

  start(): void {
    this.readLoop = this.runReader();
    for (let i = 0; i < this.s.concurrency; i++) this.workers.push(this.runWorker());
    if (this.s.redeliverIntervalMs > 0 && this.s.processingTimeoutMs > 0) {
      this.reclaimSoon(0);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.stopping = true;
    if (this.reclaimTimer) clearTimeout(this.reclaimTimer);
    // Interrupt a blocked XREADGROUP; whatever it had already taken stays pending for reclaim.
    this.reader.disconnect();
    this.wakeAll();
    await this.readLoop;
    for (const d of this.queue.splice(0)) this.active.delete(d.id);
    this.wakeAll();
    await Promise.all(this.workers);
    await this.reclaiming;
    await this.forgetConsumerIfIdle();
    this.onClosed();
  }

  // ---- reading ----

  private async runReader(): Promise<void> {
    while (!this.stopping) {
      const room = await this.waitForRoom();
      if (this.stopping) break;
      let reply: unknown;
      try {
        reply = await this.reader.callBuffer(
          'XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', room, 'BLOCK', BLOCK_MS, 'STREAMS', this.topic, '>',
        );
      } catch (e) {
        if (this.stopping) break;
        if (messageOf(e).includes('NOGROUP')) {
          // The stream or the group was deleted under us: create them again and go on.
          await this.ensureGroup().catch((err: unknown) => this.warn('error re-creating the consumer group', err));
        } else {
          this.warn('error reading from the stream', e);
          await sleep(READ_RETRY_MS);
        }
        continue;
      }
      const now = Date.now();
      for (const [id, fields] of streamEntries(reply)) this.enqueue({ id, fields, at: now });
    }
  }

  /** Resolves with how many entries may be read (queueDepth minus what is queued). */
  private async waitForRoom(): Promise<number> {
    while (!this.stopping && this.queue.length >= this.s.queueDepth) {
      await new Promise<void>((resolve) => (this.roomWaiter = resolve));
    }
    return Math.max(1, this.s.queueDepth - this.queue.length);
  }

  private enqueue(d: Delivery): void {
    if (this.stopping || this.active.has(d.id)) return;
    this.active.add(d.id);
    this.queue.push(d);
    this.workerWaiters.shift()?.();
  }

  // ---- handling ----

  private async runWorker(): Promise<void> {
    for (;;) {
      const d = await this.take();
      if (d === undefined) return;
      try {
        await this.handle(d);
      } finally {
        this.active.delete(d.id);
      }
    }
  }

  private async take(): Promise<Delivery | undefined> {
    for (;;) {
      if (this.stopping) return undefined;
      const d = this.queue.shift();
      if (d !== undefined) {
        const wake = this.roomWaiter;
        this.roomWaiter = undefined;
        wake?.();
        return d;
      }
      await new Promise<void>((resolve) => this.workerWaiters.push(resolve));
    }
  }

  private async handle(d: Delivery): Promise<void> {
    const entry = d.fields === null ? undefined : parseEntryFields(d.fields, (raw) => this.warn(`entry ${d.id} has metadata that is not a JSON object; delivered without it`, raw));
    if (entry === undefined) {
      // Deleted entry (nil fields) or a foreign entry without `data`: nothing to deliver.
      if (d.fields !== null) this.warn(`entry ${d.id} has no "data" field; acknowledged without delivery`);
      await this.ack(d.id);
      return;
    }
    try {
      await this.handler({ topic: this.topic, data: entry.data, metadata: entry.metadata, ...(entry.contentType !== undefined ? { contentType: entry.contentType } : {}) });
    } catch (e) {
      if (isPubSubAbandon(e)) return;
      if (this.s.processingTimeoutMs > 0 && Date.now() - d.at >= this.s.processingTimeoutMs) {
        this.warn(`handler for entry ${d.id} failed after processingTimeout; left pending for redelivery`, e);
        return;
      }
    }
    await this.ack(d.id);
  }

  private async ack(id: string): Promise<void> {
    try {
      await this.client.xack(this.topic, this.group, id);
    } catch (e) {
      this.warn(`error acknowledging entry ${id}`, e);
    }
  }

  // ---- reclaiming ----

  private reclaimSoon(delayMs: number): void {
    if (this.stopping) return;
    this.reclaimTimer = setTimeout(() => {
      this.reclaiming = this.reclaim()
        .catch((e: unknown) => this.warn('error reclaiming pending entries', e))
        .finally(() => {
          this.reclaiming = undefined;
          this.reclaimSoon(this.s.redeliverIntervalMs);
        });
    }, delayMs);
    this.reclaimTimer.unref?.();
  }

  private async reclaim(): Promise<void> {
    const minIdle = this.s.processingTimeoutMs;
    const pending = (await this.client.call('XPENDING', this.topic, this.group, 'IDLE', minIdle, '-', '+', this.s.queueDepth)) as unknown;
    if (this.stopping || !Array.isArray(pending)) return;
    const ids = pending.map((p) => String((p as unknown[])[0])).filter((id) => !this.active.has(id));
    if (ids.length === 0) return;
    const claimed = await this.client.callBuffer('XCLAIM', this.topic, this.group, this.consumer, minIdle, ...ids);
    const now = Date.now();
    const seen = new Set<string>();
    for (const [id, fields] of entryList(claimed)) {
      seen.add(id);
      if (fields === null) await this.ack(id);
      else this.enqueue({ id, fields, at: now });
    }
    // Not claimed: either another consumer got there first (it is no longer idle) or the entry
    // vanished from the stream (trimmed, XDEL). Only the latter is acknowledged.
    for (const id of ids) {
      if (seen.has(id)) continue;
      const still = (await this.client.call('XRANGE', this.topic, id, id, 'COUNT', '1')) as unknown[];
      if (Array.isArray(still) && still.length === 0) await this.ack(id);
    }
  }

  private async forgetConsumerIfIdle(): Promise<void> {
    try {
      const mine = (await this.client.call('XPENDING', this.topic, this.group, '-', '+', '1', this.consumer)) as unknown[];
      if (Array.isArray(mine) && mine.length === 0) await this.client.call('XGROUP', 'DELCONSUMER', this.topic, this.group, this.consumer);
    } catch {
      // Housekeeping only: a leftover consumer name with nothing pending is harmless.
    }
  }

  private wakeAll(): void {
    const waiters = this.workerWaiters;
    this.workerWaiters = [];
    for (const w of waiters) w();
    const room = this.roomWaiter;
    this.roomWaiter = undefined;
    room?.();
  }

  private warn(msg: string, err?: unknown): void {
    this.logger?.warn(`redis streams ${this.topic}/${this.group}: ${msg}`, err === undefined ? undefined : { err: messageOf(err) });
  }
}

/**
 * Entries of an XREADGROUP reply: null (timeout), RESP2's `[[key, entries], ...]`, or RESP3's
 * map, which ioredis's generic call() hands back flattened as `[key, entries, ...]`.
 */
function streamEntries(reply: unknown): Array<[string, Buffer[] | null]> {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const out: Array<[string, Buffer[] | null]> = [];
  if (Array.isArray(reply[0])) {
    for (const stream of reply) if (Array.isArray(stream)) out.push(...entryList(stream[1]));
  } else {
    for (let i = 1; i < reply.length; i += 2) out.push(...entryList(reply[i]));
  }
  return out;
}

/** `[[id, fields | null], ...]` as returned by XREADGROUP per stream and by XCLAIM. */
function entryList(list: unknown): Array<[string, Buffer[] | null]> {
  if (!Array.isArray(list)) return [];
  const out: Array<[string, Buffer[] | null]> = [];
  for (const item of list) {
    if (!Array.isArray(item) || item[0] === undefined || item[0] === null) continue;
    const fields = Array.isArray(item[1]) ? (item[1] as Buffer[]) : null;
    out.push([String(item[0]), fields]);
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
