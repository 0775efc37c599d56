// The lock store conformance suite run again through the block, twice per store: in-process
// (LockBlock, as all-in-one calls it) and remote (LockTransportClient -> lock-svc's transport
// server -> LockBlock), the proof that split mode behaves exactly like all-in-one. The suite's
// 100-contender case then races over the wire as well.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LockBlock, closeLockStores, loadLockStores } from '@tessera/block-lock';
import { LockApiStore, describeLockConformance } from '@tessera/conformance';
import type { LockApi } from '@tessera/contracts';
import { noopLogger } from '@tessera/observability';
import { lockStoreFactory } from '@tessera/registry';
import { postgresSkipReason, redisSkipReason, testPostgresUrl } from '@tessera/testing';
import { LockTransportClient, LockTransportServer } from '@tessera/transport-lock';
import { POSTGRES_URL, REDIS_HOST } from './support/components';

interface Case {
  readonly type: string;
  readonly metadata: () => Record<string, string>;
  readonly skipReason?: string;
}

const PG_TABLE = `tessera_lock_remote_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
const pgSkip = postgresSkipReason();

const CASES: Case[] = [
  { type: 'lock.in-memory', metadata: () => ({}) },
  { type: 'lock.sqlite', metadata: () => ({ connectionString: join(mkdtempSync(join(tmpdir(), 'tessera-lock-conf-')), 'lock.db') }) },
  { type: 'lock.redis', metadata: () => ({ redisHost: REDIS_HOST }), skipReason: redisSkipReason() },
  { type: 'lock.postgresql', metadata: () => ({ connectionString: POSTGRES_URL, tableName: PG_TABLE }), skipReason: pgSkip },
];

async function block(c: Case): Promise<{ api: LockBlock; close: () => Promise<void> }> {
  const stores = await loadLockStores(
    [{ name: 'lockstore', type: c.type, version: 'v1', metadata: c.metadata(), scopes: [], initTimeoutMs: 10_000, ignoreErrors: false, file: 'test' }],
    lockStoreFactory,
    '',
    noopLogger,
  );
  return { api: new LockBlock(stores), close: () => closeLockStores(stores) };
}

async function adapter(api: LockApi, close: () => Promise<void>): Promise<LockApiStore> {
  const store = new LockApiStore(api, 'lockstore', close);
  await store.init();
  return store;
}

for (const c of CASES) {
  const opts = { ...(c.skipReason !== undefined ? { skipReason: c.skipReason } : {}), opaqueKeys: false };

  describeLockConformance(`${c.type} through LockBlock (all-in-one path)`, async () => {
    const b = await block(c);
    return adapter(b.api, b.close);
  }, opts);

  describeLockConformance(`${c.type} through lock-svc transport (split path)`, async () => {
    const b = await block(c);
    const server = new LockTransportServer(b.api);
    const { port } = await server.listen('127.0.0.1', 0);
    const client = new LockTransportClient(`127.0.0.1:${port}`);
    return adapter(client, async () => {
      await client.close();
      await server.close(0);
      await b.close();
    });
  }, opts);
}

afterAll(async () => {
  if (pgSkip !== undefined) return;
  const sql = new Client({ connectionString: testPostgresUrl() });
  await sql.connect();
  try {
    await sql.query(`DROP TABLE IF EXISTS ${PG_TABLE}`);
  } finally {
    await sql.end();
  }
});
