// `secretstores.local.env` (spec/components.md 5.14): secrets are the runtime's environment
// variables, read from the environment snapshot the composition root hands in (SecretStoreHost),
// never from process.env. Metadata `prefix` limits the store to variables starting with it
// (case-sensitive) and strips it from the names it answers with. APP_API_TOKEN and every DAPR_*
// variable (compared upper-cased, prefix included) are never exposed.
//
// As daprd's env store, a variable that is not set (or is forbidden) reads as an empty value,
// `{name: ""}`, not as a missing secret: apps written against Dapr may rely on that.
import { prop } from '@tessera/spi';
import type { ComponentMetadata, SecretStore, SecretStoreFactory, SecretStoreFeature, SecretStoreHost } from '@tessera/spi';

/** Whether the store may expose variable `name` (its full name, prefix included). */
export function envVarAllowed(name: string): boolean {
  const upper = name.toUpperCase();
  return upper !== 'APP_API_TOKEN' && !upper.startsWith('DAPR_');
}

export class EnvSecretStore implements SecretStore {
  private prefix = '';

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  async init(): Promise<void> {
    this.prefix = prop(this.meta, 'prefix') ?? '';
  }

  features(): readonly SecretStoreFeature[] {
    return [];
  }

  async getSecret(name: string): Promise<Record<string, string>> {
    const full = this.prefix + name;
    const value = envVarAllowed(full) ? (this.env[full] ?? '') : '';
    return { [name]: value };
  }

  async bulkGetSecret(): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    const p = this.prefix;
    for (const [key, value] of Object.entries(this.env)) {
      if (value === undefined) continue;
      if (p !== '' && (key.length <= p.length || !key.startsWith(p))) continue;
      if (!envVarAllowed(key)) continue;
      const name = key.slice(p.length);
      out[name] = { [name]: value };
    }
    return out;
  }

  async close(): Promise<void> {
    // nothing held
  }
}

export const createEnvSecretStore: SecretStoreFactory = (meta: ComponentMetadata, host: SecretStoreHost) => new EnvSecretStore(meta, host.env);
