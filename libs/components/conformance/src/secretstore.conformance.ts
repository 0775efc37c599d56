// The secret store conformance suite: one jest `describe` that every secret store (and every
// remote adapter of one) registers from its own spec file. Secret stores are read-only, so the
// suite hands the caller a fixture and the caller builds a store holding exactly those secrets:
// a JSON file, an environment snapshot, a fake Kubernetes API, a secrets-svc in front of one.
//
// Contract with callers:
// - `factory(fixture)` returns an INITIALIZED store whose getSecret(name) answers fixture[name]
//   for every name of the fixture; the suite calls close(). Single-value stores get a fixture
//   whose every secret is `{name: value}`; stores declaring MULTIPLE_KEY_VALUES_PER_SECRET get
//   secrets with several keys.
// - Names and keys use only lower-case letters, digits, '-' and '.', so every backend can hold
//   them (Kubernetes object names, environment variables, JSON keys without the ':' separator).
// - `opts.features` is the store's declared features; a case checks features() against it.
// - `opts.missing`: how the store answers a secret it does not hold: 'not-found' (the SPI's rule,
//   a SecretStoreError of kind not-found) or 'empty' (`{name: ""}`, daprd's env store).
// - `opts.skipReason` registers the suite as skipped, loudly; it never shows as passed.
import { randomUUID } from 'node:crypto';
import { isSecretStoreError } from '@tessera/spi';
import type { SecretStore, SecretStoreFeature } from '@tessera/spi';

/** Secret name -> its key/value pairs. */
export type SecretFixture = Readonly<Record<string, Readonly<Record<string, string>>>>;

export interface SecretStoreConformanceOptions {
  readonly skipReason?: string;
  readonly features?: readonly SecretStoreFeature[];
  readonly missing?: 'not-found' | 'empty';
  /** The store holds exactly the fixture (bulk must equal it), not the fixture among others. */
  readonly exactBulk?: boolean;
}

const ALL_FEATURES: readonly SecretStoreFeature[] = ['MULTIPLE_KEY_VALUES_PER_SECRET'];

const single = (name: string, value: string): Record<string, string> => ({ [name]: value });

/** Single-value secrets: every secret is `{name: value}`. */
export const SINGLE_VALUE_FIXTURE: SecretFixture = Object.freeze({
  'conf-alpha': single('conf-alpha', 'alpha'),
  'conf-unicode': single('conf-unicode', 'é€😀 ünïcødé, "quotes" and \\ backslash'),
  'conf-spaces': single('conf-spaces', '  a b=c;d&e?f  '),
  'conf-empty': single('conf-empty', ''),
  'conf.dotted': single('conf.dotted', 'dotted'),
  'conf-long': single('conf-long', 'x'.repeat(8192)),
  'conf-multiline': single('conf-multiline', '-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----\n'),
});

/** Multi-value secrets (MULTIPLE_KEY_VALUES_PER_SECRET). */
export const MULTI_VALUE_FIXTURE: SecretFixture = Object.freeze({
  'conf-db': { username: 'admin', password: 's3cr3t é€', 'tls.crt': '-----BEGIN CERT-----\nabc\n' },
  'conf-api': { token: 't0k3n' },
  'conf-one': { 'conf-one': 'single inside a multi store' },
});

async function outcome<T>(p: Promise<T>): Promise<{ ok: true; v: T } | { ok: false; e: unknown }> {
  return p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
}

export function describeSecretStoreConformance(
  name: string,
  factory: (fixture: SecretFixture) => Promise<SecretStore>,
  opts: SecretStoreConformanceOptions = {},
): void {
  if (opts.skipReason !== undefined) {
    const title = `${name} secret store conformance — SKIPPED: ${opts.skipReason}`;
    console.warn(`\n!!!!!!!!!!\n!!! ${title}\n!!! The suite did NOT run; this is not a pass.\n!!!!!!!!!!\n`);
    describe.skip(title, () => {
      it('backend unavailable: conformance not run', () => undefined);
    });
    return;
  }

  const multi = opts.features?.includes('MULTIPLE_KEY_VALUES_PER_SECRET') ?? false;
  const fixture = multi ? MULTI_VALUE_FIXTURE : SINGLE_VALUE_FIXTURE;
  let store: SecretStore;

  describe(`${name} secret store conformance`, () => {
    beforeAll(async () => {
      store = await factory(fixture);
    });

    afterAll(async () => {
      await store?.close();
    });

    it('declares only known features, as declared', () => {
      const features = store.features();
      for (const f of features) expect(ALL_FEATURES).toContain(f);
      if (opts.features) expect([...features].sort()).toEqual([...opts.features].sort());
    });

    it('answers every secret with exactly its key/value pairs', async () => {
      for (const [secret, values] of Object.entries(fixture)) {
        expect({ secret, values: await store.getSecret(secret, {}) }).toEqual({ secret, values });
      }
    });

    it('answers a secret it does not hold as the contract says', async () => {
      const missing = `conf-missing-${randomUUID()}`;
      const res = await outcome(store.getSecret(missing, {}));
      if ((opts.missing ?? 'not-found') === 'empty') {
        expect(res).toEqual({ ok: true, v: { [missing]: '' } });
        return;
      }
      expect(res.ok).toBe(false);
      const e = (res as { e: unknown }).e;
      expect(isSecretStoreError(e)).toBe(true);
      expect(isSecretStoreError(e) && e.errorKind).toBe('not-found');
    });

    it('ignores request metadata it does not know', async () => {
      const [first, values] = Object.entries(fixture)[0] as [string, Record<string, string>];
      expect(await store.getSecret(first, { 'conformance.unknown': 'x' })).toEqual(values);
    });

    it('bulk answers every secret by name', async () => {
      const all = await store.bulkGetSecret({});
      if (opts.exactBulk) expect(all).toEqual(fixture);
      else for (const [secret, values] of Object.entries(fixture)) expect({ secret, values: all[secret] }).toEqual({ secret, values });
    });

    it('returns copies: changing an answer does not change the store', async () => {
      const [first, values] = Object.entries(fixture)[0] as [string, Record<string, string>];
      const got = await store.getSecret(first, {});
      for (const k of Object.keys(got)) got[k] = 'changed';
      const bulk = await store.bulkGetSecret({});
      const inBulk = bulk[first];
      if (inBulk) for (const k of Object.keys(inBulk)) inBulk[k] = 'changed';
      expect(await store.getSecret(first, {})).toEqual(values);
    });

    it('serves concurrent calls consistently', async () => {
      const names = Object.keys(fixture);
      const calls = Array.from({ length: 60 }, (_, i) => names[i % names.length] as string);
      const answers = await Promise.all(calls.map((n) => store.getSecret(n, {})));
      answers.forEach((a, i) => expect(a).toEqual(fixture[calls[i] as string]));
    });
  });
}
