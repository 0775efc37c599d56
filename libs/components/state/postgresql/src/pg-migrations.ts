// Schema set-up for Dapr's v1 layout, coordinated with Dapr sidecars on the same database the way
// they coordinate among themselves: the metadata table holds the migration level under key
// `migrations`, and a transaction holding `SELECT ... FOR UPDATE` on its `lock` row serialises
// migrators (no advisory locks, as Dapr). Level 1 creates the state table, level 2 adds
// `expiredate`; both steps are idempotent, so a half-finished run by anyone is safe to repeat.
import { Client } from 'pg';
import type { ClientConfig } from 'pg';

const LEVEL_KEY = 'migrations';
const LOCK_KEY = 'lock';
const UNIQUE_VIOLATION = '23505';

/** Runs on two short-lived connections of its own (lock holder + worker), whatever the pool size. */
export async function migrate(config: ClientConfig, table: string, metadataTable: string): Promise<void> {
  const pool = new Client(config);
  const lock = new Client(config);
  pool.on('error', () => undefined);
  lock.on('error', () => undefined);
  try {
    await pool.connect();
    await lock.connect();
    await migrateWith(pool, lock, table, metadataTable);
  } finally {
    await Promise.allSettled([pool.end(), lock.end()]);
  }
}

async function migrateWith(pool: Client, lock: Client, table: string, metadataTable: string): Promise<void> {
  await createMetadataTable(pool, metadataTable);
  await pool.query(`INSERT INTO ${metadataTable} (key, value) VALUES ($1, 'lock') ON CONFLICT (key) DO NOTHING`, [LOCK_KEY]);
  try {
    await lock.query('BEGIN');
    await lock.query(`SELECT value FROM ${metadataTable} WHERE key = $1 FOR UPDATE`, [LOCK_KEY]);

    const r = await pool.query<{ value: string }>(`SELECT value FROM ${metadataTable} WHERE key = $1`, [LEVEL_KEY]);
    const text = r.rows[0]?.value;
    const level = text === undefined ? 0 : Number(text);
    if (!Number.isInteger(level) || level < 0) throw new Error(`invalid migration level found in ${metadataTable}: ${text}`);

    const steps: Array<() => Promise<unknown>> = [
      () =>
        ignoreUnique(
          pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
            key text NOT NULL PRIMARY KEY,
            value jsonb NOT NULL,
            isbinary boolean NOT NULL,
            insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
            updatedate TIMESTAMP WITH TIME ZONE NULL
          )`),
        ),
      () => pool.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS expiredate TIMESTAMP WITH TIME ZONE NULL`),
    ];
    for (let i = level; i < steps.length; i++) {
      await (steps[i] as () => Promise<unknown>)();
      await pool.query(
        `INSERT INTO ${metadataTable} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2`,
        [LEVEL_KEY, String(i + 1)],
      );
    }
  } finally {
    // The lock transaction never writes; rolling back just releases the row lock.
    await lock.query('ROLLBACK').catch(() => undefined);
  }
}

async function createMetadataTable(pool: Client, metadataTable: string): Promise<void> {
  // Concurrent CREATE TABLE IF NOT EXISTS can still collide on pg_type; retry a few times.
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS ${metadataTable} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== UNIQUE_VIOLATION || attempt >= 2) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function ignoreUnique(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if ((e as { code?: string }).code !== UNIQUE_VIOLATION) throw e;
  }
}
