import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildSync } from 'esbuild';
import { isNameResolverError } from '@tessera/spi';
import type { NameResolver } from '@tessera/spi';
import { createSqliteNameResolver, DEAD_AFTER_INTERVALS } from './sqlite-name-resolver';

const dir = mkdtempSync(join(tmpdir(), 'tessera-nr-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
const newFile = (): string => join(dir, `nr-${++fileNo}.db`);
const meta = (properties: Record<string, string>) => ({ name: 'nameresolution', type: 'nameresolution.sqlite', version: 'v1', properties, appId: 'app' });
const now = (): number => Math.floor(Date.now() / 1000);

/** Test hooks of the implementation that the interface does not show. */
type Internals = NameResolver & { heartbeat(): void; cleanup(): void };

const opened: NameResolver[] = [];
afterEach(async () => {
  for (const r of opened.splice(0)) await r.close().catch(() => undefined);
});

async function open(properties: Record<string, string>): Promise<Internals> {
  const r = createSqliteNameResolver(meta(properties)) as Internals;
  await r.init();
  opened.push(r);
  return r;
}

async function resolveMany(r: NameResolver, appId: string, namespace: string, n: number): Promise<Set<string | undefined>> {
  const seen = new Set<string | undefined>();
  for (let i = 0; i < n; i++) seen.add(await r.resolve(appId, namespace));
  return seen;
}

function rows(file: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT address, app_id, namespace FROM hosts ORDER BY address').all();
  } finally {
    db.close();
  }
}

function write(file: string, sql: string, ...params: unknown[]): void {
  const db = new Database(file, { timeout: 2000 });
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

describe('nameresolution.sqlite layout', () => {
  it("creates Dapr's tables, indexes and migration level exactly, in WAL mode", async () => {
    const file = newFile();
    const r = await open({ connectionString: file });
    await r.close();
    const db = new Database(file, { readonly: true });
    const cols = db.pragma('table_info(hosts)') as Array<{ name: string; type: string; notnull: number; dflt_value: unknown; pk: number }>;
    expect(cols.map(({ name, type, notnull, dflt_value, pk }) => ({ name, type, notnull, dflt_value, pk }))).toEqual([
      { name: 'registration_id', type: 'TEXT', notnull: 1, dflt_value: null, pk: 1 },
      { name: 'address', type: 'TEXT', notnull: 1, dflt_value: null, pk: 0 },
      { name: 'app_id', type: 'TEXT', notnull: 1, dflt_value: null, pk: 0 },
      { name: 'namespace', type: 'TEXT', notnull: 1, dflt_value: null, pk: 0 },
      { name: 'last_update', type: 'INTEGER', notnull: 1, dflt_value: null, pk: 0 },
    ]);
    const indexes = (db.pragma('index_list(hosts)') as Array<{ name: string; unique: number; origin: string }>)
      .filter((i) => i.origin === 'c')
      .map((i) => [i.name, i.unique, (db.pragma(`index_info(${i.name})`) as Array<{ name: string }>).map((c) => c.name)])
      .sort();
    expect(indexes).toEqual([
      ['hosts_address_idx', 1, ['address']],
      ['hosts_last_update_idx', 0, ['last_update']],
    ]);
    const metaCols = db.pragma('table_info(metadata)') as Array<{ name: string; type: string; notnull: number; pk: number }>;
    expect(metaCols.map((c) => [c.name, c.type.toUpperCase(), c.notnull, c.pk])).toEqual([['key', 'TEXT', 1, 1], ['value', 'TEXT', 1, 0]]);
    expect(db.prepare("SELECT value FROM metadata WHERE key = 'nr-migrations'").get()).toEqual({ value: '1' });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('creates parent folders, honours tableName / metadataTableName and reopens an existing database', async () => {
    const file = join(dir, 'a', 'b', 'c', 'nr.db');
    const r = await open({ connectionString: file, tableName: 'nr_hosts', metadataTableName: 'nr_meta' });
    expect(existsSync(file)).toBe(true);
    await r.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:50002' });
    const again = await open({ connectionString: `file:${file}?_pragma=busy_timeout(500)`, tableName: 'nr_hosts', metadataTableName: 'nr_meta' });
    expect(await again.resolve('x', 'default')).toBe('127.0.0.1:50002');
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT app_id FROM nr_hosts').all()).toEqual([{ app_id: 'x' }]);
    expect(db.prepare("SELECT value FROM nr_meta WHERE key = 'nr-migrations'").get()).toEqual({ value: '1' });
    db.close();
  });

  it('shares a file with a state.sqlite-style metadata table (keys are prefixed nr-)', async () => {
    const file = newFile();
    write(file, 'CREATE TABLE metadata (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)');
    write(file, "INSERT INTO metadata (key, value) VALUES ('migrations', '1')");
    const r = await open({ connectionString: file });
    await r.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    expect(await r.resolve('x', 'default')).toBe('127.0.0.1:1');
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT key, value FROM metadata ORDER BY key').all()).toEqual(
      expect.arrayContaining([{ key: 'migrations', value: '1' }, { key: 'nr-migrations', value: '1' }]),
    );
    db.close();
  });
});

describe('nameresolution.sqlite across processes (two resolvers on one file)', () => {
  it('resolves both instances of an app, from either side, load-balanced', async () => {
    const file = newFile();
    const a = await open({ connectionString: file });
    const b = await open({ connectionString: file });
    await a.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:50002' });
    await b.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:50012' });
    const both = new Set(['127.0.0.1:50002', '127.0.0.1:50012']);
    expect(await resolveMany(a, 'x', 'default', 200)).toEqual(both);
    expect(await resolveMany(b, 'x', 'default', 200)).toEqual(both);
    expect(await a.resolve('y', 'default')).toBeUndefined();
    expect(rows(file)).toHaveLength(2);
  });

  it('unregister removes the row; the other side stops resolving it', async () => {
    const file = newFile();
    const a = await open({ connectionString: file });
    const b = await open({ connectionString: file, cacheTTL: '0' });
    await a.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    await b.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:2' });
    await a.unregister();
    expect(rows(file)).toEqual([{ address: '127.0.0.1:2', app_id: 'x', namespace: 'default' }]);
    expect(await resolveMany(b, 'x', 'default', 50)).toEqual(new Set(['127.0.0.1:2']));
    await b.unregister();
    expect(rows(file)).toEqual([]);
    expect(await b.resolve('x', 'default')).toBeUndefined();
    await a.unregister(); // not registered: a no-op
  });

  it('close() unregisters and is idempotent', async () => {
    const file = newFile();
    const a = await open({ connectionString: file });
    await a.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    await a.close();
    await a.close();
    expect(rows(file)).toEqual([]);
  });

  it('does not cache a miss: an app registered after a failed lookup is found at once', async () => {
    const file = newFile();
    const caller = await open({ connectionString: file });
    const callee = await open({ connectionString: file });
    expect(await caller.resolve('late', 'default')).toBeUndefined();
    await callee.register({ appId: 'late', namespace: 'default', address: '127.0.0.1:7' });
    expect(await caller.resolve('late', 'default')).toBe('127.0.0.1:7');
  });

  it('caches positive answers for cacheTTL, then reads again', async () => {
    const file = newFile();
    const caller = await open({ connectionString: file, cacheTTL: '300ms' });
    const callee = await open({ connectionString: file });
    await callee.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    expect(await caller.resolve('x', 'default')).toBe('127.0.0.1:1');
    await callee.unregister();
    expect(await caller.resolve('x', 'default')).toBe('127.0.0.1:1');
    await new Promise((r) => setTimeout(r, 350));
    expect(await caller.resolve('x', 'default')).toBeUndefined();
  });

  it('keeps namespaces apart', async () => {
    const file = newFile();
    const r = await open({ connectionString: file, cacheTTL: '0' });
    const other = await open({ connectionString: file });
    await other.register({ appId: 'x', namespace: 'prod', address: '127.0.0.1:1' });
    expect(await r.resolve('x', 'prod')).toBe('127.0.0.1:1');
    expect(await r.resolve('x', 'default')).toBeUndefined();
  });
});

describe('nameresolution.sqlite with a real second process', () => {
  it('resolves a row another process wrote and waits for its write lock instead of failing', async () => {
    const file = newFile();
    const r = await open({ connectionString: file, cacheTTL: '0', busyTimeout: '3s' });
    // The other process registers like a Dapr sidecar, then holds the write lock for 400 ms.
    const script = `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(file)}, { timeout: 2000 });
      db.prepare("REPLACE INTO hosts (registration_id, address, app_id, namespace, last_update) VALUES ('child', '127.0.0.1:9', 'x', '', unixepoch(CURRENT_TIMESTAMP))").run();
      db.exec('BEGIN IMMEDIATE');
      process.stdout.write('locked\\n');
      const until = Date.now() + 400;
      while (Date.now() < until) {}
      db.exec('COMMIT');
      db.close();
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    await new Promise<void>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && res());
      child.on('exit', () => rej(new Error('child exited before locking')));
    });
    expect(await r.resolve('x', 'default')).toBe('127.0.0.1:9'); // WAL: reading does not wait for the writer
    await r.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' }); // waits for the lock
    expect(await exited).toBe(0);
    expect(await resolveMany(r, 'x', 'default', 100)).toEqual(new Set(['127.0.0.1:1', '127.0.0.1:9']));
  });
});

describe('nameresolution.sqlite: many runtimes starting at the same moment on a fresh file', () => {
  // The resolver's own source, bundled so that real processes (true concurrency: one process
  // cannot race itself, better-sqlite3 is synchronous) run init() and register() together.
  const bundle = join(dir, 'nr-child.js');
  beforeAll(() => {
    const entry = join(dir, 'nr-child.ts');
    writeFileSync(
      entry,
      `import { createSqliteNameResolver } from ${JSON.stringify(join(__dirname, 'index'))};
       const [file, id, at] = process.argv.slice(2);
       while (Date.now() < Number(at)) { /* line the processes up */ }
       const r = createSqliteNameResolver({ name: 'nr', type: 'nameresolution.sqlite', version: 'v1', properties: { connectionString: file, busyTimeout: '100ms' }, appId: 'app' + id });
       r.init()
         .then(() => r.register({ appId: 'app' + id, namespace: 'default', address: '127.0.0.1:' + (20000 + Number(id)) }))
         .then(() => process.stdout.write('ok\\n'), (e) => process.stdout.write('failed: ' + e.message + '\\n'))
         .then(() => setTimeout(() => r.close(), 1500));`,
    );
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', outfile: bundle, external: ['better-sqlite3'], tsconfig: join(__dirname, '../../../../../tsconfig.base.json'), logLevel: 'error' });
  });

  /**
   * Starts `n` processes that each open `file` and register at the same moment; `outcomes` is
   * each one's first line ('ok' or 'failed: ...'); they stay registered ~1.5 s, then close.
   */
  function startTogether(file: string, n: number): { outcomes: Promise<string[]>; exited: Promise<unknown> } {
    const at = Date.now() + 600;
    const children = Array.from({ length: n }, (_, i) =>
      spawn(process.execPath, [bundle, file, String(i + 1), String(at)], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_PATH: join(require.resolve('better-sqlite3'), '../../..') },
      }),
    );
    const outcomes = Promise.all(
      children.map(
        (child) =>
          new Promise<string>((res) => {
            let out = '';
            child.stdout.on('data', (d: Buffer) => {
              out += d.toString();
              if (out.includes('\n')) res(out.split('\n')[0] as string);
            });
            child.on('exit', () => res(out.trim() || 'exited without a word'));
          }),
      ),
    );
    const exited = Promise.all(children.map((c) => new Promise((res) => c.on('exit', res))));
    return { outcomes, exited };
  }

  it('every process opens, migrates and registers (no "database is locked"), round after round; all are resolvable', async () => {
    for (let round = 0; round < 3; round++) {
      const file = join(dir, `together-${round}`, 'nr.db');
      const { outcomes, exited } = startTogether(file, 6);
      expect(await outcomes).toEqual(Array.from({ length: 6 }, () => 'ok'));
      const r = await open({ connectionString: file, cacheTTL: '0' });
      for (let i = 1; i <= 6; i++) expect(await r.resolve(`app${i}`, 'default')).toBe(`127.0.0.1:${20000 + i}`);
      await r.close();
      await exited;
    }
  }, 60_000);

  it('init() waits out another process holding the fresh file locked instead of failing at once', async () => {
    const file = newFile();
    const script = `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(file)});
      db.exec('BEGIN EXCLUSIVE');
      db.exec('CREATE TABLE other (x)');
      process.stdout.write('locked\\n');
      const until = Date.now() + 600;
      while (Date.now() < until) {}
      db.exec('COMMIT');
      db.close();
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    await new Promise<void>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && res());
      child.on('exit', () => rej(new Error('child exited before locking')));
    });
    const t0 = Date.now();
    // busyTimeout 50 ms: the lock outlasts it many times over; the retries carry init through
    const r = await open({ connectionString: file, busyTimeout: '50ms' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    await r.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    expect(await r.resolve('x', 'default')).toBe('127.0.0.1:1');
    expect(await exited).toBe(0);
  });
});

describe('nameresolution.sqlite freshness and Dapr rows', () => {
  it('ignores a row whose last_update is updateInterval or more in the past', async () => {
    const file = newFile();
    const r = await open({ connectionString: file, cacheTTL: '0' });
    const insert = 'INSERT INTO hosts (registration_id, address, app_id, namespace, last_update) VALUES (?, ?, ?, ?, ?)';
    write(file, insert, 'old', '10.0.0.1:50002', 'x', 'default', now() - 3600);
    write(file, insert, 'edge', '10.0.0.2:50002', 'x', 'default', now() - 5);
    expect(await r.resolve('x', 'default')).toBeUndefined();
    write(file, insert, 'fresh', '10.0.0.3:50002', 'x', 'default', now() - 3);
    expect(await resolveMany(r, 'x', 'default', 50)).toEqual(new Set(['10.0.0.3:50002']));
  });

  it("resolves a row written by hand in Dapr's layout (namespace '') from any namespace", async () => {
    const file = newFile();
    const r = await open({ connectionString: file });
    write(
      file,
      'REPLACE INTO hosts (registration_id, address, app_id, namespace, last_update) VALUES (?, ?, ?, ?, unixepoch(CURRENT_TIMESTAMP))',
      'c4b5a4e2-8a3e-4f57-9d0e-3f7f2b0c1d11',
      '192.168.1.20:50002',
      'daprapp',
      '',
    );
    expect(await r.resolve('daprapp', 'default')).toBe('192.168.1.20:50002');
    expect(await r.resolve('daprapp', 'prod')).toBe('192.168.1.20:50002');
  });

  it('register takes over a stale row with the same address', async () => {
    const file = newFile();
    const r = await open({ connectionString: file, cacheTTL: '0' });
    write(file, 'INSERT INTO hosts VALUES (?, ?, ?, ?, ?)', 'dead', '127.0.0.1:50002', 'old', 'default', now() - 100);
    await r.register({ appId: 'new', namespace: 'default', address: '127.0.0.1:50002' });
    expect(rows(file)).toEqual([{ address: '127.0.0.1:50002', app_id: 'new', namespace: 'default' }]);
    expect(await r.resolve('new', 'default')).toBe('127.0.0.1:50002');
    expect(await r.resolve('old', 'default')).toBeUndefined();
  });
});

describe('nameresolution.sqlite heartbeat and cleanup', () => {
  it('heartbeats on its own every updateInterval - timeout', async () => {
    const file = newFile();
    const r = await open({ connectionString: file, updateInterval: '2s', timeout: '1s' });
    await r.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    write(file, 'UPDATE hosts SET last_update = ?', now() - 100);
    await new Promise((res) => setTimeout(res, 1300));
    const db = new Database(file, { readonly: true });
    const { last_update } = db.prepare('SELECT last_update FROM hosts').get() as { last_update: number };
    db.close();
    expect(now() - last_update).toBeLessThanOrEqual(1);
  });

  it('a heartbeat registers again when its row vanished', async () => {
    const file = newFile();
    const r = await open({ connectionString: file, cacheTTL: '0' });
    await r.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    write(file, 'DELETE FROM hosts');
    expect(await r.resolve('x', 'default')).toBeUndefined();
    r.heartbeat();
    expect(await r.resolve('x', 'default')).toBe('127.0.0.1:1');
  });

  it('a heartbeat yields when a live registration of another process took the address', async () => {
    const file = newFile();
    const r = await open({ connectionString: file, cacheTTL: '0' });
    await r.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    write(file, 'REPLACE INTO hosts VALUES (?, ?, ?, ?, ?)', 'other', '127.0.0.1:1', 'y', 'default', now());
    r.heartbeat();
    expect(rows(file)).toEqual([{ address: '127.0.0.1:1', app_id: 'y', namespace: 'default' }]);
    await r.unregister(); // must not delete the other process's row
    expect(rows(file)).toHaveLength(1);
  });

  it('cleanup removes long-dead rows only, once per cleanupInterval across processes', async () => {
    const file = newFile();
    const a = await open({ connectionString: file, cleanupInterval: '1h' });
    await a.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    const insert = 'INSERT INTO hosts VALUES (?, ?, ?, ?, ?)';
    write(file, insert, 'dead', '127.0.0.1:2', 'x', 'default', now() - DEAD_AFTER_INTERVALS * 5 - 10);
    write(file, insert, 'stale', '127.0.0.1:3', 'x', 'default', now() - 10);
    write(file, "DELETE FROM metadata WHERE key = 'nr-last-cleanup'");
    const b = await open({ connectionString: file, cleanupInterval: '1h' }); // cleans at init
    expect(rows(file)).toEqual([
      { address: '127.0.0.1:1', app_id: 'x', namespace: 'default' },
      { address: '127.0.0.1:3', app_id: 'x', namespace: 'default' },
    ]);
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT value FROM metadata WHERE key = 'nr-last-cleanup'").get()).toEqual({ value: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/) });
    db.close();
    write(file, insert, 'dead2', '127.0.0.1:4', 'x', 'default', now() - 3600);
    b.cleanup(); // within the interval of the last cleanup: skipped
    expect(rows(file)).toHaveLength(3);
  });
});

describe('nameresolution.sqlite metadata', () => {
  it.each([
    [{}, 'connectionString'],
    [{ connectionString: 'x.db', updateInterval: '2500ms' }, 'updateInterval'],
    [{ connectionString: 'x.db', updateInterval: '1s' }, 'updateInterval'],
    [{ connectionString: 'x.db', timeout: '5s' }, 'updateInterval'],
    [{ connectionString: 'x.db', tableName: 'hosts; DROP TABLE x' }, 'tableName'],
    [{ connectionString: 'x.db', cleanupInterval: 'soon' }, 'cleanupInterval'],
    [{ connectionString: 'file:x.db?_pragma=bad' }, 'connectionString'],
  ])('%j is rejected naming %s', async (properties, field) => {
    const r = createSqliteNameResolver(meta(properties));
    await expect(r.init()).rejects.toMatchObject({ kind: 'tessera.component-config', field });
  });

  it('throws NameResolverError when used before init', async () => {
    const r = createSqliteNameResolver(meta({ connectionString: newFile() }));
    const err = await r.resolve('x', 'default').catch((e: unknown) => e);
    expect(isNameResolverError(err)).toBe(true);
  });

  it('works in memory within one process', async () => {
    const r = await open({ connectionString: ':memory:' });
    await r.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:1' });
    expect(await r.resolve('x', 'default')).toBe('127.0.0.1:1');
  });
});
