// Tables and statements of `nameresolution.sqlite`, in Dapr's layout so Dapr sidecars and Tessera
// gateways can share one database (components-contrib nameresolution/sqlite/sqlite_migrations.go):
//   hosts(registration_id TEXT NOT NULL PRIMARY KEY, address TEXT NOT NULL, app_id TEXT NOT NULL,
//         namespace TEXT NOT NULL, last_update INTEGER NOT NULL)   -- last_update: unix seconds
//   UNIQUE INDEX <hosts>_address_idx (address), INDEX <hosts>_last_update_idx (last_update)
//   metadata(key text NOT NULL PRIMARY KEY, value text NOT NULL)
//     'nr-migrations' = schema level ('1'), 'nr-last-cleanup' = CURRENT_TIMESTAMP of the last cleanup
// The metadata keys are prefixed `nr-`, so the table can be shared with state.sqlite's.
// Table names are validated identifiers (sqlite-nr-metadata.ts) and always quoted.
import type Database from 'better-sqlite3';
import type { SqliteNameResolverMetadata } from './sqlite-nr-metadata';

export const MIGRATIONS_KEY = 'nr-migrations';
export const LAST_CLEANUP_KEY = 'nr-last-cleanup';
const SCHEMA_LEVEL = 1;

type Tables = Pick<SqliteNameResolverMetadata, 'tableName' | 'metadataTableName'>;

export interface HostStatements {
  /** (registration_id, address, app_id, namespace, last_update); takes over any row with that address. */
  readonly register: Database.Statement;
  /** (last_update, registration_id, address); changes = 0 when the registration is gone. */
  readonly heartbeat: Database.Statement;
  /** (address) -> { registration_id, last_update } | undefined */
  readonly ownerOf: Database.Statement;
  /** (registration_id, address) */
  readonly unregister: Database.Statement;
  /** (app_id, namespace, now - updateInterval) -> { address }[] of the live rows. */
  readonly live: Database.Statement;
  /** (cleanupInterval seconds); changes = 1 when this process won the right to clean up now. */
  readonly claimCleanup: Database.Statement;
  /** (rows updated before this unix second are removed) */
  readonly deleteDead: Database.Statement;
}

const quote = (name: string): string => `"${name}"`;

/** Creates the tables if absent, in one EXCLUSIVE transaction; safe from several processes at once. */
export function migrate(db: Database.Database, cfg: Tables): void {
  const t = quote(cfg.tableName);
  const m = quote(cfg.metadataTableName);
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${m} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
    const row = db.prepare(`SELECT value FROM ${m} WHERE key = ?`).get(MIGRATIONS_KEY) as { value: string } | undefined;
    const level = row === undefined ? 0 : Number(row.value);
    if (!Number.isInteger(level) || level < 0) throw new Error(`invalid migration level in table ${cfg.metadataTableName}: "${row?.value}"`);
    if (level >= SCHEMA_LEVEL) return;
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${t} (` +
        'registration_id TEXT NOT NULL PRIMARY KEY, ' +
        'address TEXT NOT NULL, ' +
        'app_id TEXT NOT NULL, ' +
        'namespace TEXT NOT NULL, ' +
        'last_update INTEGER NOT NULL)',
    );
    db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS ${quote(`${cfg.tableName}_address_idx`)} ON ${t} (address)`);
    db.exec(`CREATE INDEX IF NOT EXISTS ${quote(`${cfg.tableName}_last_update_idx`)} ON ${t} (last_update)`);
    db.prepare(`REPLACE INTO ${m} (key, value) VALUES (?, ?)`).run(MIGRATIONS_KEY, String(SCHEMA_LEVEL));
  }).exclusive();
}

export function createHostStatements(db: Database.Database, cfg: Tables): HostStatements {
  const t = quote(cfg.tableName);
  const m = quote(cfg.metadataTableName);
  return {
    register: db.prepare(`REPLACE INTO ${t} (registration_id, address, app_id, namespace, last_update) VALUES (?, ?, ?, ?, ?)`),
    heartbeat: db.prepare(`UPDATE ${t} SET last_update = ? WHERE registration_id = ? AND address = ?`),
    ownerOf: db.prepare(`SELECT registration_id, last_update FROM ${t} WHERE address = ?`),
    unregister: db.prepare(`DELETE FROM ${t} WHERE registration_id = ? AND address = ?`),
    // Dapr's sidecars write namespace '' (components-contrib issue 3179), so those rows match any namespace.
    live: db.prepare(`SELECT address FROM ${t} WHERE app_id = ? AND (namespace = ? OR namespace = '') AND last_update > ?`),
    claimCleanup: db.prepare(
      `INSERT INTO ${m} (key, value) VALUES ('${LAST_CLEANUP_KEY}', CURRENT_TIMESTAMP) ` +
        'ON CONFLICT (key) DO UPDATE SET value = CURRENT_TIMESTAMP ' +
        'WHERE unixepoch(CURRENT_TIMESTAMP) - unixepoch(value) >= ?',
    ),
    deleteDead: db.prepare(`DELETE FROM ${t} WHERE last_update < ?`),
  };
}
