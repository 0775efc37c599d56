import type { RawResource } from '@tessera/runtime-core';
import { parseSecretScopes } from './secret-scopes';

const config = (spec: unknown, name = 'appconfig'): RawResource => ({
  apiVersion: 'dapr.io/v1alpha1',
  kind: 'Configuration',
  name,
  namespace: '',
  scopes: [],
  spec,
  raw: {},
  file: 'config.yaml',
});

const errorOf = (spec: unknown): string => {
  try {
    parseSecretScopes([config(spec)]);
    return 'no error';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('parseSecretScopes', () => {
  it('allows everything without a Configuration or without spec.secrets', () => {
    expect(parseSecretScopes([]).empty).toBe(true);
    expect(parseSecretScopes([config({ tracing: {} })]).empty).toBe(true);
    expect(parseSecretScopes([config({ secrets: { scopes: null } })]).empty).toBe(true);
  });

  it("evaluates as daprd: allowedSecrets, else deniedSecrets, else defaultAccess; unknown stores allowed", () => {
    const s = parseSecretScopes([
      config({
        secrets: {
          scopes: [
            { storeName: 'vault', defaultAccess: 'deny', allowedSecrets: ['db-password'] },
            { storeName: 'local', deniedSecrets: ['root'] },
            { storename: 'closed', defaultaccess: 'DENY' },
            { storeName: 'open', defaultAccess: 'Allow', allowedSecrets: [] },
          ],
        },
      }),
    ]);
    expect(s.allows('vault', 'db-password')).toBe(true);
    expect(s.allows('vault', 'DB-PASSWORD')).toBe(false);
    expect(s.allows('vault', 'other')).toBe(false);
    expect(s.allows('local', 'root')).toBe(false);
    expect(s.allows('local', 'anything')).toBe(true);
    expect(s.allows('closed', 'x')).toBe(false);
    expect(s.allows('open', 'x')).toBe(true);
    expect(s.allows('unlisted', 'x')).toBe(true);
  });

  it('takes the first Configuration that has spec.secrets', () => {
    const s = parseSecretScopes([
      config({ tracing: {} }, 'a'),
      config({ secrets: { scopes: [{ storeName: 's', defaultAccess: 'deny' }] } }, 'b'),
      config({ secrets: { scopes: [] } }, 'c'),
    ]);
    expect(s.allows('s', 'k')).toBe(false);
  });

  it('names the file and field of a malformed entry', () => {
    expect(errorOf({ secrets: 'x' })).toBe('config.yaml: Configuration "appconfig": spec.secrets: expected a mapping with scopes');
    expect(errorOf({ secrets: { scopes: {} } })).toMatch(/spec\.secrets\.scopes: expected a list/);
    expect(errorOf({ secrets: { scopes: [{}] } })).toBe('config.yaml: Configuration "appconfig": spec.secrets.scopes[0].storeName: expected a secret store name');
    expect(errorOf({ secrets: { scopes: [{ storeName: 's', defaultAccess: 'denied' }] } })).toBe(
      'config.yaml: Configuration "appconfig": spec.secrets.scopes[0].defaultAccess: expected "allow" or "deny", got "denied"',
    );
    expect(errorOf({ secrets: { scopes: [{ storeName: 's', allowedSecrets: 'a,b' }] } })).toMatch(/scopes\[0\]\.allowedSecrets: expected a list of secret keys/);
    expect(errorOf({ secrets: { scopes: [{ storeName: 's' }, { storeName: 's' }] } })).toMatch(/scopes\[1\]\.storeName: secret store "s" has a scope entry already/);
  });
});
