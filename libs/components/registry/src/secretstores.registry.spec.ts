import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KNOWN_SECRET_STORE_TYPES, secretStoreFactory, secretStoreVersions } from './secretstores.registry';

const meta = (type: string, properties: Record<string, string> = {}) => ({ name: 's', type, version: 'v1', properties, appId: 'app' });

describe('secret store registry', () => {
  it('knows every secret store type', () => {
    expect([...KNOWN_SECRET_STORE_TYPES].sort()).toEqual(['secretstores.kubernetes', 'secretstores.local.env', 'secretstores.local.file']);
    for (const t of KNOWN_SECRET_STORE_TYPES) expect(secretStoreFactory(t, 'v1')).toBeInstanceOf(Function);
  });

  it('treats an empty version and v0 as v1, and is case-insensitive', () => {
    const f = secretStoreFactory('secretstores.local.env', 'v1');
    expect(secretStoreFactory('secretstores.local.env', '')).toBe(f);
    expect(secretStoreFactory('secretstores.local.env', 'v0')).toBe(f);
    expect(secretStoreFactory('SecretStores.Local.Env', 'V1')).toBe(f);
  });

  it('answers undefined for unknown types and versions', () => {
    expect(secretStoreFactory('secretstores.hashicorp.vault', 'v1')).toBeUndefined();
    expect(secretStoreFactory('secretstores.local.file', 'v2')).toBeUndefined();
    expect(secretStoreVersions('secretstores.local.file')).toEqual(['v1']);
    expect(secretStoreVersions('secretstores.nope')).toEqual([]);
  });

  it('builds working local stores from the host it is handed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-secret-registry-'));
    try {
      writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ db: { password: 'p' } }));
      const host = { env: { GREETING: 'hi' }, cwd: dir };
      const env = secretStoreFactory('secretstores.local.env', 'v1')?.(meta('secretstores.local.env'), host);
      await env?.init();
      expect(await env?.getSecret('GREETING', {})).toEqual({ GREETING: 'hi' });
      const file = secretStoreFactory('secretstores.local.file', 'v1')?.(meta('secretstores.local.file', { secretsFile: 'secrets.json' }), host);
      await file?.init();
      expect(await file?.getSecret('db:password', {})).toEqual({ 'db:password': 'p' });
      await Promise.all([env?.close(), file?.close()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
