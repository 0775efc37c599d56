// `configuration.postgresql` v1 (alias `postgres`), in Dapr's layout (components.md 5.13): a table
// the user creates, `(key VARCHAR, value VARCHAR, version VARCHAR, metadata JSON)`, read with
// plain SELECTs; several rows of one key answer the one with the highest numeric version (as
// Dapr). Subscriptions need request metadata `pgNotifyChannel`: each holds one connection that
// LISTENs on that channel, and the user's trigger must `pg_notify(channel, json)` with
// `{"table","action","data":{"key","value","version","metadata"}}`; `data` is reported as the
// item whatever the action (a DELETE reports the deleted row, as Dapr). Notifications for keys
// the subscription does not watch are ignored. A listening connection that drops is reopened
// (with backoff) while the subscription lives; changes made meanwhile are not replayed.
//
// Where Dapr differs and Tessera does not follow: Dapr's get turns request metadata into
// `AND '<k>' = '<v>'` (comparing two constants, which drops every row); Tessera ignores request
// metadata on get. Dapr interpolates the channel into `listen <channel>`; Tessera quotes it as an
// identifier (folded to lower case when it is a plain one, as PostgreSQL folds the unquoted name).
import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { ClientConfig, Notification } from 'pg';
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
import { parsePostgresConfigurationMetadata } from './pg-configuration-metadata';
import type { PostgresConfigurationSettings } from './pg-configuration-metadata';

const KEY_CHARS = /^[a-zA-Z0-9./_]*$/;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;

interface Subscription {
  readonly id: string;
  readonly channel: string;
  readonly keys: ReadonlySet<string> | undefined;
  readonly handler: ConfigurationUpdateHandler;
  chain: Promise<void>;
  active: boolean;
  client: Client | undefined;
  retries: number;
  timer: NodeJS.Timeout | undefined;
}

export function createPostgresConfigurationStore(meta: ComponentMetadata, host: ConfigurationStoreHost = {}): ConfigurationStore {
  return new PostgresConfigurationStore(meta, host);
}

class PostgresConfigurationStore implements ConfigurationStore {
  private pool: Pool | undefined;
  private settings: PostgresConfigurationSettings | undefined;
  private readonly subs = new Map<string, Subscription>();
  private closed = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host: ConfigurationStoreHost,
  ) {}

  async init(): Promise<void> {
    const s = parsePostgresConfigurationMetadata(this.meta);
    this.settings = s;
    const pool = new Pool(s.pool);
    pool.on('error', () => undefined); // an idle client died; the pool replaces it
    try {
      await pool.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new ConfigurationStoreError('backend', `unable to connect to configuration store: '${messageOf(e)}'`, { cause: e });
    }
    let exists: boolean;
    try {
      const dot = s.table.indexOf('.');
      const r =
        dot < 0
          ? await pool.query<{ exists: boolean }>('SELECT EXISTS (SELECT FROM pg_tables WHERE tablename = $1)', [s.table])
          : await pool.query<{ exists: boolean }>('SELECT EXISTS (SELECT FROM pg_tables WHERE schemaname = $1 AND tablename = $2)', [
              s.table.slice(0, dot),
              s.table.slice(dot + 1),
            ]);
      exists = r.rows[0]?.exists === true;
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new ConfigurationStoreError('backend', `error in checking if configtable '${s.table}' exists: '${messageOf(e)}'`, { cause: e });
    }
    if (!exists) {
      await pool.end().catch(() => undefined);
      throw new ConfigurationStoreError('backend', `postgreSQL configuration table '${s.table}' does not exist`);
    }
    this.pool = pool;
  }

  async get(req: ConfigurationGetRequest): Promise<Record<string, ConfigurationItemSpi>> {
    const pool = this.connected();
    for (const k of req.keys) {
      if (!KEY_CHARS.test(k)) throw new ConfigurationStoreError('bad-request', `invalid key : '${k}'`);
    }
    const table = (this.settings as PostgresConfigurationSettings).table;
    let rows: Array<{ key: string; value: string; version: string; metadata: unknown }>;
    try {
      const base = `SELECT key, value, version, metadata FROM ${table}`;
      const r =
        req.keys.length === 0
          ? await pool.query(base)
          : await pool.query(`${base} WHERE key IN (${req.keys.map((_, i) => `$${i + 1}`).join(', ')})`, [...req.keys]);
      rows = r.rows;
    } catch (e) {
      throw new ConfigurationStoreError('backend', `error in querying configuration store: '${messageOf(e)}'`, { cause: e });
    }
    return latestPerKey(rows.map((row) => ({ key: String(row.key), item: { value: text(row.value), version: text(row.version), metadata: stringMap(row.metadata) } })));
  }

  async subscribe(req: ConfigurationSubscribeRequest, handler: ConfigurationUpdateHandler): Promise<string> {
    this.connected();
    const table = (this.settings as PostgresConfigurationSettings).table;
    let channel = '';
    for (const [k, v] of Object.entries(req.metadata)) {
      if (k.toLowerCase() === 'pgnotifychannel') {
        channel = v;
        break;
      }
    }
    if (channel === '') throw new ConfigurationStoreError('bad-request', `unable to subscribe to '${table}'. pgNotifyChannel attribute cannot be empty`);
    const sub: Subscription = {
      id: randomUUID(),
      channel,
      keys: req.keys.length > 0 ? new Set(req.keys) : undefined,
      handler,
      chain: Promise.resolve(),
      active: true,
      client: undefined,
      retries: 0,
      timer: undefined,
    };
    try {
      await this.listen(sub);
    } catch (e) {
      sub.active = false;
      throw new ConfigurationStoreError('backend', `error listening to channel: ${messageOf(e)}`, { cause: e });
    }
    this.subs.set(sub.id, sub);
    return sub.id;
  }

  async unsubscribe(id: string): Promise<void> {
    if (this.closed) throw new ConfigurationStoreError('backend', 'configuration store is closed');
    const sub = this.subs.get(id);
    if (sub === undefined) throw new ConfigurationStoreError('subscription-not-found', `unable to find subscription with ID : ${id}`);
    this.subs.delete(id);
    await this.stop(sub);
  }

  async close(): Promise<void> {
    this.closed = true;
    const subs = [...this.subs.values()];
    this.subs.clear();
    await Promise.allSettled(subs.map((s) => this.stop(s)));
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  /** Opens the subscription's own connection and LISTENs on its channel. */
  private async listen(sub: Subscription): Promise<void> {
    const { max: _max, ...cfg } = (this.settings as PostgresConfigurationSettings).pool;
    const client = new Client(cfg as ClientConfig);
    client.on('error', () => undefined); // followed by 'end', handled there
    client.on('notification', (n: Notification) => this.onNotification(sub, n));
    client.on('end', () => {
      if (sub.client === client) sub.client = undefined;
      if (sub.active && !this.closed) this.reconnectLater(sub);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteChannel(sub.channel)}`);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    sub.client = client;
    sub.retries = 0;
  }

  private reconnectLater(sub: Subscription): void {
    if (sub.timer !== undefined) return;
    const wait = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(sub.retries, 10));
    sub.retries++;
    this.host.logger?.warn(`configuration store ${this.meta.name}: the connection listening on "${sub.channel}" dropped; reconnecting in ${wait} ms (changes meanwhile are missed)`);
    sub.timer = setTimeout(() => {
      sub.timer = undefined;
      if (!sub.active || this.closed) return;
      this.listen(sub).catch((e: unknown) => {
        this.host.logger?.error(`configuration store ${this.meta.name}: error listening to channel "${sub.channel}": ${messageOf(e)}`);
        this.reconnectLater(sub);
      });
    }, wait);
    sub.timer.unref();
  }

  private async stop(sub: Subscription): Promise<void> {
    sub.active = false;
    clearTimeout(sub.timer);
    sub.timer = undefined;
    const client = sub.client;
    sub.client = undefined;
    if (client === undefined) return;
    try {
      await client.query(`UNLISTEN ${quoteChannel(sub.channel)}`);
    } catch {
      // the connection is going away anyway
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private onNotification(sub: Subscription, n: Notification): void {
    if (!sub.active) return; // every notification on this connection is for the subscription's channel
    const item = parsePayload(n.payload ?? '');
    if (item === undefined) {
      this.host.logger?.info(`configuration store ${this.meta.name}: unknown format of data received in notify event - '${n.payload ?? ''}'`);
      return;
    }
    if (sub.keys !== undefined && !sub.keys.has(item.key)) return;
    sub.chain = sub.chain.then(async () => {
      if (!sub.active) return;
      try {
        await sub.handler({ id: sub.id, items: { [item.key]: item.item } });
      } catch (e) {
        this.host.logger?.error(`configuration store ${this.meta.name}: failed to call notify event handler: ${messageOf(e)}`);
      }
    });
  }

  private connected(): Pool {
    if (this.closed || this.pool === undefined) throw new ConfigurationStoreError('backend', 'configuration store is closed');
    return this.pool;
  }
}

/** The LISTEN / UNLISTEN operand: a plain identifier folds to lower case, as PostgreSQL would. */
export function quoteChannel(channel: string): string {
  const name = /^[A-Za-z_][A-Za-z0-9_$]*$/.test(channel) ? channel.toLowerCase() : channel;
  return `"${name.replace(/"/g, '""')}"`;
}

/** `{"data":{"key","value","version","metadata"}}` (field names case-insensitive) or undefined. */
export function parsePayload(payload: string): { key: string; item: ConfigurationItemSpi } | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const data = (doc as Record<string, unknown>)['data'];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  let key: string | undefined;
  let value = '';
  let version = '';
  let metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    switch (k.toLowerCase()) {
      case 'key':
        key = text(v);
        break;
      case 'value':
        value = text(v);
        break;
      case 'version':
        version = text(v);
        break;
      case 'metadata':
        metadata = stringMap(v);
        break;
    }
  }
  return key === undefined ? undefined : { key, item: { value, version, metadata } };
}

/** Several rows of one key: the one with the highest numeric version (non-numbers count as -1). */
function latestPerKey(rows: ReadonlyArray<{ key: string; item: ConfigurationItemSpi }>): Record<string, ConfigurationItemSpi> {
  const out: Record<string, ConfigurationItemSpi> = {};
  const best = new Map<string, number>();
  for (const r of rows) {
    const v = numericVersion(r.item.version);
    const seen = best.get(r.key);
    if (seen === undefined || v > seen) {
      out[r.key] = r.item;
      best.set(r.key, v);
    }
  }
  return out;
}

function numericVersion(v: string): number {
  return /^[+-]?\d+$/.test(v) ? Number(v) : -1;
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function stringMap(v: unknown): Record<string, string> {
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return {};
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = text(x);
  return out;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
