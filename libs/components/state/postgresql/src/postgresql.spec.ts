// state.postgresql v1 against the shared state conformance suite (real Postgres; skipped loudly
// when absent). Runs in tables of its own, dropped afterwards, so it cannot disturb other suites.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { describeStateConformance } from '@tessera/conformance';
import { postgresSkipReason, testPostgresUrl } from '@tessera/testing';
import { createPostgresStateStore } from './pg-state-store';

const skipReason = postgresSkipReason();
const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
const tableName = `tessera_conf_${suffix}`;
const metadataTableName = `tessera_conf_${suffix}_meta`;

describeStateConformance(
  'state.postgresql v1',
  async () => {
    const store = createPostgresStateStore({
      name: 'conformance',
      type: 'state.postgresql',
      version: 'v1',
      appId: 'conformance',
      properties: { connectionString: testPostgresUrl(), tableName, metadataTableName },
    });
    await store.init();
    return store;
  },
  { skipReason, features: ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'], atomicTransactions: true, normalizesJson: true },
);

afterAll(async () => {
  if (skipReason) return;
  const c = new Client({ connectionString: testPostgresUrl() });
  await c.connect();
  try {
    await c.query(`DROP TABLE IF EXISTS ${tableName}, ${metadataTableName}`);
  } finally {
    await c.end();
  }
});
