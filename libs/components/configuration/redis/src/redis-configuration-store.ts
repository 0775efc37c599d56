// `configuration.redis` v1 on a single Redis node, in Dapr's layout (components.md 5.12): plain
// string keys (no app prefix) holding `<value>` or `<value>||<version>`. Subscriptions listen to
// keyspace notifications (`__keyspace@<db>__:<key>`, or the `…:*` pattern for "every key") on one
// shared subscriber connection, and re-read the key on each notification, as Dapr does. Redis only
// publishes those notifications when `notify-keyspace-events` asks for them, so each subscribe
// checks the server's setting and turns the missing flags on (CONFIG SET), logging a warning when
// the server refuses (managed Redis often disables CONFIG): subscriptions then see nothing.
//
// Get with no keys lists the keys with SCAN (Dapr uses KEYS *, which blocks the server; the answer
// is the same). Keys holding other types are skipped, empty values are omitted.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient } from '@tessera/common-redis';
import { ConfigurationStoreError } from '@tessera/spi';
import type {
  ComponentMetadata,
  ConfigurationGetRequest,
  ConfigurationItemSpi,
  ConfigurationStore,
  ConfigurationStoreHost,
  ConfigurationSubscribeRequest,
  ConfigurationUpdateHandler,
} from '@tessera/spi';
import { parseRedisConfigurationMetadata } from './redis-configuration-metadata';
import type { RedisConfigurationSettings } from './redis-configuration-metadata';
import { keyOfChannel, keyspaceChannel, keyspaceFlagsToSet, keyspacePattern, parseItemValue } from './redis-layout';

interface Subscription {
  readonly id: string;
  /** Empty = every key (the pattern channel). */
  readonly channels: readonly string[];
  readonly handler: ConfigurationUpdateHandler;
  /** Re-reads and handler calls of this subscription, one after the other. */
  chain: Promise<void>;
  active: boolean;
}

const EMPTY_ITEM: ConfigurationItemSpi = Object.freeze({ value: '', version: '', metadata: Object.freeze({}) });
const SCAN_COUNT = 1000;

export function createRedisConfigurationStore(meta: ComponentMetadata, host: ConfigurationStoreHost = {}): ConfigurationStore {
  return new RedisConfigurationStore(meta, host);
}

class RedisConfigurationStore implements ConfigurationStore {
  private client: Redis | undefined;
  private subscriber: Promise<Redis> | undefined;
  private settings: RedisConfigurationSettings | undefined;
  private readonly subs = new Map<string, Subscription>();
  private readonly byChannel = new Map<string, Set<Subscription>>();
  private readonly everyKey = new Set<Subscription>();
  private warnedKeyspace = false;
  private lastError: Error | undefined;
  private closed = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host: ConfigurationStoreHost,
  ) {}

  async init(): Promise<void> {
    const s = parseRedisConfigurationMetadata(this.meta);
    this.settings = s;
    const client = this.newClient('config');
    try {
      await client.connect();
      await client.ping();
    } catch (e) {
      client.disconnect();
      const cause = this.lastError ?? e;
      throw new ConfigurationStoreError('backend', `redis store: error connecting to redis at ${s.host}:${s.port}: ${messageOf(cause)}`, { cause });
    }
    this.client = client;
  }

  async get(req: ConfigurationGetRequest): Promise<Record<string, ConfigurationItemSpi>> {
    const client = this.connected();
    const keys = req.keys.length > 0 ? req.keys : await this.allKeys(client);
    const out: Record<string, ConfigurationItemSpi> = {};
    if (keys.length === 0) return out;
    const pipeline = client.pipeline();
    for (const k of keys) pipeline.get(k);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const [err, raw] = replies[i] ?? [new Error('no reply')];
      if (err) {
        if (isWrongType(err)) return;
        throw new ConfigurationStoreError('backend', `fail to get configuration for redis key=${key}, error is ${messageOf(err)}`, { cause: err });
      }
      if (typeof raw !== 'string') return;
      const { value, version } = parseItemValue(raw);
      if (value !== '') out[key] = { value, version, metadata: {} };
    });
    return out;
  }

  async subscribe(req: ConfigurationSubscribeRequest, handler: ConfigurationUpdateHandler): Promise<string> {
    const client = this.connected();
    const db = (this.settings as RedisConfigurationSettings).db;
    await this.ensureKeyspaceEvents(client);
    const sub: Subscription = {
      id: randomUUID(),
      channels: [...new Set(req.keys)].map((k) => keyspaceChannel(db, k)),
      handler,
      chain: Promise.resolve(),
      active: true,
    };
    const subscriber = await this.subscriberConnection();
    this.subs.set(sub.id, sub);
    try {
      if (sub.channels.length === 0) {
        const first = this.everyKey.size === 0;
        this.everyKey.add(sub);
        if (first) await subscriber.psubscribe(keyspacePattern(db));
      } else {
        const fresh: string[] = [];
        for (const ch of sub.channels) {
          let set = this.byChannel.get(ch);
          if (set === undefined) {
            set = new Set();
            this.byChannel.set(ch, set);
            fresh.push(ch);
          }
          set.add(sub);
        }
        if (fresh.length > 0) await subscriber.subscribe(...fresh);
      }
    } catch (e) {
      await this.drop(sub).catch(() => undefined);
      throw new ConfigurationStoreError('backend', `redis store: cannot subscribe to keyspace notifications: ${messageOf(e)}`, { cause: e });
    }
    return sub.id;
  }

  async unsubscribe(id: string): Promise<void> {
    const sub = this.subs.get(id);
    if (sub === undefined) throw new ConfigurationStoreError('subscription-not-found', `subscription with id ${id} does not exist`);
    await this.drop(sub);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.subs.values()) s.active = false;
    this.subs.clear();
    this.byChannel.clear();
    this.everyKey.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    const client = this.client;
    this.client = undefined;
    await Promise.allSettled([subscriber?.then((r) => r.disconnect()), client?.quit()]);
  }

  /** Removes a subscription; its channels are unsubscribed when nobody else listens to them. */
  private async drop(sub: Subscription): Promise<void> {
    sub.active = false;
    this.subs.delete(sub.id);
    const db = (this.settings as RedisConfigurationSettings).db;
    const subscriber = this.subscriber;
    if (sub.channels.length === 0) {
      if (this.everyKey.delete(sub) && this.everyKey.size === 0 && subscriber) await (await subscriber).punsubscribe(keyspacePattern(db));
      return;
    }
    const gone: string[] = [];
    for (const ch of sub.channels) {
      const set = this.byChannel.get(ch);
      if (set === undefined || !set.delete(sub)) continue;
      if (set.size === 0) {
        this.byChannel.delete(ch);
        gone.push(ch);
      }
    }
    if (gone.length > 0 && subscriber) await (await subscriber).unsubscribe(...gone);
  }

  /** The shared subscriber connection, opened at the first subscribe. */
  private subscriberConnection(): Promise<Redis> {
    this.subscriber ??= (async () => {
      const r = this.newClient('config-sub');
      r.on('message', (channel: string) => this.onNotification(channel, false));
      r.on('pmessage', (_pattern: string, channel: string) => this.onNotification(channel, true));
      try {
        await r.connect();
      } catch (e) {
        r.disconnect();
        this.subscriber = undefined;
        throw e;
      }
      return r;
    })();
    return this.subscriber;
  }

  private onNotification(channel: string, pattern: boolean): void {
    const key = keyOfChannel((this.settings as RedisConfigurationSettings).db, channel);
    if (key === undefined) return;
    const targets = pattern ? this.everyKey : this.byChannel.get(channel);
    if (targets === undefined) return;
    for (const sub of targets) this.enqueue(sub, key);
  }

  /** Re-reads `key` and calls the subscription's handler, after its earlier events. */
  private enqueue(sub: Subscription, key: string): void {
    sub.chain = sub.chain.then(async () => {
      if (!sub.active) return;
      let item: ConfigurationItemSpi;
      try {
        item = await this.readOne(key);
      } catch (e) {
        this.host.logger?.error(`configuration store ${this.meta.name}: get response from redis failed`, { key, err: messageOf(e) });
        return;
      }
      if (!sub.active) return;
      try {
        await sub.handler({ id: sub.id, items: { [key]: item } });
      } catch (e) {
        this.host.logger?.error(`configuration store ${this.meta.name}: fail to call handler to notify event for configuration update subscribe`, { err: messageOf(e) });
      }
    });
  }

  /** One key as a subscription reports it: a missing, empty or non-string key is an empty item. */
  private async readOne(key: string): Promise<ConfigurationItemSpi> {
    let raw: string | null;
    try {
      raw = await this.connected().get(key);
    } catch (e) {
      if (isWrongType(e)) return EMPTY_ITEM;
      throw e;
    }
    if (raw === null) return EMPTY_ITEM;
    const { value, version } = parseItemValue(raw);
    return value === '' ? EMPTY_ITEM : { value, version, metadata: {} };
  }

  /** Turns on the keyspace notifications subscriptions need, or warns (once) that it cannot. */
  private async ensureKeyspaceEvents(client: Redis): Promise<void> {
    try {
      const reply = (await client.config('GET', 'notify-keyspace-events')) as unknown;
      const current = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : '';
      const wanted = keyspaceFlagsToSet(current);
      if (wanted === undefined) return;
      await client.config('SET', 'notify-keyspace-events', wanted);
      this.host.logger?.info(`configuration store ${this.meta.name}: turned on Redis keyspace notifications (notify-keyspace-events "${current}" -> "${wanted}")`);
    } catch (e) {
      if (this.warnedKeyspace) return;
      this.warnedKeyspace = true;
      this.host.logger?.warn(
        `configuration store ${this.meta.name}: could not turn on Redis keyspace notifications (${messageOf(e)}); ` +
          'set notify-keyspace-events to "KEA" (or at least "K$gxe") on the server, or subscriptions will see no changes',
      );
    }
  }

  private async allKeys(client: Redis): Promise<string[]> {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', '*', 'COUNT', SCAN_COUNT);
      cursor = next;
      for (const k of batch) keys.add(k);
    } while (cursor !== '0');
    return [...keys];
  }

  private newClient(role: string): Redis {
    const s = this.settings as RedisConfigurationSettings;
    // The subscriber connection blocks in PSUBSCRIBE: no command deadline there. Keep the last
    // connection error for messages.
    return createRedisClient(s, {
      connectionName: `tessera-${role}-${this.meta.name}`,
      blocking: role !== 'config',
      onError: (e) => {
        this.lastError = e;
      },
    });
  }

  private connected(): Redis {
    if (this.closed || this.client === undefined) throw new ConfigurationStoreError('backend', 'configuration store is closed');
    return this.client;
  }
}

function isWrongType(e: unknown): boolean {
  return messageOf(e).includes('WRONGTYPE');
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
