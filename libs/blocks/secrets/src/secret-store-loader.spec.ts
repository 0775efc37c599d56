import { secretNotFound } from '@tessera/spi';
import type { ComponentMetadata, SecretStore, SecretStoreFactory, SecretStoreHost } from '@tessera/spi';
import { closeSecretStores, loadSecretStores, secretResolverFor, startSecretStore } from './secret-store-loader';
import type { SecretStoreComponentSpec } from './secret-store-loader';
import { SecretStores } from './secret-stores';

const logger = { info: jest.fn(), warn: jest.fn() };
const host: SecretStoreHost = { env: { A: '1' }, cwd: '/work' };

class MapStore implements SecretStore {
  closed = false;
  constructor(
    readonly meta: ComponentMetadata,
    readonly host: SecretStoreHost,
    private readonly initImpl: () => Promise<void> = async () => undefined,
  ) {}
  init(): Promise<void> {
    return this.initImpl();
  }
  features() {
    return [] as const;
  }
  async getSecret(name: string): Promise<Record<string, string>> {
    if (name === 'db') return { user: 'u', password: this.meta.properties['password'] ?? '' };
    throw secretNotFound(name);
  }
  async bulkGetSecret() {
    return {};
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const made: MapStore[] = [];
const factories: Record<string, SecretStoreFactory> = {
  'secretstores.map': (meta, h) => {
    const s = new MapStore(meta, h);
    made.push(s);
    return s;
  },
  'secretstores.broken': (meta, h) => {
    const s = new MapStore(meta, h, async () => Promise.reject(new Error('backend down')));
    made.push(s);
    return s;
  },
  'secretstores.slow': (meta, h) => new MapStore(meta, h, () => new Promise(() => undefined)),
};
const lookup = (type: string) => factories[type];

const spec = (name: string, type = 'secretstores.map', extra: Partial<SecretStoreComponentSpec> = {}): SecretStoreComponentSpec => ({
  name,
  type,
  version: 'v1',
  metadata: { password: `pw-${name}` },
  scopes: [],
  initTimeoutMs: 1000,
  ignoreErrors: false,
  file: 'c/secrets.yaml',
  ...extra,
});

beforeEach(() => {
  made.length = 0;
  jest.clearAllMocks();
});

describe('secret store loader', () => {
  it('creates a store with its metadata, app id and the host, and initialises it', async () => {
    const e = await startSecretStore(spec('s1'), lookup, host, 'app1', logger);
    expect(e?.name).toBe('s1');
    expect(made[0]?.meta).toEqual({ name: 's1', type: 'secretstores.map', version: 'v1', properties: { password: 'pw-s1' }, appId: 'app1' });
    expect(made[0]?.host).toBe(host);
    expect(logger.info).toHaveBeenCalledWith('component loaded: s1 (secretstores.map/v1)');
  });

  it('stops start-up on a failing store, naming file and component; closes what it started', async () => {
    await expect(loadSecretStores([spec('ok'), spec('bad', 'secretstores.broken')], lookup, host, '', logger)).rejects.toThrow(
      'c/secrets.yaml: component "bad": failed to initialise secretstores.broken: backend down',
    );
    expect(made.map((s) => s.closed)).toEqual([true, true]);
    await expect(startSecretStore(spec('x', 'secretstores.nope'), lookup, host, '', logger)).rejects.toThrow('no secret store secretstores.nope/v1 in this build');
  });

  it('skips a failing store with spec.ignoreErrors, and times out init', async () => {
    const stores = await loadSecretStores([spec('bad', 'secretstores.broken', { ignoreErrors: true }), spec('ok')], lookup, host, '', logger);
    expect(stores.all().map((e) => e.name)).toEqual(['ok']);
    expect(logger.warn).toHaveBeenCalledWith('c/secrets.yaml: component "bad": skipped (spec.ignoreErrors): backend down');
    await expect(startSecretStore(spec('slow', 'secretstores.slow', { initTimeoutMs: 20 }), lookup, host, '', logger)).rejects.toThrow(
      'init did not finish within 20 ms (spec.initTimeout)',
    );
    await closeSecretStores(stores);
    expect(made.find((s) => s.meta.name === 'ok')?.closed).toBe(true);
  });

  it('resolves secretKeyRefs through the loaded stores, whatever their scopes', async () => {
    const stores = await loadSecretStores([spec('s1', 'secretstores.map', { scopes: ['other'] })], lookup, host, '', logger);
    const resolve = secretResolverFor(stores);
    expect(await resolve('s1', 'db', 'password')).toBe('pw-s1');
    expect(await resolve('s1', 'db', 'nokey')).toBeUndefined();
    await expect(resolve('s1', 'nosecret', 'k')).rejects.toThrow('secret nosecret not found');
    await expect(resolve('vault', 'db', 'password')).rejects.toThrow('it is not a loaded secret store; loaded: s1');
    await expect(secretResolverFor(new SecretStores())('vault', 'db', 'k')).rejects.toThrow(/^no secret store is loaded/);
  });
});
