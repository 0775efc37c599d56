// `nameresolution.sqlite` (spec/components.md 5.23) on better-sqlite3: Tessera's zero-setup
// default in standalone mode. Every gateway on the machine opens the same database file; each
// registers one row (a random registration id, its internal address, app id, namespace) and
// heartbeats it; resolve() picks a random live row of the app. The layout and the rules are
// components-contrib nameresolution/sqlite, so Dapr sidecars can share the file:
// - register: REPLACE INTO, which takes over any row with the same address (a stale row left by a
//   process that died on that port);
// - heartbeat every updateInterval - timeout (Dapr's schedule, so a heartbeat that takes up to
//   `timeout` still lands in time); a row is live while now - last_update < updateInterval
//   (Dapr's rule, factor 1, in whole unix seconds). A process that dies without unregistering
//   therefore stops being resolved within updateInterval (5 s by default);
// - unregister deletes the row; close() unregisters;
// - cleanup (every cleanupInterval, one process at a time via `nr-last-cleanup` in the metadata
//   table) deletes rows not updated for DEAD_AFTER_INTERVALS x updateInterval. It is only
//   housekeeping: resolution already ignores stale rows. (Dapr's own cleanup query compares the
//   other way round and would delete live rows; not copied.)
// Differences from Dapr: the real namespace is written (Dapr writes ''), and rows with namespace ''
// match every namespace; a heartbeat that finds its row gone (deleted by hand or by a cleanup
// after a long pause) registers again, unless a live row of another process now holds the address,
// in which case this instance stops heartbeating (Dapr exits the process).
//
// Concurrency: better-sqlite3 is synchronous, so each call runs to completion on the event loop.
// Several processes share the file through WAL (readers never wait for the writer) and the busy
// timeout (writers wait up to busyTimeout for each other). Start-up is where processes collide
// most (several runtimes started together on a fresh TESSERA_HOME): switching the file to WAL
// needs an exclusive lock and SQLite answers SQLITE_BUSY there without waiting for the busy
// timeout, so opening (pragmas, WAL, tables) and the first registration are retried on
// SQLITE_BUSY / SQLITE_LOCKED with jittered backoff (10 ms doubling to 250 ms) for up to
// INIT_RETRY_MS (or 4 x busyTimeout when longer) before init() / register() give up. resolve() answers from a per-app cache
// of live addresses for cacheTTL (1 s) and picks randomly inside it; misses are never cached.
import { randomInt, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import Database from 'better-sqlite3';
import { isNameResolverError, NameResolverError } from '@tessera/spi';
import type { ComponentMetadata, NameResolver, NameResolverRegistration } from '@tessera/spi';
import { parseSqliteNameResolverMetadata } from './sqlite-nr-metadata';
import type { SqliteNameResolverMetadata } from './sqlite-nr-metadata';
import { createHostStatements, migrate } from './sqlite-nr-schema';
import type { HostStatements } from './sqlite-nr-schema';

/** Rows older than this many update intervals are deleted by the periodic cleanup. */
export const DEAD_AFTER_INTERVALS = 10;

/** How long init() and register() keep retrying a database that is busy (at least). */
export const INIT_RETRY_MS = 5_000;

/** SQLITE_BUSY, SQLITE_LOCKED and their extended codes (SQLITE_BUSY_RECOVERY, ...). */
function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` until it does not fail as busy, or the budget is spent (then its last error). */
async function retryBusy<T>(budgetMs: number, fn: () => T): Promise<T> {
  const until = Date.now() + budgetMs;
  for (let wait = 10; ; wait = Math.min(250, wait * 2)) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e) || Date.now() >= until) throw e;
    }
    await sleep(Math.min(wait * (0.5 + Math.random()), Math.max(1, until - Date.now())));
  }
}

interface Registration extends NameResolverRegistration {
  readonly registrationId: string;
}

interface CacheEntry {
  readonly addresses: readonly string[];
  readonly expiresAt: number;
}

const unixSeconds = (): number => Math.floor(Date.now() / 1000);

class SqliteNameResolver implements NameResolver {
  private cfg: SqliteNameResolverMetadata | undefined;
  private db: Database.Database | undefined;
  private st: HostStatements | undefined;
  private registration: Registration | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const cfg = parseSqliteNameResolverMetadata(this.meta);
    this.cfg = cfg;
    try {
      if (!cfg.inMemory) mkdirSync(dirname(resolvePath(cfg.filename)), { recursive: true });
      this.db = await retryBusy(this.retryBudget(), () => {
        const db = new Database(cfg.filename, { timeout: cfg.busyTimeoutMs });
        try {
          for (const [name, value] of cfg.pragmas) db.pragma(`${name} = ${value}`);
          // Another process may have switched the file already: reading the mode needs no lock.
          if (!cfg.inMemory && !cfg.disableWAL && db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
          migrate(db, cfg);
          this.st = createHostStatements(db, cfg);
        } catch (e) {
          db.close();
          throw e;
        }
        return db;
      });
    } catch (e) {
      throw asNameResolverError(e);
    }
    if (cfg.cleanupIntervalMs > 0) {
      this.cleanup();
      this.cleanupTimer = setInterval(() => this.cleanup(), cfg.cleanupIntervalMs);
      this.cleanupTimer.unref();
    }
  }

  async register(reg: NameResolverRegistration): Promise<void> {
    const cfg = this.config();
    if (this.registration) await this.unregister();
    const registration: Registration = {
      appId: reg.appId,
      namespace: reg.namespace,
      address: reg.address,
      registrationId: randomUUID(),
    };
    try {
      await retryBusy(this.retryBudget(), () => this.statements().register.run(registration.registrationId, reg.address, reg.appId, reg.namespace, unixSeconds()));
    } catch (e) {
      throw asNameResolverError(e);
    }
    this.registration = registration;
    this.cache.clear();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), cfg.updateIntervalSec * 1000 - cfg.timeoutMs);
    this.heartbeatTimer.unref();
  }

  async unregister(): Promise<void> {
    this.stopHeartbeat();
    const reg = this.registration;
    this.registration = undefined;
    this.cache.clear();
    if (reg && this.db) this.guard(() => this.statements().unregister.run(reg.registrationId, reg.address));
  }

  async resolve(appId: string, namespace: string): Promise<string | undefined> {
    const cfg = this.config();
    const key = `${namespace}\u0000${appId}`;
    const now = Date.now();
    let addresses = this.cache.get(key);
    if (addresses === undefined || addresses.expiresAt <= now) {
      this.cache.delete(key);
      const rows = this.guard(
        () => this.statements().live.all(appId, namespace, Math.floor(now / 1000) - cfg.updateIntervalSec) as Array<{ address: string }>,
      );
      if (rows.length === 0) return undefined;
      addresses = { addresses: rows.map((r) => r.address), expiresAt: now + cfg.cacheTtlMs };
      if (cfg.cacheTtlMs > 0) this.cache.set(key, addresses);
    }
    const list = addresses.addresses;
    return list.length === 1 ? list[0] : list[randomInt(list.length)];
  }

  async close(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    let failure: unknown;
    try {
      await this.unregister();
    } catch (e) {
      failure = e;
    }
    this.db?.close();
    this.db = undefined;
    this.st = undefined;
    this.cache.clear();
    if (failure !== undefined) throw failure;
  }

  /** Refreshes last_update; re-registers a vanished row unless another live process holds the address. */
  heartbeat(): void {
    const reg = this.registration;
    const db = this.db;
    if (!reg || !db) return;
    try {
      const st = this.statements();
      const now = unixSeconds();
      if (st.heartbeat.run(now, reg.registrationId, reg.address).changes > 0) return;
      const lost = db
        .transaction(() => {
          const owner = st.ownerOf.get(reg.address) as { registration_id: string; last_update: number } | undefined;
          if (owner && owner.registration_id !== reg.registrationId && now - owner.last_update < this.config().updateIntervalSec) return true;
          st.register.run(reg.registrationId, reg.address, reg.appId, reg.namespace, now);
          return false;
        })
        .immediate();
      if (lost) {
        this.stopHeartbeat();
        this.registration = undefined;
      }
    } catch {
      // busy or closed: the next tick retries, well within updateInterval
    }
  }

  /** Deletes long-dead rows if no process has done so within cleanupInterval. */
  cleanup(): void {
    const db = this.db;
    const cfg = this.cfg;
    if (!db || !cfg) return;
    try {
      const st = this.statements();
      db.transaction(() => {
        if (st.claimCleanup.run(Math.floor(cfg.cleanupIntervalMs / 1000)).changes === 0) return;
        st.deleteDead.run(unixSeconds() - DEAD_AFTER_INTERVALS * cfg.updateIntervalSec);
      }).immediate();
    } catch {
      // busy or closed: the next interval retries
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Runs a synchronous database call; driver errors become NameResolverError. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw asNameResolverError(e);
    }
  }

  private retryBudget(): number {
    return Math.max(INIT_RETRY_MS, 4 * this.config().busyTimeoutMs);
  }

  private config(): SqliteNameResolverMetadata {
    if (!this.cfg) throw new NameResolverError('sqlite name resolver is not initialized');
    return this.cfg;
  }

  private statements(): HostStatements {
    if (!this.st) throw new NameResolverError('sqlite name resolver is not initialized or already closed');
    return this.st;
  }
}

/** A driver error as the NameResolverError callers get ("sqlite name resolver: <message>"). */
function asNameResolverError(e: unknown): Error {
  if (isNameResolverError(e)) return e;
  return new NameResolverError(`sqlite name resolver: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** Factory registered as `nameresolution.sqlite` v1. Metadata is checked in init(). */
export function createSqliteNameResolver(meta: ComponentMetadata): NameResolver {
  return new SqliteNameResolver(meta);
}
