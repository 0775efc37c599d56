// pubsub.sqlite against the shared pub/sub conformance suite (file with WAL, and in memory).
// Its own behaviour (layout, groups, leases, cleanup, metadata) is in sqlite-specifics.spec.ts,
// the SIGKILL crash test in test/crash.spec.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePubSubConformance } from '@tessera/conformance';
import type { PubSub } from '@tessera/spi';
import { createSqlitePubSub } from './sqlite-pubsub';

const dir = mkdtempSync(join(tmpdir(), 'tessera-pubsub-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = (properties: Record<string, string>) => ({ name: 'bus', type: 'pubsub.sqlite', version: 'v1', properties, appId: 'app' });

async function open(properties: Record<string, string>): Promise<PubSub> {
  const ps = createSqlitePubSub(meta({ redeliverInterval: '200ms', pollInterval: '100ms', ...properties }));
  await ps.init();
  return ps;
}

const declared = {
  carriesMetadata: true,
  carriesContentType: true,
  competingConsumers: true,
  fanOut: true,
  redeliversOnHandlerError: { withinMs: 1_000 },
  redeliversUnackedAfterClose: { withinMs: 1_000 },
  bulkPublish: true,
  messageTtl: true,
  settleMs: 300,
} as const;

describePubSubConformance('pubsub.sqlite (file, WAL)', () => open({ connectionString: join(dir, 'conformance.db') }), { ...declared, durableAcrossInstances: true });
describePubSubConformance('pubsub.sqlite (file::memory:)', () => open({ connectionString: 'file::memory:' }), declared);
