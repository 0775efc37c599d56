// pubsub.sqlite beyond the conformance suite: table layout, where a new group starts, in-process
// wake-ups, competing instances on one file, attempts and maxDeliver, leases (renewed while the
// handler runs, expiring for a foreign owner, released at once for a dead local process),
// cleanup and metadata checks.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PubSubRecorder } from '@tessera/conformance';
import { PubSubAbandonError } from '@tessera/spi';
import type { PubSub } from '@tessera/spi';
import { parseSqlitePubSubMetadata } from './sqlite-pubsub-metadata';
import { createSqlitePubSub } from './sqlite-pubsub';

const dir = mkdtempSync(join(tmpdir(), 'tessera-pubsub-sqlite-x-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = (properties: Record<string, string>) => ({ name: 'bus', type: 'pubsub.sqlite', version: 'v1', properties, appId: 'app' });
const opened: PubSub[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((p) => p.close()));
});

async function open(properties: Record<string, string>): Promise<PubSub & { cleanup(): void }> {
  const ps = createSqlitePubSub(meta(properties)) as PubSub & { cleanup(): void };
  await ps.init();
  opened.push(ps);
  return ps;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const pub = (ps: PubSub, topic: string, s: string, metadata: Record<string, string> = {}): Promise<void> => ps.publish({ topic, data: text(s), metadata });
const sub = (ps: PubSub, topic: string, consumerGroup: string, rec: PubSubRecorder) => ps.subscribe({ topic, consumerGroup, metadata: {} }, rec.handler);
let fileNo = 0;
const file = (): string => join(dir, `t${++fileNo}.db`);

describe('pubsub.sqlite specifics', () => {
  it('creates its three tables and writes one delivery row per existing group', async () => {
    const f = file();
    const ps = await open({ connectionString: f, tableName: 'bus' });
    await (await sub(ps, 'orders', 'g1', new PubSubRecorder())).close();
    await (await sub(ps, 'orders', 'g2', new PubSubRecorder())).close();
    await ps.publish({ topic: 'orders', data: new Uint8Array([0, 1, 2]), contentType: 'application/octet-stream', metadata: { ttlInSeconds: '60', k: 'v' } });
    const db = new Database(f, { readonly: true });
    const cols = (t: string) => (db.pragma(`table_info(${t})`) as Array<{ name: string }>).map((c) => c.name);
    expect(cols('bus_messages')).toEqual(['id', 'topic', 'data', 'content_type', 'metadata', 'published_at', 'expires_at']);
    expect(cols('bus_groups')).toEqual(['topic', 'consumer_group', 'created_at']);
    expect(cols('bus_deliveries')).toEqual(['topic', 'consumer_group', 'message_id', 'attempts', 'visible_at', 'lease_owner']);
    const m = db.prepare('SELECT * FROM bus_messages').get() as Record<string, unknown>;
    expect(m).toMatchObject({ topic: 'orders', data: Buffer.from([0, 1, 2]), content_type: 'application/octet-stream', metadata: '{"ttlInSeconds":"60","k":"v"}' });
    expect((m['expires_at'] as number) - (m['published_at'] as number)).toBe(60_000);
    const d = db.prepare('SELECT consumer_group, attempts, lease_owner FROM bus_deliveries ORDER BY consumer_group').all();
    expect(d).toEqual([
      { consumer_group: 'g1', attempts: 0, lease_owner: null },
      { consumer_group: 'g2', attempts: 0, lease_owner: null },
    ]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('starts a new group with what is published after its first subscribe', async () => {
    const ps = await open({ connectionString: file() });
    await pub(ps, 't', 'before any group');
    const rec = new PubSubRecorder();
    await sub(ps, 't', 'g', rec);
    await pub(ps, 't', 'after');
    await rec.waitFor(1, 2000);
    await sleep(300);
    expect(rec.messages.map((m) => m.text)).toEqual(['after']);
  });

  it('wakes subscriptions of another instance on the same file at once (no poll wait)', async () => {
    const f = file();
    const a = await open({ connectionString: f, pollInterval: '60s' });
    const b = await open({ connectionString: f, pollInterval: '60s' });
    const rec = new PubSubRecorder();
    await sub(b, 't', 'g', rec);
    const started = Date.now();
    await pub(a, 't', 'fast');
    await rec.waitFor(1, 2000);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('shares one group between instances on one file: each message once', async () => {
    const f = file();
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => open({ connectionString: f, concurrency: '3' })));
    const slow = () => sleep(3);
    const ra = new PubSubRecorder(slow);
    const rb = new PubSubRecorder(slow);
    await sub(a as PubSub, 't', 'g', ra);
    await sub(b as PubSub, 't', 'g', rb);
    const texts = Array.from({ length: 150 }, (_, i) => `m${i}`);
    await Promise.all(texts.map((s, i) => pub([a, b, c][i % 3] as PubSub, 't', s)));
    await ra.until(() => ra.count() + rb.count() >= texts.length, 10_000, 'all');
    await sleep(300);
    expect([...ra.messages, ...rb.messages].map((m) => m.text).sort()).toEqual([...texts].sort());
    expect(ra.count()).toBeGreaterThan(0);
    expect(rb.count()).toBeGreaterThan(0);
  });

  it('counts attempts in __attempt, does not count an abandon, and gives up after maxDeliver', async () => {
    const ps = await open({ connectionString: file(), redeliverInterval: '50ms', maxDeliver: '3' });
    let abandonedOnce = false;
    const rec = new PubSubRecorder(async (m) => {
      if (m.text === 'abandon then ok' && !abandonedOnce) {
        abandonedOnce = true;
        throw new PubSubAbandonError();
      }
      if (m.text === 'always fails') throw new Error('nope');
    });
    await sub(ps, 't', 'g', rec);
    await pub(ps, 't', 'always fails');
    await pub(ps, 't', 'abandon then ok');
    await rec.waitFor(3, 3000, (m) => m.text === 'always fails');
    await rec.waitFor(2, 3000, (m) => m.text === 'abandon then ok');
    await sleep(700);
    expect(rec.messages.filter((m) => m.text === 'always fails').map((m) => m.metadata['__attempt'])).toEqual(['1', '2', '3']);
    expect(rec.messages.filter((m) => m.text === 'abandon then ok').map((m) => m.metadata['__attempt'])).toEqual(['1', '1']);
  });

  it('renews the lease of a long handler: no second delivery while it runs', async () => {
    const f = file();
    const ps = await open({ connectionString: f, processingTimeout: '300ms', pollInterval: '50ms' });
    const rec = new PubSubRecorder(() => sleep(1500));
    const ps2 = await open({ connectionString: f, pollInterval: '50ms' });
    await sub(ps, 't', 'g', rec);
    await sub(ps2, 't', 'g', rec);
    await pub(ps, 't', 'slow');
    await rec.waitFor(1, 2000);
    await sleep(1800);
    expect(rec.count()).toBe(1);
  });

  it('redelivers a message leased by an owner elsewhere once the lease expired', async () => {
    const f = file();
    const ps = await open({ connectionString: f, pollInterval: '50ms' });
    await (await sub(ps, 't', 'g', new PubSubRecorder())).close();
    await pub(ps, 't', 'leased elsewhere');
    const db = new Database(f);
    db.prepare(`UPDATE pubsub_deliveries SET lease_owner = 'other-host/1/x', attempts = 1, visible_at = ?`).run(Date.now() + 800);
    db.close();
    const rec = new PubSubRecorder();
    const started = Date.now();
    await sub(ps, 't', 'g', rec);
    await rec.waitFor(1, 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(rec.messages[0]?.metadata['__attempt']).toBe('2');
  });

  it('releases at once the leases of a process of this host that is gone', async () => {
    const f = file();
    const ps = await open({ connectionString: f });
    await (await sub(ps, 't', 'g', new PubSubRecorder())).close();
    await pub(ps, 't', 'leased by the dead');
    await ps.close();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const db = new Database(f);
    db.prepare(`UPDATE pubsub_deliveries SET lease_owner = ?, attempts = 1, visible_at = ?`).run(`${hostname()}/${gone}/dead`, Date.now() + 3_600_000);
    db.close();
    const again = await open({ connectionString: f });
    const rec = new PubSubRecorder();
    await sub(again, 't', 'g', rec);
    await rec.waitFor(1, 1000);
    expect(rec.messages[0]?.text).toBe('leased by the dead');
  });

  it('deletes acked messages, messages no group wanted, and expired ones', async () => {
    const f = file();
    const ps = await open({ connectionString: f, cleanupInterval: '0' });
    const rec = new PubSubRecorder();
    await sub(ps, 'wanted', 'g', rec);
    await pub(ps, 'wanted', 'acked');
    await rec.waitFor(1, 2000);
    await sleep(50);
    await pub(ps, 'nobody', 'orphan');
    await (await sub(ps, 'later', 'g', new PubSubRecorder())).close();
    await pub(ps, 'later', 'expires', { ttlInSeconds: '1' });
    await pub(ps, 'later', 'kept');
    const rows = () => {
      const db = new Database(f, { readonly: true });
      const r = (db.prepare('SELECT CAST(data AS TEXT) AS t FROM pubsub_messages ORDER BY id').all() as Array<{ t: string }>).map((x) => x.t);
      db.close();
      return r;
    };
    expect(rows()).toEqual(['orphan', 'expires', 'kept']);
    await sleep(1100);
    ps.cleanup();
    expect(rows()).toEqual(['kept']);
  });

  it('rejects a bad ttlInSeconds and an empty topic as bad requests', async () => {
    const ps = await open({ connectionString: ':memory:' });
    await expect(pub(ps, 't', 'x', { ttlInSeconds: 'soon' })).rejects.toMatchObject({ kind: 'tessera.pubsub-error', errorKind: 'bad-request' });
    await expect(pub(ps, '', 'x')).rejects.toMatchObject({ errorKind: 'bad-request' });
  });

  it('checks its metadata', () => {
    expect(parseSqlitePubSubMetadata(meta({ connectionString: 'file:x.db?_pragma=busy_timeout(100)' }))).toMatchObject({
      filename: 'x.db',
      pragmas: [['busy_timeout', '100']],
      tableName: 'pubsub',
      synchronous: 'FULL',
      pollIntervalMs: 500,
      processingTimeoutMs: 60_000,
      redeliverIntervalMs: 1_000,
      concurrency: 10,
      maxDeliver: 0,
      retentionMs: 0,
    });
    expect(parseSqlitePubSubMetadata(meta({ connectionString: 'file::memory:' }))).toMatchObject({ inMemory: true, filename: ':memory:' });
    expect(() => parseSqlitePubSubMetadata(meta({}))).toThrow(/connectionString/);
    expect(() => parseSqlitePubSubMetadata(meta({ connectionString: ':memory:', tableName: 'x; drop' }))).toThrow(/tableName/);
    expect(() => parseSqlitePubSubMetadata(meta({ connectionString: ':memory:', concurrency: '0' }))).toThrow(/concurrency/);
    expect(() => parseSqlitePubSubMetadata(meta({ connectionString: ':memory:', processingTimeout: '0' }))).toThrow(/processingTimeout/);
    expect(() => parseSqlitePubSubMetadata(meta({ connectionString: ':memory:', synchronous: 'sometimes' }))).toThrow(/synchronous/);
  });
});
