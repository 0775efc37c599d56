// The configuration stores one runtime (or one configuration-svc) has loaded, by component name.
// Built once at the composition root and read on every call; it never creates or closes stores.
import type { RegisteredComponent } from '@tessera/contracts';
import type { ConfigurationStore } from '@tessera/spi';

export interface ConfigurationStoreEntry {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly store: ConfigurationStore;
  /** App ids allowed to use the store; empty = every app. */
  readonly scopes: readonly string[];
}

export class ConfigurationStores {
  private readonly byName = new Map<string, ConfigurationStoreEntry>();

  constructor(entries: readonly ConfigurationStoreEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: ConfigurationStoreEntry): void {
    if (this.byName.has(entry.name)) throw new Error(`configuration store ${entry.name} is loaded twice`);
    this.byName.set(entry.name, entry);
  }

  /** The entry visible to `appId`, or undefined (unknown name or out of scope). */
  get(name: string, appId: string): ConfigurationStoreEntry | undefined {
    const e = this.byName.get(name);
    if (!e) return undefined;
    return visible(e, appId) ? e : undefined;
  }

  visibleTo(appId: string): ConfigurationStoreEntry[] {
    return [...this.byName.values()].filter((e) => visible(e, appId));
  }

  all(): ConfigurationStoreEntry[] {
    return [...this.byName.values()];
  }

  describe(e: ConfigurationStoreEntry): RegisteredComponent {
    return { name: e.name, type: e.type, version: e.version, capabilities: [] };
  }
}

function visible(e: ConfigurationStoreEntry, appId: string): boolean {
  return e.scopes.length === 0 || e.scopes.includes(appId);
}
