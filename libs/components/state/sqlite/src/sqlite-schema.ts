// Tables and prepared statements of `state.sqlite`. The state table layout is Dapr's (see
// sqlite-state-store.ts); the metadata table (key, value) holds the schema level under
// `migrations` and the last cleanup time under `last-cleanup-<table>`. Table names are validated
// identifiers (sqlite-metadata.ts) and always quoted.
import type Database from 'better-sqlite3';
import type { SqliteStateMetadata } from './sqlite-metadata';

export interface Row {
  key: string;
  value: string;
  is_binary: number;
  etag: string;
}

export interface Statements {
  /** (key, now) -> Row & { expires: RFC 3339 | null } for a live row. */
  readonly get: Database.Statement;
  /** named: key, value, isBinary, etag, expires, now. */
  readonly upsert: Database.Statement;
  /** Same params; changes = 0 when a live row exists. */
  readonly insertIfAbsent: Database.Statement;
  /** Same params + expected; changes = 0 when no live row has that ETag. */
  readonly updateIfEtag: Database.Statement;
  /** (key, etag, now); changes = 0 when no live row has that ETag. */
  readonly deleteIfEtag: Database.Statement;
  /** (key) */
  readonly delete: Database.Statement;
  /** (glob pattern, now) -> live rows ordered by key. */
  readonly queryPrefix: Database.Statement;
  /** (now) */
  readonly deleteExpired: Database.Statement;
  /** (key, value) */
  readonly setMeta: Database.Statement;
}

export const SCHEMA_LEVEL = '1';

const quote = (name: string): string => `"${name}"`;
const live = (col: string, now: string): string => `(${col} IS NULL OR julianday(${col}) > julianday(${now}))`;

/** Creates both tables if absent; safe to run concurrently from several processes. */
export function migrate(db: Database.Database, cfg: Pick<SqliteStateMetadata, 'tableName' | 'metadataTableName'>): void {
  const t = quote(cfg.tableName);
  const m = quote(cfg.metadataTableName);
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${m} (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)`);
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${t} (` +
        'key TEXT PRIMARY KEY, ' +
        'value TEXT NOT NULL, ' +
        'is_binary BOOLEAN NOT NULL, ' +
        'etag TEXT NOT NULL, ' +
        'expiration_time TIMESTAMP NULL, ' +
        'update_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
    );
    db.prepare(`INSERT INTO ${m} (key, value) VALUES ('migrations', ?) ON CONFLICT (key) DO NOTHING`).run(SCHEMA_LEVEL);
  }).immediate();
}

export function createStatements(db: Database.Database, cfg: Pick<SqliteStateMetadata, 'tableName' | 'metadataTableName'>): Statements {
  const t = quote(cfg.tableName);
  const m = quote(cfg.metadataTableName);
  const insert =
    `INSERT INTO ${t} (key, value, is_binary, etag, expiration_time, update_time) ` +
    'VALUES (@key, @value, @isBinary, @etag, @expires, @now) ' +
    'ON CONFLICT (key) DO UPDATE SET value = excluded.value, is_binary = excluded.is_binary, etag = excluded.etag, ' +
    'expiration_time = excluded.expiration_time, update_time = excluded.update_time';
  return {
    get: db.prepare(
      `SELECT key, value, is_binary, etag, strftime('%Y-%m-%dT%H:%M:%SZ', expiration_time) AS expires ` +
        `FROM ${t} WHERE key = ? AND ${live('expiration_time', '?')}`,
    ),
    upsert: db.prepare(insert),
    insertIfAbsent: db.prepare(`${insert} WHERE NOT ${live(`${t}.expiration_time`, '@now')}`),
    updateIfEtag: db.prepare(
      `UPDATE ${t} SET value = @value, is_binary = @isBinary, etag = @etag, expiration_time = @expires, update_time = @now ` +
        `WHERE key = @key AND etag = @expected AND ${live('expiration_time', '@now')}`,
    ),
    deleteIfEtag: db.prepare(`DELETE FROM ${t} WHERE key = ? AND etag = ? AND ${live('expiration_time', '?')}`),
    delete: db.prepare(`DELETE FROM ${t} WHERE key = ?`),
    queryPrefix: db.prepare(`SELECT key, value, is_binary, etag FROM ${t} WHERE key GLOB ? AND ${live('expiration_time', '?')} ORDER BY key`),
    deleteExpired: db.prepare(`DELETE FROM ${t} WHERE expiration_time IS NOT NULL AND julianday(expiration_time) <= julianday(?)`),
    setMeta: db.prepare(`INSERT INTO ${m} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
  };
}
