// The state store conformance suite run again through the block, twice per store: in-process
// (StateBlock, as all-in-one calls it) and remote (StateTransportClient -> state-svc's transport
// server -> StateBlock), the proof that split mode behaves exactly like all-in-one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateBlock, closeStateStores, loadStateStores } from '@tessera/block-state';
import { StateApiStore, describeStateConformance } from '@tessera/conformance';
import type { StateApi } from '@tessera/contracts';
import { noopLogger } from '@tessera/observability';
import { stateStoreFactory } from '@tessera/registry';
import type { StateFeature } from '@tessera/spi';
import { postgresSkipReason, redisSkipReason } from '@tessera/testing';
import { StateTransportClient, StateTransportServer } from '@tessera/transport-state';
import { POSTGRES_URL, REDIS_HOST } from './support/components';

interface Case {
  readonly type: string;
  readonly metadata: () => Record<string, string>;
  readonly features: StateFeature[];
  readonly atomicTransactions: boolean;
  readonly normalizesJson?: boolean;
  readonly skipReason?: string;
}

const CASES: Case[] = [
  { type: 'state.in-memory', metadata: () => ({}), features: ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'], atomicTransactions: true },
  {
    type: 'state.sqlite',
    metadata: () => ({ connectionString: join(mkdtempSync(join(tmpdir(), 'tessera-conf-')), 'state.db') }),
    features: ['ETAG', 'TRANSACTIONAL', 'QUERY_API', 'TTL'],
    atomicTransactions: true,
  },
  {
    type: 'state.redis',
    metadata: () => ({ redisHost: REDIS_HOST }),
    features: ['ETAG', 'TRANSACTIONAL', 'TTL'],
    atomicTransactions: false,
    skipReason: redisSkipReason(),
  },
  {
    type: 'state.postgresql',
    metadata: () => ({ connectionString: POSTGRES_URL, tableName: 'tessera_remote_conformance' }),
    features: ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'],
    atomicTransactions: true,
    normalizesJson: true,
    skipReason: postgresSkipReason(),
  },
];

async function block(c: Case): Promise<{ api: StateBlock; close: () => Promise<void> }> {
  const stores = await loadStateStores(
    [{ name: 'store', type: c.type, version: 'v1', metadata: c.metadata(), scopes: [], initTimeoutMs: 10_000, ignoreErrors: false, file: 'test' }],
    stateStoreFactory,
    '',
    noopLogger,
  );
  return { api: new StateBlock(stores), close: () => closeStateStores(stores) };
}

async function adapter(api: StateApi, close: () => Promise<void>): Promise<StateApiStore> {
  const store = new StateApiStore(api, 'store', close);
  await store.init();
  return store;
}

for (const c of CASES) {
  const opts = { skipReason: c.skipReason, features: c.features, atomicTransactions: c.atomicTransactions, normalizesJson: c.normalizesJson };

  describeStateConformance(`${c.type} through StateBlock (all-in-one path)`, async () => {
    const b = await block(c);
    return adapter(b.api, b.close);
  }, opts);

  describeStateConformance(`${c.type} through state-svc transport (split path)`, async () => {
    const b = await block(c);
    const server = new StateTransportServer(b.api);
    const { port } = await server.listen('127.0.0.1', 0);
    const client = new StateTransportClient(`127.0.0.1:${port}`);
    return adapter(client, async () => {
      await client.close();
      await server.close(0);
      await b.close();
    });
  }, opts);
}
