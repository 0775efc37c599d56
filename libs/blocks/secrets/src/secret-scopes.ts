// Secret scopes of the Configuration (spec/components.md 4, `spec.secrets.scopes[]`): which keys
// of which secret store the app may read through the secrets API. Per store: a non-empty
// `allowedSecrets` allows exactly those keys; else a key in `deniedSecrets` is denied; else
// `defaultAccess` decides (allow unless it is "deny", any case). A store without an entry allows
// everything. Keys match exactly (case-sensitive), as daprd's.
//
// They bind the secrets API only: a component's secretKeyRef reads its store directly, as in
// daprd. Stricter than daprd, which reads anything but "deny" as allow: a defaultAccess other than
// allow/deny, a list that is not a list of strings or a store listed twice stops start-up.
import { ResourceError, getField, isYamlMap } from '@tessera/runtime-core';
import type { RawResource } from '@tessera/runtime-core';

export interface SecretScope {
  readonly storeName: string;
  readonly defaultAccess: 'allow' | 'deny';
  readonly allowedSecrets: ReadonlySet<string>;
  readonly deniedSecrets: ReadonlySet<string>;
}

export class SecretScopes {
  static readonly ALLOW_ALL = new SecretScopes([]);

  private readonly byStore: ReadonlyMap<string, SecretScope>;

  constructor(scopes: readonly SecretScope[]) {
    this.byStore = new Map(scopes.map((s) => [s.storeName, s]));
  }

  /** True when no store has a scope entry (every key of every store allowed). */
  get empty(): boolean {
    return this.byStore.size === 0;
  }

  allows(storeName: string, key: string): boolean {
    const s = this.byStore.get(storeName);
    if (!s) return true;
    if (s.allowedSecrets.size > 0) return s.allowedSecrets.has(key);
    if (s.deniedSecrets.has(key)) return false;
    return s.defaultAccess === 'allow';
  }
}

/**
 * The secret scopes of the first Configuration (in the order given) that has `spec.secrets`;
 * none -> allow all. Throws ResourceError naming the file and field for a malformed entry.
 */
export function parseSecretScopes(configurations: readonly RawResource[]): SecretScopes {
  for (const res of configurations) {
    const secrets = isYamlMap(res.spec) ? getField(res.spec, 'secrets') : undefined;
    if (secrets === undefined || secrets === null) continue;
    const fail = (f: string, problem: string): never => {
      throw new ResourceError({ file: res.file, resource: `${res.kind} "${res.name}"`, field: `spec.secrets${f}`, problem });
    };
    if (!isYamlMap(secrets)) fail('', 'expected a mapping with scopes');
    const list = getField(secrets as Record<string, unknown>, 'scopes');
    if (list === undefined || list === null) return SecretScopes.ALLOW_ALL;
    if (!Array.isArray(list)) return fail('.scopes', 'expected a list of {storeName, defaultAccess, allowedSecrets, deniedSecrets}');
    const seen = new Set<string>();
    const scopes = list.map((entry: unknown, i): SecretScope => {
      const at = `.scopes[${i}]`;
      if (!isYamlMap(entry)) return fail(at, 'expected a mapping {storeName, defaultAccess, allowedSecrets, deniedSecrets}');
      const storeName = getField(entry, 'storeName');
      if (typeof storeName !== 'string' || storeName === '') return fail(`${at}.storeName`, 'expected a secret store name');
      if (seen.has(storeName)) return fail(`${at}.storeName`, `secret store "${storeName}" has a scope entry already; give each store one`);
      seen.add(storeName);
      const access = getField(entry, 'defaultAccess');
      let defaultAccess: 'allow' | 'deny' = 'allow';
      if (access !== undefined && access !== null && access !== '') {
        const a = typeof access === 'string' ? access.trim().toLowerCase() : '';
        if (a !== 'allow' && a !== 'deny') return fail(`${at}.defaultAccess`, `expected "allow" or "deny", got ${JSON.stringify(access)}`);
        defaultAccess = a;
      }
      const keys = (name: 'allowedSecrets' | 'deniedSecrets'): ReadonlySet<string> => {
        const v = getField(entry, name);
        if (v === undefined || v === null) return new Set();
        if (!Array.isArray(v) || v.some((k) => typeof k !== 'string')) return fail(`${at}.${name}`, 'expected a list of secret keys');
        return new Set(v as string[]);
      };
      return { storeName, defaultAccess, allowedSecrets: keys('allowedSecrets'), deniedSecrets: keys('deniedSecrets') };
    });
    return new SecretScopes(scopes);
  }
  return SecretScopes.ALLOW_ALL;
}
