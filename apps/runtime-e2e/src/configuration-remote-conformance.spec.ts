// The configuration store conformance suite through the whole block path, twice per store: the
// all-in-one path (ConfigurationBlock in this process) and the split path (ConfigurationBlock
// behind configuration-svc's transport: ConfigurationTransportClient -> ConfigurationTransportServer
// over loopback), on the in-memory store, real Redis and real PostgreSQL. Subscriptions travel as
// server streams of the framed transport; the suite proves they behave as the store itself.
import { ConfigurationBlock, ConfigurationStores, closeConfigurationStores, loadConfigurationStores } from '@tessera/block-configuration';
import { createInMemoryConfigurationStore } from '@tessera/configuration-in-memory';
import type { InMemoryConfigurationStore } from '@tessera/configuration-in-memory';
import { ConfigurationApiStore, describeConfigurationConformance } from '@tessera/conformance';
import type { ConfigurationBackend, ConfigurationConformanceOptions } from '@tessera/conformance';
import type { ConfigurationApi } from '@tessera/contracts';
import { noopLogger } from '@tessera/observability';
import { configurationStoreFactory } from '@tessera/registry';
import { postgresSkipReason, redisSkipReason } from '@tessera/testing';
import { ConfigurationTransportClient, ConfigurationTransportServer } from '@tessera/transport-configuration';
import { POSTGRES_URL, REDIS_HOST } from './support/components';
import { postgresWriter, redisWriter, setUpPostgresConfig } from './support/configuration';

const PG_TABLE = 'tessera_cfg_remote_conformance';
const PG_CHANNEL = 'tessera_cfg_remote_conformance_ch';

interface Case {
  readonly name: string;
  /** Builds the block (the in-memory case also sets `memory`, which its backend writes to). */
  readonly block: () => Promise<{ api: ConfigurationBlock; close: () => Promise<void> }>;
  readonly backend: () => Promise<ConfigurationBackend>;
  readonly opts: ConfigurationConformanceOptions;
}

let memory: InMemoryConfigurationStore | undefined;

async function registryBlock(type: string, metadata: Record<string, string>): Promise<{ api: ConfigurationBlock; close: () => Promise<void> }> {
  const stores = await loadConfigurationStores(
    [{ name: 'cfg', type, version: 'v1', metadata, scopes: [], initTimeoutMs: 10_000, ignoreErrors: false, file: 'test' }],
    configurationStoreFactory,
    '',
    noopLogger,
  );
  const api = new ConfigurationBlock(stores);
  return { api, close: async () => (await api.close(), await closeConfigurationStores(stores)) };
}

const CASES: Case[] = [
  {
    name: 'in-memory',
    block: async () => {
      memory = createInMemoryConfigurationStore();
      const stores = new ConfigurationStores([{ name: 'cfg', type: 'configuration.in-memory', version: 'v1', store: memory, scopes: [] }]);
      const api = new ConfigurationBlock(stores);
      return { api, close: async () => (await api.close(), await closeConfigurationStores(stores)) };
    },
    backend: async () => ({
      set: async (k, v, ver) => memory?.set(k, v, ver),
      delete: async (k) => memory?.delete(k),
    }),
    opts: { deleteEvent: 'empty' },
  },
  {
    name: 'configuration.redis',
    block: () => registryBlock('configuration.redis', { redisHost: REDIS_HOST }),
    backend: async () => {
      const w = redisWriter();
      return { set: w.set, delete: w.del, close: w.close };
    },
    opts: { skipReason: redisSkipReason(), deleteEvent: 'empty' },
  },
  {
    name: 'configuration.postgresql',
    block: async () => {
      await setUpPostgresConfig(PG_TABLE, PG_CHANNEL);
      return registryBlock('configuration.postgresql', { connectionString: POSTGRES_URL, table: PG_TABLE });
    },
    backend: async () => {
      const w = await postgresWriter(PG_TABLE);
      return { set: w.set, delete: w.del, close: w.close };
    },
    opts: { skipReason: postgresSkipReason(), subscribeMetadata: { pgNotifyChannel: PG_CHANNEL }, deleteEvent: 'last' },
  },
];

for (const c of CASES) {
  describeConfigurationConformance(
    `${c.name} through ConfigurationBlock (all-in-one path)`,
    async () => {
      const b = await c.block();
      return new ConfigurationApiStore(b.api, 'cfg', b.close);
    },
    async () => c.backend(),
    c.opts,
  );

  describeConfigurationConformance(
    `${c.name} through configuration-svc transport (split path)`,
    async () => {
      const b = await c.block();
      const server = new ConfigurationTransportServer(b.api);
      const { port } = await server.listen('127.0.0.1', 0);
      const client: ConfigurationApi & { close(): Promise<void> } = new ConfigurationTransportClient(`127.0.0.1:${port}`, { streamWindow: 4 });
      return new ConfigurationApiStore(client, 'cfg', async () => {
        await client.close();
        await server.close(0);
        await b.close();
      });
    },
    async () => c.backend(),
    c.opts,
  );
}
