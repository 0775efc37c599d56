import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSecretStoreConformance } from '@tessera/conformance';
import type { SecretFixture } from '@tessera/conformance';
import { isSecretStoreError } from '@tessera/spi';
import { createFileSecretStore } from './index';

const dir = mkdtempSync(join(tmpdir(), 'tessera-file-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const meta = (properties: Record<string, string>) => ({ name: 'filestore', type: 'secretstores.local.file', version: 'v1', properties, appId: 'app' });
let n = 0;

async function storeOf(json: unknown, properties: Record<string, string> = {}, cwd = dir) {
  const file = `secrets-${++n}.json`;
  writeFileSync(join(dir, file), typeof json === 'string' ? json : JSON.stringify(json));
  const s = createFileSecretStore(meta({ secretsFile: file, ...properties }), { env: {}, cwd });
  await s.init();
  return s;
}

describeSecretStoreConformance(
  'secretstores.local.file',
  (fixture: SecretFixture) => storeOf(Object.fromEntries(Object.entries(fixture).map(([k, v]) => [k, v[k]]))),
  { features: [], exactBulk: true },
);

describeSecretStoreConformance('secretstores.local.file multiValued', (fixture) => storeOf(fixture, { multiValued: 'true' }), {
  features: ['MULTIPLE_KEY_VALUES_PER_SECRET'],
  exactBulk: true,
});

describe('secretstores.local.file specifics', () => {
  const nested = { redis: { password: 'p', hosts: ['a', 'b'] }, plain: 'v', n: 42, b: true, z: null };

  it('flattens nested objects and arrays with the separator', async () => {
    const s = await storeOf(nested);
    expect(await s.getSecret('redis:password', {})).toEqual({ 'redis:password': 'p' });
    expect(await s.getSecret('redis:hosts:1', {})).toEqual({ 'redis:hosts:1': 'b' });
    expect(await s.bulkGetSecret({})).toEqual({
      'redis:password': { 'redis:password': 'p' },
      'redis:hosts:0': { 'redis:hosts:0': 'a' },
      'redis:hosts:1': { 'redis:hosts:1': 'b' },
      plain: { plain: 'v' },
      n: { n: '42' },
      b: { b: 'true' },
      z: { z: '' },
    });
    expect(isSecretStoreError(await s.getSecret('redis', {}).catch((e: unknown) => e))).toBe(true);
  });

  it('uses nestedSeparator', async () => {
    const s = await storeOf(nested, { nestedSeparator: '.' });
    expect(await s.getSecret('redis.password', {})).toEqual({ 'redis.password': 'p' });
  });

  it('multiValued: a top-level object is one secret of its flattened children', async () => {
    const s = await storeOf({ db: { user: 'u', tls: { key: 'k' } }, single: 'one' }, { multiValued: 'true' });
    expect(await s.getSecret('db', {})).toEqual({ user: 'u', 'tls:key': 'k' });
    expect(await s.getSecret('single', {})).toEqual({ single: 'one' });
    expect(s.features()).toEqual(['MULTIPLE_KEY_VALUES_PER_SECRET']);
  });

  it('says "secret <name> not found" for a missing secret', async () => {
    const s = await storeOf({ a: 'b' });
    const e = await s.getSecret('nope', {}).catch((x: unknown) => x);
    expect(isSecretStoreError(e) && e.errorKind).toBe('not-found');
    expect((e as Error).message).toBe('secret nope not found');
  });

  it('resolves secretsFile against the host folder, and accepts an absolute path', async () => {
    writeFileSync(join(dir, 'abs.json'), JSON.stringify({ a: 'abs' }));
    const s = createFileSecretStore(meta({ secretsFile: join(dir, 'abs.json') }), { env: {}, cwd: '/nonexistent' });
    await s.init();
    expect(await s.getSecret('a', {})).toEqual({ a: 'abs' });
  });

  it('fails init with the field named for a missing, unreadable or malformed file', async () => {
    const bad = async (properties: Record<string, string>) =>
      createFileSecretStore(meta(properties), { env: {}, cwd: dir })
        .init()
        .then(() => 'ok', (e: Error) => e.message);
    expect(await bad({})).toBe('metadata field "secretsFile": expected a non-empty value (it is required)');
    expect(await bad({ secretsFile: 'does-not-exist.json' })).toMatch(/^metadata field "secretsFile": expected a readable JSON file, but .*does-not-exist.json cannot be read/);
    writeFileSync(join(dir, 'broken.json'), '{"a": ');
    expect(await bad({ secretsFile: 'broken.json' })).toMatch(/is not valid JSON/);
    writeFileSync(join(dir, 'array.json'), '["a"]');
    expect(await bad({ secretsFile: 'array.json' })).toMatch(/a JSON object at the top/);
    writeFileSync(join(dir, 'dup.json'), JSON.stringify({ 'a:b': 'x', a: { b: 'y' } }));
    expect(await bad({ secretsFile: 'dup.json' })).toMatch(/"a:b" appears twice/);
    expect(await bad({ secretsFile: 'abs.json', multiValued: 'maybe' })).toMatch(/multiValued/);
  });
});
