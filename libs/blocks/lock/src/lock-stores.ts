// The lock stores one runtime (or one lock-svc) has loaded, by component name. Built once at the
// composition root and read on every call; it never creates or closes stores itself.
import type { RegisteredComponent } from '@tessera/contracts';
import type { LockStore } from '@tessera/spi';

export interface LockStoreEntry {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly store: LockStore;
  /** The keyPrefix strategy, as lockKeyStrategy() read it: appid, name, none or a custom prefix. */
  readonly keyStrategy: string;
  /** App ids allowed to use the store; empty = every app. */
  readonly scopes: readonly string[];
}

export class LockStores {
  private readonly byName = new Map<string, LockStoreEntry>();

  constructor(entries: readonly LockStoreEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: LockStoreEntry): void {
    if (this.byName.has(entry.name)) throw new Error(`lock store ${entry.name} is loaded twice`);
    this.byName.set(entry.name, entry);
  }

  /** The entry visible to `appId`, or undefined (unknown name or out of scope). */
  get(name: string, appId: string): LockStoreEntry | undefined {
    const e = this.byName.get(name);
    if (!e) return undefined;
    return e.scopes.length === 0 || e.scopes.includes(appId) ? e : undefined;
  }

  visibleTo(appId: string): LockStoreEntry[] {
    return [...this.byName.values()].filter((e) => e.scopes.length === 0 || e.scopes.includes(appId));
  }

  all(): LockStoreEntry[] {
    return [...this.byName.values()];
  }

  describe(e: LockStoreEntry): RegisteredComponent {
    return { name: e.name, type: e.type, version: e.version, capabilities: [...e.store.features()] };
  }
}
