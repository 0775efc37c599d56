// SecretsBlock (scopes inside) and ScopedSecretsApi (scopes around an unscoped block, as a
// gateway wraps a remote secrets-svc) must answer exactly alike: one matrix runs against both.
import { isApiError } from '@tessera/contracts';
import type { ApiError, CallContext, SecretsApi } from '@tessera/contracts';
import { SecretStoreError, secretNotFound } from '@tessera/spi';
import type { SecretStore, SecretStoreFeature } from '@tessera/spi';
import { ScopedSecretsApi, withSecretScopes } from './scoped-secrets-api';
import { SecretScopes } from './secret-scopes';
import type { SecretScope } from './secret-scopes';
import { SecretStores } from './secret-stores';
import type { SecretStoreEntry } from './secret-stores';
import { SecretsBlock } from './secrets.block';

class FakeSecretStore implements SecretStore {
  readonly calls: Array<{ op: string; name?: string; metadata: Readonly<Record<string, string>> }> = [];
  failWith: Error | undefined;
  constructor(
    private readonly secrets: Record<string, Record<string, string>>,
    private readonly feats: SecretStoreFeature[] = [],
  ) {}
  async init(): Promise<void> {
    // nothing to open
  }
  features(): readonly SecretStoreFeature[] {
    return this.feats;
  }
  async getSecret(name: string, metadata: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    this.calls.push({ op: 'get', name, metadata });
    if (this.failWith) throw this.failWith;
    const s = this.secrets[name];
    if (!s) throw secretNotFound(name);
    return { ...s };
  }
  async bulkGetSecret(metadata: Readonly<Record<string, string>>): Promise<Record<string, Record<string, string>>> {
    this.calls.push({ op: 'bulk', metadata });
    if (this.failWith) throw this.failWith;
    return structuredClone(this.secrets);
  }
  async close(): Promise<void> {
    // nothing held
  }
}

const entry = (name: string, store: SecretStore, scopes: string[] = []): SecretStoreEntry => ({
  name,
  type: 'secretstores.local.file',
  version: 'v1',
  store,
  features: new Set(store.features()),
  scopes,
});

const scope = (s: Partial<SecretScope> & { storeName: string }): SecretScope => ({
  defaultAccess: 'allow',
  allowedSecrets: new Set(),
  deniedSecrets: new Set(),
  ...s,
});

const ctx: CallContext = { appId: 'app1', namespace: '' };

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isApiError(e)) throw new Error(`expected an ApiError, got ${String(e)}`);
  return e;
}

type Build = (stores: SecretStores, scopes: SecretScopes) => SecretsApi;
const variants: Array<[string, Build]> = [
  ['SecretsBlock', (stores, scopes) => new SecretsBlock(stores, scopes)],
  ['ScopedSecretsApi(SecretsBlock)', (stores, scopes) => new ScopedSecretsApi(new SecretsBlock(stores), scopes)],
];

describe.each(variants)('%s', (_name, build) => {
  let files: FakeSecretStore;
  let multi: FakeSecretStore;
  let stores: SecretStores;
  const scopes = new SecretScopes([
    scope({ storeName: 'allowlist', allowedSecrets: new Set(['a']), deniedSecrets: new Set(['a']), defaultAccess: 'deny' }),
    scope({ storeName: 'denylist', deniedSecrets: new Set(['b']) }),
    scope({ storeName: 'closed', defaultAccess: 'deny' }),
  ]);

  beforeEach(() => {
    files = new FakeSecretStore({ a: { a: 'A' }, b: { b: 'B' }, c: { c: 'C' } });
    multi = new FakeSecretStore({ db: { user: 'u', password: 'p' } }, ['MULTIPLE_KEY_VALUES_PER_SECRET']);
    stores = new SecretStores([
      entry('files', files),
      entry('multi', multi),
      entry('allowlist', files),
      entry('denylist', files),
      entry('closed', files),
      entry('other-app', files, ['app2']),
    ]);
  });

  it('answers a secret with the store metadata passed through', async () => {
    const api = build(stores, scopes);
    expect(await api.getSecret({ storeName: 'files', key: 'a', metadata: { namespace: 'x' } }, ctx)).toEqual({ data: { a: 'A' } });
    expect(await api.getSecret({ storeName: 'multi', key: 'db', metadata: {} }, ctx)).toEqual({ data: { user: 'u', password: 'p' } });
    expect(files.calls[0]).toEqual({ op: 'get', name: 'a', metadata: { namespace: 'x' } });
  });

  it('no store visible: 500 ERR_SECRET_STORES_NOT_CONFIGURED', async () => {
    const api = build(new SecretStores([entry('only-app2', files, ['app2'])]), scopes);
    const e = await apiError(api.getSecret({ storeName: 'only-app2', key: 'a', metadata: {} }, ctx));
    expect([e.code, e.httpStatus, e.message]).toEqual(['ERR_SECRET_STORES_NOT_CONFIGURED', 500, 'secret store is not configured']);
    expect((await apiError(api.getBulkSecret({ storeName: 'x', metadata: {} }, ctx))).code).toBe('ERR_SECRET_STORES_NOT_CONFIGURED');
  });

  it('unknown or out-of-scope store: 401 ERR_SECRET_STORE_NOT_FOUND', async () => {
    const api = build(stores, scopes);
    for (const storeName of ['nope', 'other-app']) {
      const e = await apiError(api.getSecret({ storeName, key: 'a', metadata: {} }, ctx));
      expect([e.code, e.httpStatus, e.message]).toEqual(['ERR_SECRET_STORE_NOT_FOUND', 401, `failed finding secret store with key ${storeName}`]);
    }
    expect((await apiError(api.getBulkSecret({ storeName: 'nope', metadata: {} }, ctx))).httpStatus).toBe(401);
    // a scope entry for a store that does not exist still answers "not found" first
    const withScope = build(stores, new SecretScopes([scope({ storeName: 'nope', defaultAccess: 'deny' })]));
    expect((await apiError(withScope.getSecret({ storeName: 'nope', key: 'a', metadata: {} }, ctx))).code).toBe('ERR_SECRET_STORE_NOT_FOUND');
  });

  it('a missing secret is 500 ERR_SECRET_GET, not retryable; a component failure is retryable', async () => {
    const api = build(stores, scopes);
    const e = await apiError(api.getSecret({ storeName: 'files', key: 'zz', metadata: {} }, ctx));
    expect([e.code, e.httpStatus, e.retryable, e.message]).toEqual(['ERR_SECRET_GET', 500, false, 'failed getting secret with key zz from secret store files: secret zz not found']);
    files.failWith = new SecretStoreError('backend', 'connection refused');
    const f = await apiError(api.getSecret({ storeName: 'files', key: 'a', metadata: {} }, ctx));
    expect([f.code, f.retryable, f.message]).toEqual(['ERR_SECRET_GET', true, 'failed getting secret with key a from secret store files: connection refused']);
    const b = await apiError(api.getBulkSecret({ storeName: 'files', metadata: {} }, ctx));
    expect([b.code, b.httpStatus, b.message]).toEqual(['ERR_SECRET_GET', 500, 'failed getting secrets from secret store files: connection refused']);
  });

  it('allowedSecrets, when not empty, allows exactly those keys (over deniedSecrets and defaultAccess)', async () => {
    const api = build(stores, scopes);
    expect(await api.getSecret({ storeName: 'allowlist', key: 'a', metadata: {} }, ctx)).toEqual({ data: { a: 'A' } });
    for (const key of ['b', 'A', 'zz']) {
      const e = await apiError(api.getSecret({ storeName: 'allowlist', key, metadata: {} }, ctx));
      expect([e.code, e.httpStatus, e.message]).toEqual(['ERR_PERMISSION_DENIED', 403, `access denied by policy to get "${key}" from "allowlist"`]);
    }
  });

  it('deniedSecrets denies its keys; defaultAccess deny denies the rest; no entry allows all', async () => {
    const api = build(stores, scopes);
    expect((await apiError(api.getSecret({ storeName: 'denylist', key: 'b', metadata: {} }, ctx))).code).toBe('ERR_PERMISSION_DENIED');
    expect(await api.getSecret({ storeName: 'denylist', key: 'c', metadata: {} }, ctx)).toEqual({ data: { c: 'C' } });
    expect((await apiError(api.getSecret({ storeName: 'closed', key: 'a', metadata: {} }, ctx))).httpStatus).toBe(403);
    expect(await api.getSecret({ storeName: 'files', key: 'b', metadata: {} }, ctx)).toEqual({ data: { b: 'B' } });
  });

  it('a denied key never reaches the component', async () => {
    const api = build(stores, scopes);
    await apiError(api.getSecret({ storeName: 'closed', key: 'a', metadata: {} }, ctx));
    expect(files.calls.filter((c) => c.op === 'get')).toEqual([]);
  });

  it('bulk answers are filtered by the scopes', async () => {
    const api = build(stores, scopes);
    const data = async (storeName: string) => (await api.getBulkSecret({ storeName, metadata: {} }, ctx)).data;
    expect(await data('files')).toEqual({ a: { secrets: { a: 'A' } }, b: { secrets: { b: 'B' } }, c: { secrets: { c: 'C' } } });
    expect(await data('allowlist')).toEqual({ a: { secrets: { a: 'A' } } });
    expect(await data('denylist')).toEqual({ a: { secrets: { a: 'A' } }, c: { secrets: { c: 'C' } } });
    expect(await data('closed')).toEqual({});
    expect(await data('multi')).toEqual({ db: { secrets: { user: 'u', password: 'p' } } });
  });

  it('lists the stores visible to the app with their features', async () => {
    const api = build(stores, scopes);
    const list = await api.listComponents(ctx);
    expect(list.map((c) => c.name)).toEqual(['files', 'multi', 'allowlist', 'denylist', 'closed']);
    expect(list[1]).toEqual({ name: 'multi', type: 'secretstores.local.file', version: 'v1', capabilities: ['MULTIPLE_KEY_VALUES_PER_SECRET'] });
    expect((await api.listComponents({ appId: 'app2', namespace: '' })).map((c) => c.name)).toContain('other-app');
  });
});

describe('withSecretScopes', () => {
  it('returns the API itself when the scopes allow everything', () => {
    const block = new SecretsBlock(new SecretStores());
    expect(withSecretScopes(block, SecretScopes.ALLOW_ALL)).toBe(block);
    expect(withSecretScopes(block, new SecretScopes([scope({ storeName: 's' })]))).toBeInstanceOf(ScopedSecretsApi);
  });
});
