// Looking at what the runtime wrote straight in the backends, to prove the layout is Dapr's
// (so data written by Tessera is read by daprd and vice versa): Redis hashes `<appId>||<key>`
// with `data` + `version`, Postgres rows keyed `<appId>||<key>`, SQLite rows in table `state`.
// SQLite is read through a child process: better-sqlite3 is a driver apps may not import.
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { testPostgresUrl, testRedisUrl } from '@tessera/testing';

export async function redisHash(key: string): Promise<Record<string, string>> {
  const r = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    return await r.hgetall(key);
  } finally {
    r.disconnect();
  }
}

export async function postgresRow(table: string, key: string): Promise<{ key: string; value: unknown; etag: string } | undefined> {
  const c = new Client({ connectionString: testPostgresUrl() });
  await c.connect();
  try {
    const r = await c.query<{ key: string; value: unknown; etag: string }>(`SELECT key, value, xmin::text AS etag FROM ${table} WHERE key = $1`, [key]);
    return r.rows[0];
  } finally {
    await c.end();
  }
}

export interface SqliteRow {
  key: string;
  value: string;
  is_binary: number;
  etag: string;
}

const SQLITE_READ = `
const [file, key, from] = process.argv.slice(1);
const Database = require(require.resolve('better-sqlite3', { paths: [from] }));
const db = new Database(file, { readonly: true, fileMustExist: true });
const row = db.prepare('SELECT key, value, is_binary, etag FROM state WHERE key = ?').get(key);
process.stdout.write(JSON.stringify(row ?? null));
`;

export function sqliteRow(file: string, key: string): SqliteRow | undefined {
  const r = spawnSync(process.execPath, ['-e', SQLITE_READ, file, key, __dirname], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`reading ${file} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as SqliteRow | null) ?? undefined;
}
