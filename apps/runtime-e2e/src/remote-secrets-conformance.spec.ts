// The secret store conformance suite run again through the secrets block, twice per store:
// in-process (SecretsBlock, as all-in-one calls it) and remote (SecretsTransportClient ->
// secrets-svc's transport server -> SecretsBlock), the proof that split mode answers exactly as
// the store itself: values, missing secrets (not-found), bulk, features via the metadata list.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsBlock, closeSecretStores, loadSecretStores } from '@tessera/block-secrets';
import { SecretsApiStore, describeSecretStoreConformance } from '@tessera/conformance';
import type { SecretFixture, SecretStoreConformanceOptions } from '@tessera/conformance';
import type { SecretsApi } from '@tessera/contracts';
import { noopLogger } from '@tessera/observability';
import { secretStoreFactory } from '@tessera/registry';
import type { SecretStoreHost } from '@tessera/spi';
import { SecretsTransportClient, SecretsTransportServer } from '@tessera/transport-secrets';
import { tempDir } from './support/processes';

interface Case {
  readonly title: string;
  readonly type: string;
  /** Builds the store's metadata and host so that it holds exactly `fixture`. */
  readonly build: (fixture: SecretFixture) => { metadata: Record<string, string>; host: SecretStoreHost };
  readonly opts: SecretStoreConformanceOptions;
}

const flat = (fixture: SecretFixture): Record<string, string> => Object.fromEntries(Object.entries(fixture).map(([k, v]) => [k, v[k] ?? '']));

function jsonFile(content: unknown): string {
  const dir = tempDir('tessera-secrets-conf-');
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify(content));
  return dir;
}

const CASES: Case[] = [
  {
    title: 'secretstores.local.file',
    type: 'secretstores.local.file',
    build: (f) => ({ metadata: { secretsFile: 'secrets.json' }, host: { env: {}, cwd: jsonFile(flat(f)) } }),
    opts: { features: [], exactBulk: true },
  },
  {
    title: 'secretstores.local.file multiValued',
    type: 'secretstores.local.file',
    build: (f) => ({ metadata: { secretsFile: 'secrets.json', multiValued: 'true' }, host: { env: {}, cwd: jsonFile(f) } }),
    opts: { features: ['MULTIPLE_KEY_VALUES_PER_SECRET'], exactBulk: true },
  },
  {
    title: 'secretstores.local.env',
    type: 'secretstores.local.env',
    build: (f) => ({ metadata: { prefix: 'CONF_' }, host: { env: { ...Object.fromEntries(Object.entries(flat(f)).map(([k, v]) => [`CONF_${k}`, v])), PATH: '/bin' }, cwd: '/' } }),
    opts: { features: [], missing: 'empty', exactBulk: true },
  },
];

async function block(c: Case, fixture: SecretFixture): Promise<{ api: SecretsBlock; close: () => Promise<void> }> {
  const { metadata, host } = c.build(fixture);
  const stores = await loadSecretStores(
    [{ name: 'secrets', type: c.type, version: 'v1', metadata, scopes: [], initTimeoutMs: 10_000, ignoreErrors: false, file: 'test' }],
    secretStoreFactory,
    host,
    '',
    noopLogger,
  );
  return { api: new SecretsBlock(stores), close: () => closeSecretStores(stores) };
}

async function adapter(api: SecretsApi, close: () => Promise<void>): Promise<SecretsApiStore> {
  const store = new SecretsApiStore(api, 'secrets', close);
  await store.init();
  return store;
}

for (const c of CASES) {
  describeSecretStoreConformance(`${c.title} through SecretsBlock (all-in-one path)`, async (fixture) => {
    const b = await block(c, fixture);
    return adapter(b.api, b.close);
  }, c.opts);

  describeSecretStoreConformance(`${c.title} through secrets-svc transport (split path)`, async (fixture) => {
    const b = await block(c, fixture);
    const server = new SecretsTransportServer(b.api);
    const { port } = await server.listen('127.0.0.1', 0);
    const client = new SecretsTransportClient(`127.0.0.1:${port}`);
    return adapter(client, async () => {
      await client.close();
      await server.close();
      await b.close();
    });
  }, c.opts);
}
