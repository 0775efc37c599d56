// Schema set-up for Dapr's v1 layout, coordinated with Dapr sidecars on the same database the way
// they coordinate among themselves: the metadata table holds the migration level under key
// `migrations`, and a transaction holding `SELECT ... FOR UPDATE` on its `lock` row serialises
// migrators (no advisory locks, as Dapr). Level 1 creates the state table, level 2 adds
// `expiredate`; both steps are idempotent, so a half-finished run by anyone is safe to repeat.
// Not added: the `row_id` identity column of newer Dapr releases (their migration, not ours to
// number).
import { Client } from 'pg';
import type { ClientConfig } from 'pg';
import { createIfAbsent } from '@tessera/common-postgres';

const LEVEL_KEY = 'migrations';
const LOCK_KEY = 'lock';
/** Dapr's v1 level after its two migrations (create table, add expiredate). */
const LEVEL = 2;
const UNIQUE_VIOLATION = '23505';

/** Runs on two short-lived connections of its own (lock holder + worker), whatever the pool size. */
export async function migrate(config: ClientConfig, table: string, metadataTable: string): Promise<void> {
  const work = new Client(config);
  const lock = new Client(config);
  work.on('error', () => undefined);
  lock.on('error', () => undefined);
  try {
    await work.connect();
    await lock.connect();
    await migrateWith(work, lock, table, metadataTable);
  } finally {
    await Promise.allSettled([work.end(), lock.end()]);
  }
}

async function migrateWith(work: Client, lock: Client, table: string, metadataTable: string): Promise<void> {
  await createMetadataTable(work, metadataTable);
  await work.query(`INSERT INTO ${metadataTable} (key, value) VALUES ($1, 'lock') ON CONFLICT (key) DO NOTHING`, [LOCK_KEY]);
  try {
    await lock.query('BEGIN');
    await lock.query(`SELECT value FROM ${metadataTable} WHERE key = $1 FOR UPDATE`, [LOCK_KEY]);

    const r = await work.query<{ value: string }>(`SELECT value FROM ${metadataTable} WHERE key = $1`, [LEVEL_KEY]);
    const text = r.rows[0]?.value;
    const level = text === undefined ? 0 : Number(text);
    if (!Number.isInteger(level) || level < 0) throw new Error(`invalid migration level found in ${metadataTable}: ${text}`);

    // Each step checks the catalog first, whatever the recorded level: several state tables may
    // share one metadata table (and so one `migrations` key), and an existing table must not be
    // locked by DDL on every start.
    if (!(await relationExists(work, table))) {
      await ignoreUnique(
        work.query(`CREATE TABLE IF NOT EXISTS ${table} (
          key text NOT NULL PRIMARY KEY,
          value jsonb NOT NULL,
          isbinary boolean NOT NULL,
          insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
          updatedate TIMESTAMP WITH TIME ZONE NULL
        )`),
      );
    }
    if (!(await columnExists(work, table, 'expiredate'))) {
      await work.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS expiredate TIMESTAMP WITH TIME ZONE NULL`);
    }
    if (level < LEVEL) {
      await work.query(
        `INSERT INTO ${metadataTable} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2`,
        [LEVEL_KEY, String(LEVEL)],
      );
    }
  } finally {
    // The lock transaction never writes; rolling back just releases the row lock.
    await lock.query('ROLLBACK').catch(() => undefined);
  }
}

async function createMetadataTable(work: Client, metadataTable: string): Promise<void> {
  await createIfAbsent(work, `CREATE TABLE IF NOT EXISTS ${metadataTable} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
}

async function relationExists(db: Client, name: string): Promise<boolean> {
  const r = await db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [name]);
  return r.rows[0]?.ok === true;
}

async function columnExists(db: Client, table: string, column: string): Promise<boolean> {
  const r = await db.query(
    'SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped',
    [table, column],
  );
  return (r.rowCount ?? 0) > 0;
}

async function ignoreUnique(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if ((e as { code?: string }).code !== UNIQUE_VIOLATION) throw e;
  }
}
