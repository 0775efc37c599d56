// `pubsub.sqlite`: Tessera's embedded, durable pub/sub on better-sqlite3 (Dapr has none), the
// default of `npm start`: durable topics with no server. Several processes may share the file.
//
// Tables (prefix `tableName`, default `pubsub`), created if absent:
//   <t>_messages    id INTEGER PRIMARY KEY AUTOINCREMENT (ids never reused), topic TEXT,
//                   data BLOB (the bytes as published), content_type TEXT NULL,
//                   metadata TEXT (JSON object of the publish metadata),
//                   published_at INTEGER (epoch ms), expires_at INTEGER NULL (epoch ms, ttlInSeconds)
//   <t>_groups      topic TEXT, consumer_group TEXT, created_at INTEGER; PRIMARY KEY (topic, consumer_group)
//   <t>_deliveries  topic TEXT, consumer_group TEXT, message_id INTEGER, attempts INTEGER (deliveries
//                   so far), visible_at INTEGER (epoch ms: claimable from then on), lease_owner TEXT NULL
//                   (`<host>/<pid>/<uuid>` of the instance running the handler);
//                   PRIMARY KEY (topic, consumer_group, message_id)
//
// Semantics:
// - publish: one transaction inserts the message and one delivery row per group of its topic that
//   exists then (fan-out). A NEW group therefore starts with what is published after its first
//   subscribe(); an existing group keeps its rows while nobody listens and across restarts.
//   Concurrent publish() calls of one tick share one transaction (group commit); the promise
//   resolves after COMMIT (WAL, synchronous=FULL by default: survives a crash and power loss).
// - consume: a subscription claims up to `concurrency` visible rows of its group in one IMMEDIATE
//   transaction (setting visible_at = now + processingTimeout and lease_owner), so subscriptions of
//   one group compete, also across processes. Leases of running handlers are renewed while the
//   process lives: only a dead process's messages come back, after processingTimeout, or at once
//   when the owner was a process of this host that no longer exists.
// - outcome: resolve -> the delivery row is deleted (ack); reject -> visible again after
//   redeliverInterval (metadata `__attempt` counts deliveries; given up after `maxDeliver` when
//   set); PubSubAbandonError -> lease released at once, not counted as an attempt. Outcomes of
//   one tick are written in one transaction; a handler's slot is freed once its outcome committed
//   (an ack lost in a crash only means one more delivery).
// - message-ttl: rows past expires_at are never handed out and are purged.
// - wake-ups: publishes in this process wake the subscriptions of the topic on the same file at
//   once; writes of other processes are found by polling (`pollInterval`).
// - cleanup (`cleanupInterval`): expired messages, and messages every group acked more than
//   `retention` ago (or that had no group), are deleted.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { PubSubError, isPubSubAbandon, isPubSubError } from '@tessera/spi';
import type {
  ComponentHost,
  ComponentMetadata,
  PubSub,
  PubSubBulkPublishRequest,
  PubSubBulkPublishResult,
  PubSubFeature,
  PubSubHandler,
  PubSubMessage,
  PubSubPublishRequest,
  PubSubSubscribeRequest,
  PubSubSubscription,
} from '@tessera/spi';
import { parseSqlitePubSubMetadata } from './sqlite-pubsub-metadata';
import type { SqlitePubSubSettings } from './sqlite-pubsub-metadata';

/** Metadata key carrying how many times this message has been delivered to its group (1 = first). */
export const ATTEMPT_METADATA = '__attempt';

interface NewMessage {
  readonly topic: string;
  readonly data: Buffer;
  readonly contentType: string | null;
  readonly metadata: string;
  /** ttlInSeconds in ms; the expiry counts from the commit. */
  readonly ttlMs: number | null;
}

interface CandidateRow {
  readonly id: number;
  readonly attempts: number;
  readonly topic: string | null;
  readonly data: Buffer | null;
  readonly content_type: string | null;
  readonly metadata: string | null;
  readonly expires_at: number | null;
}

interface Claimed {
  readonly id: number;
  readonly attempts: number;
  readonly message: PubSubMessage;
}

interface Outcome {
  readonly sub: Subscription;
  readonly id: number;
  readonly kind: 'ack' | 'fail' | 'abandon' | 'give-up';
  resolve(): void;
  reject(e: unknown): void;
}

interface Statements {
  readonly insertMessage: Database.Statement;
  readonly fanOut: Database.Statement;
  readonly ensureGroup: Database.Statement;
  readonly hasVisible: Database.Statement;
  readonly candidates: Database.Statement;
  readonly lease: Database.Statement;
  readonly drop: Database.Statement;
  readonly dropMessageIfDone: Database.Statement;
  readonly retry: Database.Statement;
  readonly release: Database.Statement;
  readonly renew: Database.Statement;
  readonly owners: Database.Statement;
  readonly releaseOwner: Database.Statement;
  readonly purgeExpiredDeliveries: Database.Statement;
  readonly purgeMessages: Database.Statement;
}

/** Instances of this process per database file, so a publish wakes the subscriptions at once. */
const sameFile = new Map<string, Set<SqlitePubSub>>();
/** Lease owners alive in this process (to tell a previous incarnation with the same pid). */
const liveOwners = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseTtl(metadata: Readonly<Record<string, string>>): number | null {
  const raw = metadata['ttlInSeconds'];
  if (raw === undefined || raw.trim() === '') return null;
  const ttl = Number(raw);
  if (!Number.isInteger(ttl)) throw new PubSubError('bad-request', `ttlInSeconds must be an integer, got "${raw}"`);
  return ttl > 0 ? ttl * 1000 : null;
}

const asBuffer = (d: Uint8Array): Buffer => (Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength));

class Subscription implements PubSubSubscription {
  private closing = false;
  private readonly inFlight = new Map<number, Promise<void>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private wakeScheduled = false;

  constructor(
    private readonly bus: SqlitePubSub,
    readonly topic: string,
    readonly group: string,
    private readonly handler: PubSubHandler,
    private readonly cfg: SqlitePubSubSettings,
  ) {}

  start(): void {
    this.pollTimer = setInterval(() => this.poll(), this.cfg.pollIntervalMs);
    this.pollTimer.unref();
    this.wake();
  }

  /** Cheap read first: claims (a write transaction) only when a row of the group is visible. */
  private poll(): void {
    if (this.closing || this.inFlight.size >= this.cfg.concurrency) return;
    if (this.bus.hasVisible(this.topic, this.group)) this.wake();
  }

  /** Claims what it has room for and starts the handlers. Synchronous: never re-entered. */
  wake(): void {
    if (this.closing) return;
    const room = this.cfg.concurrency - this.inFlight.size;
    if (room <= 0) return;
    for (const c of this.bus.claim(this.topic, this.group, room)) this.dispatch(c);
  }

  /** Wakes on a later tick, once: handlers settled in one tick free their slots for one claim. */
  scheduleWake(): void {
    if (this.wakeScheduled || this.closing) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.wake();
    });
  }

  /** Wakes at `at` (epoch ms), for a message that becomes visible again then. */
  wakeLater(at: number): void {
    if (this.closing || at >= this.wakeAt) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.wakeTimer = undefined;
        this.wake();
      },
      Math.max(0, at - Date.now()) + 5,
    );
    this.wakeTimer.unref();
  }

  private dispatch(c: Claimed): void {
    // A lease renewed too late could let this subscription claim a message it still runs: never
    // hand it to the handler twice; the running one settles it.
    if (this.inFlight.has(c.id)) return;
    let abandoned = false;
    const run = Promise.resolve()
      .then(() => this.handler(c.message))
      .then(
        () => this.bus.settle(this, c, 'ack'),
        (e: unknown) => {
          abandoned = isPubSubAbandon(e);
          return this.bus.settle(this, c, abandoned ? 'abandon' : 'fail', e);
        },
      )
      .catch((e: unknown) => this.bus.warn('pubsub.sqlite: could not record the outcome of a delivery; it is redelivered after processingTimeout', { topic: this.topic, consumerGroup: this.group, error: String(e) }))
      .finally(() => {
        this.inFlight.delete(c.id);
        // After an abandon the subscriber is going away: do not grab the message straight back
        // (other subscriptions were woken; this one finds it again at its next poll if it stays).
        if (!abandoned) this.scheduleWake();
      });
    this.inFlight.set(c.id, run);
  }


  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      if (this.pollTimer) clearInterval(this.pollTimer);
      if (this.wakeTimer) clearTimeout(this.wakeTimer);
      this.bus.forget(this);
    }
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }
}

class SqlitePubSub implements PubSub {
  private cfg: SqlitePubSubSettings | undefined;
  private db: Database.Database | undefined;
  private st: Statements | undefined;
  private fileKey = '';
  private readonly owner = `${hostname()}/${process.pid}/${randomUUID()}`;
  private readonly subs = new Set<Subscription>();
  private closed = false;
  private pending: Array<{ readonly msg: NewMessage; resolve(): void; reject(e: unknown): void }> = [];
  private flushScheduled = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private publishTx: ((msgs: readonly NewMessage[]) => void) | undefined;
  private claimTx: ((topic: string, group: string, max: number) => Claimed[]) | undefined;
  private outcomeTx: ((batch: readonly Outcome[], now: number) => void) | undefined;
  private outcomes: Outcome[] = [];
  private outcomesScheduled = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host: ComponentHost | undefined,
  ) {}

  async init(): Promise<void> {
    const cfg = parseSqlitePubSubMetadata(this.meta);
    if (!cfg.inMemory) mkdirSync(dirname(resolve(cfg.filename)), { recursive: true });
    const db = new Database(cfg.filename, { timeout: cfg.busyTimeoutMs });
    try {
      for (const [name, value] of cfg.pragmas) db.pragma(`${name} = ${value}`);
      if (!cfg.inMemory && !cfg.disableWAL) db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${cfg.synchronous}`);
      this.prepare(db, cfg);
    } catch (e) {
      db.close();
      throw e;
    }
    this.cfg = cfg;
    this.db = db;
    this.fileKey = cfg.inMemory ? `memory:${this.owner}` : resolve(cfg.filename);
    let peers = sameFile.get(this.fileKey);
    if (!peers) sameFile.set(this.fileKey, (peers = new Set()));
    peers.add(this);
    liveOwners.add(this.owner);
    this.releaseDeadOwners();
    this.heartbeat = setInterval(() => this.beat(), Math.max(20, Math.floor(cfg.processingTimeoutMs / 3)));
    this.heartbeat.unref();
    if (cfg.cleanupIntervalMs > 0) {
      this.cleanupTimer = setInterval(() => this.cleanup(), cfg.cleanupIntervalMs);
      this.cleanupTimer.unref();
    }
  }

  private prepare(db: Database.Database, cfg: SqlitePubSubSettings): void {
    const m = `"${cfg.tableName}_messages"`;
    const g = `"${cfg.tableName}_groups"`;
    const d = `"${cfg.tableName}_deliveries"`;
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${m} (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        data BLOB NOT NULL,
        content_type TEXT NULL,
        metadata TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        expires_at INTEGER NULL
      );
      CREATE TABLE IF NOT EXISTS ${g} (
        topic TEXT NOT NULL,
        consumer_group TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (topic, consumer_group)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${d} (
        topic TEXT NOT NULL,
        consumer_group TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        visible_at INTEGER NOT NULL,
        lease_owner TEXT NULL,
        PRIMARY KEY (topic, consumer_group, message_id)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS "${cfg.tableName}_deliveries_message" ON ${d} (message_id);
      CREATE INDEX IF NOT EXISTS "${cfg.tableName}_deliveries_owner" ON ${d} (lease_owner) WHERE lease_owner IS NOT NULL;
      CREATE INDEX IF NOT EXISTS "${cfg.tableName}_messages_expires" ON ${m} (expires_at) WHERE expires_at IS NOT NULL;
    `);
    // No index on visible_at on purpose: claims walk the primary key in message order and skip the
    // few leased rows; with such an index SQLite sorts the whole backlog on every claim.
    const key = 'topic = ? AND consumer_group = ? AND message_id = ?';
    const st: Statements = {
      insertMessage: db.prepare(`INSERT INTO ${m} (topic, data, content_type, metadata, published_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
      fanOut: db.prepare(`INSERT INTO ${d} (topic, consumer_group, message_id, attempts, visible_at, lease_owner) SELECT topic, consumer_group, ?, 0, 0, NULL FROM ${g} WHERE topic = ?`),
      ensureGroup: db.prepare(`INSERT INTO ${g} (topic, consumer_group, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
      hasVisible: db.prepare(`SELECT 1 FROM ${d} WHERE topic = ? AND consumer_group = ? AND visible_at <= ? LIMIT 1`).pluck(),
      candidates: db.prepare(
        `SELECT d.message_id AS id, d.attempts AS attempts, m.topic AS topic, m.data AS data, m.content_type AS content_type, m.metadata AS metadata, m.expires_at AS expires_at ` +
          `FROM ${d} d LEFT JOIN ${m} m ON m.id = d.message_id WHERE d.topic = ? AND d.consumer_group = ? AND d.visible_at <= ? ORDER BY d.message_id LIMIT ?`,
      ),
      lease: db.prepare(`UPDATE ${d} SET attempts = attempts + 1, visible_at = ?, lease_owner = ? WHERE ${key}`),
      drop: db.prepare(`DELETE FROM ${d} WHERE ${key}`),
      dropMessageIfDone: db.prepare(`DELETE FROM ${m} WHERE id = ? AND NOT EXISTS (SELECT 1 FROM ${d} WHERE message_id = ?)`),
      retry: db.prepare(`UPDATE ${d} SET visible_at = ?, lease_owner = NULL WHERE ${key}`),
      release: db.prepare(`UPDATE ${d} SET visible_at = ?, lease_owner = NULL, attempts = MAX(attempts - 1, 0) WHERE ${key}`),
      renew: db.prepare(`UPDATE ${d} SET visible_at = ? WHERE lease_owner = ?`),
      owners: db.prepare(`SELECT DISTINCT lease_owner FROM ${d} WHERE lease_owner IS NOT NULL`).pluck(),
      releaseOwner: db.prepare(`UPDATE ${d} SET visible_at = 0, lease_owner = NULL WHERE lease_owner = ?`),
      purgeExpiredDeliveries: db.prepare(`DELETE FROM ${d} WHERE message_id IN (SELECT id FROM ${m} WHERE expires_at IS NOT NULL AND expires_at <= ?)`),
      purgeMessages: db.prepare(
        `DELETE FROM ${m} WHERE (expires_at IS NOT NULL AND expires_at <= ?) OR (published_at <= ? AND NOT EXISTS (SELECT 1 FROM ${d} WHERE ${d}.message_id = ${m}.id))`,
      ),
    };
    this.st = st;
    this.publishTx = (msgs) =>
      db
        .transaction(() => {
          const now = Date.now();
          for (const msg of msgs) {
            const { lastInsertRowid } = st.insertMessage.run(msg.topic, msg.data, msg.contentType, msg.metadata, now, msg.ttlMs === null ? null : now + msg.ttlMs);
            st.fanOut.run(lastInsertRowid, msg.topic);
          }
        })
        .immediate();
    this.claimTx = (topic, group, max) =>
      db
        .transaction((): Claimed[] => {
          const now = Date.now();
          const out: Claimed[] = [];
          while (out.length < max) {
            const rows = st.candidates.all(topic, group, now, max - out.length) as CandidateRow[];
            if (rows.length === 0) break;
            for (const r of rows) {
              if (r.data === null || r.topic === null || (r.expires_at !== null && r.expires_at <= now)) {
                st.drop.run(topic, group, r.id);
                continue;
              }
              st.lease.run(now + cfg.processingTimeoutMs, this.owner, topic, group, r.id);
              const attempts = r.attempts + 1;
              const metadata = { ...(JSON.parse(r.metadata ?? '{}') as Record<string, string>), [ATTEMPT_METADATA]: String(attempts) };
              out.push({
                id: r.id,
                attempts,
                message: { topic: r.topic, data: new Uint8Array(r.data), ...(r.content_type !== null ? { contentType: r.content_type } : {}), metadata },
              });
            }
          }
          return out;
        })
        .immediate();
    this.outcomeTx = (batch, now) =>
      db
        .transaction(() => {
          for (const o of batch) {
            const { topic, group } = o.sub;
            if (o.kind === 'ack' || o.kind === 'give-up') {
              st.drop.run(topic, group, o.id);
              if (cfg.retentionMs === 0) st.dropMessageIfDone.run(o.id, o.id);
            } else if (o.kind === 'abandon') st.release.run(now, topic, group, o.id);
            else st.retry.run(now + cfg.redeliverIntervalMs, topic, group, o.id);
          }
        })
        .immediate();
  }

  features(): readonly PubSubFeature[] {
    return ['message-ttl', 'bulk-publish'];
  }

  async publish(req: PubSubPublishRequest): Promise<void> {
    this.assertOpen();
    const msg = this.toRow(req.topic, req.data, req.contentType, req.metadata);
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ msg, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async bulkPublish(req: PubSubBulkPublishRequest): Promise<PubSubBulkPublishResult> {
    this.assertOpen();
    const rows = req.entries.map((e) => this.toRow(req.topic, e.data, e.contentType, { ...req.metadata, ...e.metadata }));
    if (rows.length === 0) return { failed: [] };
    try {
      this.writeMessages(rows);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      return { failed: req.entries.map((x) => ({ entryId: x.entryId, error })) };
    }
    return { failed: [] };
  }

  async subscribe(req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription> {
    this.assertOpen();
    if (req.topic === '') throw new PubSubError('bad-request', 'topic is empty');
    if (req.consumerGroup === '') throw new PubSubError('bad-request', 'consumerGroup is empty');
    const cfg = this.settings();
    this.guard(() => this.statements().ensureGroup.run(req.topic, req.consumerGroup, Date.now()));
    const sub = new Subscription(this, req.topic, req.consumerGroup, handler, cfg);
    this.subs.add(sub);
    sub.start();
    return sub;
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.flush();
    }
    await Promise.all([...this.subs].map((s) => s.close()));
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.heartbeat = undefined;
    this.cleanupTimer = undefined;
    sameFile.get(this.fileKey)?.delete(this);
    if (sameFile.get(this.fileKey)?.size === 0) sameFile.delete(this.fileKey);
    liveOwners.delete(this.owner);
    this.db?.close();
    this.db = undefined;
    this.st = undefined;
  }

  // ---- used by subscriptions ----

  hasVisible(topic: string, group: string): boolean {
    try {
      return this.statements().hasVisible.get(topic, group, Date.now()) !== undefined;
    } catch {
      return false;
    }
  }

  claim(topic: string, group: string, max: number): Claimed[] {
    if (!this.claimTx || !this.db) return [];
    try {
      return this.claimTx(topic, group, max);
    } catch (e) {
      this.warn('pubsub.sqlite: could not claim messages; retrying at the next poll', { topic, consumerGroup: group, error: String(e) });
      return [];
    }
  }

  /**
   * Records the outcome of a delivery. Outcomes of one tick share one transaction (like
   * publishes); the promise resolves once it committed, so close() waits for it.
   */
  settle(sub: Subscription, c: Claimed, outcome: 'ack' | 'fail' | 'abandon', error?: unknown): Promise<void> {
    const cfg = this.settings();
    let kind: Outcome['kind'] = outcome;
    if (outcome === 'fail' && cfg.maxDeliver > 0 && c.attempts >= cfg.maxDeliver) {
      kind = 'give-up';
      this.warn('pubsub.sqlite: handler failed maxDeliver times; the message is given up', { topic: sub.topic, consumerGroup: sub.group, attempts: c.attempts, error: String(error) });
    }
    return new Promise<void>((resolve, reject) => {
      this.outcomes.push({ sub, id: c.id, kind, resolve, reject });
      if (!this.outcomesScheduled) {
        this.outcomesScheduled = true;
        setImmediate(() => this.flushOutcomes());
      }
    });
  }

  private flushOutcomes(): void {
    this.outcomesScheduled = false;
    const batch = this.outcomes;
    this.outcomes = [];
    if (batch.length === 0) return;
    const now = Date.now();
    try {
      if (!this.outcomeTx) throw new PubSubError('closed', `pubsub.sqlite "${this.meta.name}" is closed`);
      this.outcomeTx(batch, now);
    } catch (e) {
      for (const o of batch) o.reject(e);
      return;
    }
    for (const o of batch) o.resolve();
    const redeliverAt = now + this.settings().redeliverIntervalMs;
    for (const o of batch) {
      // An abandoned message may go to another subscription of the group in this process at once;
      // a failed one is due again after redeliverInterval.
      if (o.kind === 'abandon') for (const peer of this.peersOf(o.sub.topic)) if (peer !== o.sub && peer.group === o.sub.group) peer.scheduleWake();
      if (o.kind === 'fail') for (const peer of this.peersOf(o.sub.topic)) if (peer.group === o.sub.group) peer.wakeLater(redeliverAt);
    }
  }

  forget(sub: Subscription): void {
    this.subs.delete(sub);
  }

  warn(msg: string, fields: Record<string, unknown>): void {
    this.host?.logger?.warn(msg, { component: this.meta.name, ...fields });
  }

  // ---- maintenance ----

  /** Renews the leases of running handlers; releases those of dead processes of this host. */
  private beat(): void {
    try {
      this.statements().renew.run(Date.now() + this.settings().processingTimeoutMs, this.owner);
      this.releaseDeadOwners();
    } catch (e) {
      this.warn('pubsub.sqlite: lease renewal failed; retrying', { error: String(e) });
    }
  }

  private releaseDeadOwners(): void {
    const st = this.statements();
    const me = hostname();
    let released = false;
    for (const owner of st.owners.all() as string[]) {
      const [host, pidText] = owner.split('/');
      const pid = Number(pidText);
      if (host !== me || !Number.isInteger(pid)) continue;
      const dead = pid === process.pid ? !liveOwners.has(owner) : !pidAlive(pid);
      if (!dead) continue;
      st.releaseOwner.run(owner);
      released = true;
    }
    if (released) for (const s of this.subs) s.wake();
  }

  /** Deletes expired messages and, past `retention`, messages no group still has to get. */
  cleanup(): void {
    try {
      const now = Date.now();
      const st = this.statements();
      this.db
        ?.transaction(() => {
          st.purgeExpiredDeliveries.run(now);
          st.purgeMessages.run(now, now - this.settings().retentionMs);
        })
        .immediate();
    } catch (e) {
      this.warn('pubsub.sqlite: cleanup failed; retrying at the next interval', { error: String(e) });
    }
  }

  // ---- internals ----

  private toRow(topic: string, data: Uint8Array, contentType: string | undefined, metadata: Readonly<Record<string, string>>): NewMessage {
    if (topic === '') throw new PubSubError('bad-request', 'topic is empty');
    return { topic, data: asBuffer(data), contentType: contentType ?? null, metadata: JSON.stringify(metadata), ttlMs: parseTtl(metadata) };
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      this.writeMessages(batch.map((p) => p.msg));
    } catch (e) {
      const err = isPubSubError(e) ? e : new PubSubError('backend', `pubsub.sqlite: publish failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) p.resolve();
  }

  /** One transaction; then wakes this process's subscriptions of the topics written. */
  private writeMessages(rows: readonly NewMessage[]): void {
    if (!this.publishTx || !this.db) throw new PubSubError('closed', `pubsub.sqlite "${this.meta.name}" is closed`);
    this.publishTx(rows);
    for (const topic of new Set(rows.map((r) => r.topic))) for (const s of this.peersOf(topic)) s.wake();
  }

  private *peersOf(topic: string): Iterable<Subscription> {
    for (const bus of sameFile.get(this.fileKey) ?? []) for (const s of bus.subs) if (s.topic === topic) yield s;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (isPubSubError(e)) throw e;
      throw new PubSubError('backend', `pubsub.sqlite: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new PubSubError('closed', `pubsub.sqlite "${this.meta.name}" is closed`);
    if (!this.db) throw new PubSubError('closed', `pubsub.sqlite "${this.meta.name}" is not initialized`);
  }

  private statements(): Statements {
    if (!this.st) throw new PubSubError('closed', `pubsub.sqlite "${this.meta.name}" is closed`);
    return this.st;
  }

  private settings(): SqlitePubSubSettings {
    if (!this.cfg) throw new PubSubError('closed', `pubsub.sqlite "${this.meta.name}" is not initialized`);
    return this.cfg;
  }
}

/** Factory registered as `pubsub.sqlite` v1. Metadata is checked in init(). */
export function createSqlitePubSub(meta: ComponentMetadata, host?: ComponentHost): PubSub {
  return new SqlitePubSub(meta, host);
}
