// `secretstores.local.file` (spec/components.md 5.15): secrets from a JSON file, read once at
// init. `secretsFile` (required) is resolved against the runtime's working folder
// (SecretStoreHost.cwd), as daprd resolves it against its own. Nested objects and arrays are
// flattened with `nestedSeparator` (default ":"), array items by index: {"a":{"b":"x"}} -> "a:b".
// With `multiValued: true` the top-level keys are the secrets and each object below one is
// flattened into that secret's own key/value pairs: get "a" -> {"b": "x"}.
//
// Differences from daprd, all on inputs daprd mishandles: numbers, booleans and null become
// "42", "true" and "" (daprd's Go formatting yields "%!s(float64=42)"); in multiValued mode a
// top-level number or array is kept (daprd drops it silently); two JSON paths that flatten to the
// same name stop init with an error (daprd keeps one at random).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ComponentConfigError, boolProp, prop, requiredProp, secretNotFound } from '@tessera/spi';
import type { ComponentMetadata, SecretStore, SecretStoreFactory, SecretStoreFeature, SecretStoreHost } from '@tessera/spi';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function scalar(v: Json): string {
  if (v === null) return '';
  return typeof v === 'string' ? v : String(v);
}

/** Flattens `value` under `path` into `out`; throws on a name produced twice. */
function flatten(value: Json, path: string, sep: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object') {
    const entries: Array<[string, Json]> = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    for (const [k, v] of entries) flatten(v, path === '' ? k : `${path}${sep}${k}`, sep, out);
    return;
  }
  if (out.has(path)) throw new ComponentConfigError('secretsFile', `a JSON file whose flattened secret names are unique; "${path}" appears twice`);
  out.set(path, scalar(value));
}

export class FileSecretStore implements SecretStore {
  /** Secret name -> its key/value pairs. */
  private secrets = new Map<string, Readonly<Record<string, string>>>();
  private multiValued = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly cwd: string,
  ) {}

  async init(): Promise<void> {
    const file = resolve(this.cwd, requiredProp(this.meta, 'secretsFile'));
    const sep = prop(this.meta, 'nestedSeparator') || ':';
    this.multiValued = boolProp(this.meta, 'multiValued', false);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new ComponentConfigError('secretsFile', `a readable JSON file, but ${file} cannot be read: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ComponentConfigError('secretsFile', `a JSON file, but ${file} is not valid JSON: ${(e as Error).message}`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new ComponentConfigError('secretsFile', `a JSON object at the top of ${file}`);
    }
    const secrets = new Map<string, Readonly<Record<string, string>>>();
    if (this.multiValued) {
      for (const [name, v] of Object.entries(json as Record<string, Json>)) {
        if (v !== null && typeof v === 'object') {
          const values = new Map<string, string>();
          flatten(v, '', sep, values);
          secrets.set(name, Object.freeze(Object.fromEntries(values)));
        } else {
          secrets.set(name, Object.freeze({ [name]: scalar(v) }));
        }
      }
    } else {
      const flat = new Map<string, string>();
      flatten(json as Json, '', sep, flat);
      for (const [name, v] of flat) secrets.set(name, Object.freeze({ [name]: v }));
    }
    this.secrets = secrets;
  }

  features(): readonly SecretStoreFeature[] {
    return this.multiValued ? ['MULTIPLE_KEY_VALUES_PER_SECRET'] : [];
  }

  async getSecret(name: string): Promise<Record<string, string>> {
    const s = this.secrets.get(name);
    if (s === undefined) throw secretNotFound(name);
    return { ...s };
  }

  async bulkGetSecret(): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [name, values] of this.secrets) out[name] = { ...values };
    return out;
  }

  async close(): Promise<void> {
    this.secrets = new Map();
  }
}

export const createFileSecretStore: SecretStoreFactory = (meta: ComponentMetadata, host: SecretStoreHost) => new FileSecretStore(meta, host.cwd);
