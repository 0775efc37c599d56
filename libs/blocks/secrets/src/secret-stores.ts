// The secret stores one runtime (or one secrets-svc) has loaded, by component name. Built at the
// composition root, filled while resources load (secret stores come first, so the other
// components' secretKeyRefs can resolve through them) and read on every call afterwards. It
// never creates or closes stores itself.
import type { RegisteredComponent } from '@tessera/contracts';
import type { SecretStore, SecretStoreFeature } from '@tessera/spi';

export interface SecretStoreEntry {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly store: SecretStore;
  readonly features: ReadonlySet<SecretStoreFeature>;
  /** App ids allowed to use the store; empty = every app. */
  readonly scopes: readonly string[];
}

export class SecretStores {
  private readonly byName = new Map<string, SecretStoreEntry>();

  constructor(entries: readonly SecretStoreEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: SecretStoreEntry): void {
    if (this.byName.has(entry.name)) throw new Error(`secret store ${entry.name} is loaded twice`);
    this.byName.set(entry.name, entry);
  }

  /** The entry visible to `appId`, or undefined (unknown name or out of scope). */
  get(name: string, appId: string): SecretStoreEntry | undefined {
    const e = this.byName.get(name);
    if (!e) return undefined;
    return visible(e, appId) ? e : undefined;
  }

  /** The entry whatever its scopes (component secret resolution inside this process). */
  named(name: string): SecretStoreEntry | undefined {
    return this.byName.get(name);
  }

  visibleTo(appId: string): SecretStoreEntry[] {
    return [...this.byName.values()].filter((e) => visible(e, appId));
  }

  all(): SecretStoreEntry[] {
    return [...this.byName.values()];
  }

  describe(e: SecretStoreEntry): RegisteredComponent {
    return { name: e.name, type: e.type, version: e.version, capabilities: [...e.features] };
  }
}

/** Empty scopes = every app; a caller without an app id (a local tool) sees unscoped stores only. */
function visible(e: SecretStoreEntry, appId: string): boolean {
  return e.scopes.length === 0 || e.scopes.includes(appId);
}
