// Configuration-block fixtures for the end-to-end suites: component YAML (configuration.redis,
// configuration.postgresql), a configuration-svc process, the backends written the way an
// operator writes them (Dapr's `value||version` strings in Redis; a table and a pg_notify trigger
// in PostgreSQL, as components.md 5.13 documents), and a recording HTTP app that receives the
// `POST /configuration/{store}/{key}` updates.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { testRedisUrl } from '@tessera/testing';
import { POSTGRES_URL, REDIS_HOST } from './components';
import { DIST, TesseraProcess, freePort, tempDir, waitPort } from './processes';

const REDIS_PASSWORD = decodeURIComponent(new URL(testRedisUrl()).password);

export function redisConfigYaml(name = 'configstore'): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: configuration.redis
  version: v1
  metadata:
    - name: redisHost
      value: "${REDIS_HOST}"
${REDIS_PASSWORD ? `    - name: redisPassword
      value: "${REDIS_PASSWORD}"
` : ''}`;
}

export function postgresConfigYaml(name: string, table: string, type = 'configuration.postgresql'): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
    - name: connectionString
      value: "${POSTGRES_URL}"
    - name: table
      value: "${table}"
`;
}

/** Changes items the way an operator does, behind the runtime. */
export interface ConfigWriter {
  set(key: string, value: string, version: string): Promise<void>;
  del(key: string): Promise<void>;
  close(): Promise<void>;
}

export function redisWriter(): ConfigWriter {
  const r = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  return {
    set: async (k, v, ver) => void (await r.set(k, ver === '' ? v : `${v}||${ver}`)),
    del: async (k) => void (await r.del(k)),
    close: async () => r.disconnect(),
  };
}

/** Creates the user's table and a trigger that pg_notify()s `channel` on every change. */
export async function setUpPostgresConfig(table: string, channel: string): Promise<void> {
  const c = new Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    await c.query(`CREATE TABLE IF NOT EXISTS ${table} (key VARCHAR NOT NULL, value VARCHAR NOT NULL, version VARCHAR NOT NULL, metadata JSON)`);
    await c.query(`
      CREATE OR REPLACE FUNCTION ${table}_notify() RETURNS TRIGGER AS $$
      DECLARE data json; notification json;
      BEGIN
        IF (TG_OP = 'DELETE') THEN data = row_to_json(OLD); ELSE data = row_to_json(NEW); END IF;
        notification = json_build_object('table', TG_TABLE_NAME, 'action', TG_OP, 'data', data);
        PERFORM pg_notify('${channel}', notification::text);
        RETURN NULL;
      END; $$ LANGUAGE plpgsql`);
    await c.query(`DROP TRIGGER IF EXISTS ${table}_trigger ON ${table}`);
    await c.query(`CREATE TRIGGER ${table}_trigger AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE PROCEDURE ${table}_notify()`);
  } finally {
    await c.end();
  }
}

export async function postgresWriter(table: string): Promise<ConfigWriter> {
  const c = new Client({ connectionString: POSTGRES_URL });
  await c.connect();
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    set: (k, v, ver) =>
      serial(async () => {
        const r = await c.query(`UPDATE ${table} SET value = $2, version = $3 WHERE key = $1`, [k, v, ver]);
        if (r.rowCount === 0) await c.query(`INSERT INTO ${table} (key, value, version, metadata) VALUES ($1, $2, $3, NULL)`, [k, v, ver]);
      }),
    del: (k) => serial(async () => void (await c.query(`DELETE FROM ${table} WHERE key = $1`, [k]))),
    close: () => c.end(),
  };
}

export interface ConfigurationSvc {
  readonly address: string;
  readonly port: number;
  readonly proc: TesseraProcess;
  stop(): Promise<void>;
}

/** Starts dist/apps/configuration-svc and waits for its port. */
export async function startConfigurationSvc(opts: { resources: string[]; port?: number; cwd?: string }): Promise<ConfigurationSvc> {
  const port = opts.port ?? (await freePort());
  const bundle = join(DIST, 'configuration-svc', 'main.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run node tools/build.mjs`);
  const args = ['--port', String(port)];
  for (const r of opts.resources) args.push('--resources-path', r);
  const child = spawn(process.execPath, [bundle, ...args], {
    cwd: opts.cwd ?? tempDir(),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new TesseraProcess(child);
  await waitPort(proc, port);
  return { address: `127.0.0.1:${port}`, port, proc, stop: () => proc.stop() };
}

export interface Posted {
  readonly method: string;
  readonly url: string;
  readonly contentType: string;
  readonly body: { id: string; items: Record<string, Record<string, unknown>> };
}

/** An HTTP app that records what the runtime posts to it and answers `status`. */
export class RecordingApp {
  readonly posts: Posted[] = [];
  status = 200;
  private server: Server | undefined;
  port = 0;

  async start(port?: number): Promise<number> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('utf8')));
      req.on('end', () => {
        if (req.url?.startsWith('/configuration/')) {
          let parsed: Posted['body'] = { id: '', items: {} };
          try {
            parsed = JSON.parse(body) as Posted['body'];
          } catch {
            // recorded as empty
          }
          this.posts.push({ method: req.method ?? '', url: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body: parsed });
        }
        res.writeHead(this.status).end();
      });
    });
    this.port = port ?? (await freePort());
    await new Promise<void>((resolve) => (this.server as Server).listen(this.port, '127.0.0.1', resolve));
    return this.port;
  }

  /** Posts for one key, in arrival order. */
  postsFor(store: string, key: string): Posted[] {
    return this.posts.filter((p) => p.url === `/configuration/${store}/${encodeURIComponent(key)}`);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** Polls until `fn` answers true; the deadline is a safety net, not a timing assertion. */
export async function eventually(fn: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
