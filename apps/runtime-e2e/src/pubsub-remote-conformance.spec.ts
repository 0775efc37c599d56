// The pub/sub conformance suite run again through the block, twice per component: in-process
// (PubSubBlock, as all-in-one calls it) and remote (PubSubTransportClient -> pubsub-svc's
// transport server -> PubSubBlock), the proof that the subscription streams, settle verdicts and
// abandon-on-stream-end keep each component's semantics across the internal transport.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSubBlock, closePubSubs, loadPubSubs } from '@tessera/block-pubsub';
import { PubSubApiComponent, describePubSubConformance } from '@tessera/conformance';
import type { PubSubConformanceOptions } from '@tessera/conformance';
import type { PubSubApi } from '@tessera/contracts';
import { noopLogger } from '@tessera/observability';
import { pubSubFactory } from '@tessera/registry';
import { redisSkipReason } from '@tessera/testing';
import { PubSubTransportClient, PubSubTransportServer } from '@tessera/transport-pubsub';
import { REDIS_HOST } from './support/components';

interface Case {
  readonly type: string;
  readonly metadata: Record<string, string>;
  readonly opts: PubSubConformanceOptions;
}

const sqliteFile = join(mkdtempSync(join(tmpdir(), 'tessera-pubsub-conf-')), 'pubsub.db');
const redisSkip = redisSkipReason();

const CASES: Case[] = [
  {
    type: 'pubsub.in-memory',
    metadata: {},
    opts: {
      carriesMetadata: true,
      carriesContentType: true,
      competingConsumers: true,
      fanOut: true,
      redeliversOnHandlerError: false,
      redeliversUnackedAfterClose: { withinMs: 1000 },
      wildcards: { separator: '/', single: '+', multi: '#' },
      settleMs: 200,
    },
  },
  {
    type: 'pubsub.sqlite',
    metadata: { connectionString: sqliteFile, redeliverInterval: '200ms', pollInterval: '100ms' },
    opts: {
      carriesMetadata: true,
      carriesContentType: true,
      competingConsumers: true,
      fanOut: true,
      redeliversOnHandlerError: { withinMs: 1_000 },
      redeliversUnackedAfterClose: { withinMs: 1_000 },
      durableAcrossInstances: true,
      bulkPublish: true,
      messageTtl: true,
      settleMs: 300,
    },
  },
  {
    type: 'pubsub.redis',
    metadata: { redisHost: REDIS_HOST, processingTimeout: '1s', redeliverInterval: '500ms' },
    opts: {
      ...(redisSkip !== undefined ? { skipReason: redisSkip } : {}),
      topicPrefix: `tessera-remote-conf-${randomUUID().slice(0, 8)}-`,
      carriesMetadata: true,
      carriesContentType: true,
      competingConsumers: true,
      fanOut: true,
      redeliversOnHandlerError: false,
      redeliversUnackedAfterClose: { withinMs: 3000 },
      durableAcrossInstances: true,
      settleMs: 300,
    },
  },
];

async function block(c: Case): Promise<{ api: PubSubBlock; close: () => Promise<void> }> {
  const components = await loadPubSubs(
    [{ name: 'pubsub', type: c.type, version: 'v1', metadata: c.metadata, scopes: [], initTimeoutMs: 10_000, ignoreErrors: false, file: 'test' }],
    pubSubFactory,
    '',
    noopLogger,
  );
  return {
    api: new PubSubBlock(components),
    close: async () => {
      await closePubSubs(components);
    },
  };
}

async function adapter(api: PubSubApi, close: () => Promise<void>): Promise<PubSubApiComponent> {
  const c = new PubSubApiComponent(api, 'pubsub', close);
  await c.init();
  return c;
}

for (const c of CASES) {
  describePubSubConformance(`${c.type} through PubSubBlock (all-in-one path)`, async () => {
    const b = await block(c);
    return adapter(b.api, async () => {
      await b.api.closeSubscriptions();
      await b.close();
    });
  }, c.opts);

  describePubSubConformance(`${c.type} through pubsub-svc transport (split path)`, async () => {
    const b = await block(c);
    const server = new PubSubTransportServer(b.api);
    const { port } = await server.listen('127.0.0.1', 0);
    const client = new PubSubTransportClient(`127.0.0.1:${port}`);
    return adapter(client, async () => {
      await client.close();
      await server.close(0);
      await b.api.closeSubscriptions();
      await b.close();
    });
  }, c.opts);
}
