// Lock component YAML for the end-to-end suites, and looks straight into the backends to prove
// the stored layout: Redis string keys `lock||<appId>||<resourceId>` holding the owner (Dapr's
// layout), PostgreSQL and SQLite rows of Tessera's lock tables. SQLite is read through a child
// process: better-sqlite3 is a driver apps may not import.
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { testPostgresUrl, testRedisUrl } from '@tessera/testing';
import { POSTGRES_URL, REDIS_HOST } from './components';

const REDIS_PASSWORD = decodeURIComponent(new URL(testRedisUrl()).password);

export function redisLockYaml(name = 'lockstore', extra = ''): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: lock.redis
  version: v1
  metadata:
    - name: redisHost
      value: "${REDIS_HOST}"
${REDIS_PASSWORD ? `    - name: redisPassword
      value: "${REDIS_PASSWORD}"
` : ''}${extra}`;
}

export function postgresLockYaml(name = 'lockstore', table = 'tessera_e2e_locks', extra = ''): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: lock.postgresql
  version: v1
  metadata:
    - name: connectionString
      value: "${POSTGRES_URL}"
    - name: tableName
      value: "${table}"
${extra}`;
}

/** The owner Redis holds under `key`, or null, and its remaining TTL in ms. */
export async function redisLock(key: string): Promise<{ owner: string | null; pttl: number }> {
  const r = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const [owner, pttl] = await Promise.all([r.get(key), r.pttl(key)]);
    return { owner, pttl };
  } finally {
    r.disconnect();
  }
}

export async function postgresLock(table: string, key: string): Promise<{ owner: string; secs: number } | undefined> {
  const c = new Client({ connectionString: testPostgresUrl() });
  await c.connect();
  try {
    const r = await c.query<{ owner: string; secs: number }>(
      `SELECT owner, EXTRACT(EPOCH FROM expiredate - now())::float8 AS secs FROM ${table} WHERE key = $1 AND expiredate > now()`,
      [key],
    );
    return r.rows[0];
  } finally {
    await c.end();
  }
}

export async function dropPostgresTable(table: string): Promise<void> {
  const c = new Client({ connectionString: testPostgresUrl() });
  await c.connect();
  try {
    await c.query(`DROP TABLE IF EXISTS ${table}`);
  } finally {
    await c.end();
  }
}

const SQLITE_READ = `
const [file, key, from] = process.argv.slice(1);
const Database = require(require.resolve('better-sqlite3', { paths: [from] }));
const db = new Database(file, { readonly: true, fileMustExist: true });
const row = db.prepare('SELECT owner, expires_at FROM locks WHERE key = ? AND expires_at > ?').get(key, Date.now());
process.stdout.write(JSON.stringify(row ?? null));
`;

/** The live lock row of the embedded lock.sqlite store in `file`. */
export function sqliteLock(file: string, key: string): { owner: string; expires_at: number } | undefined {
  const r = spawnSync(process.execPath, ['-e', SQLITE_READ, file, key, __dirname], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`reading ${file} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { owner: string; expires_at: number } | null) ?? undefined;
}
