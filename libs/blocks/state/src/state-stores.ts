// The state stores one runtime (or one state-svc) has loaded, by component name. Built once at
// the composition root and read on every call; it never creates or closes stores itself.
import type { RegisteredComponent } from '@tessera/contracts';
import type { StateFeature, StateStore } from '@tessera/spi';

export interface StateStoreEntry {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly store: StateStore;
  readonly features: ReadonlySet<StateFeature>;
  /** `keyPrefix` component metadata: appid (default), name, namespace, none, or a custom prefix. */
  readonly keyPrefix: string;
  /** App ids allowed to use the store; empty = every app. */
  readonly scopes: readonly string[];
  readonly actorStateStore: boolean;
}

export class StateStores {
  private readonly byName = new Map<string, StateStoreEntry>();

  constructor(entries: readonly StateStoreEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: StateStoreEntry): void {
    if (this.byName.has(entry.name)) throw new Error(`state store ${entry.name} is loaded twice`);
    this.byName.set(entry.name, entry);
  }

  /** The entry visible to `appId`, or undefined (unknown name or out of scope). */
  get(name: string, appId: string): StateStoreEntry | undefined {
    const e = this.byName.get(name);
    if (!e) return undefined;
    return e.scopes.length === 0 || e.scopes.includes(appId) ? e : undefined;
  }

  visibleTo(appId: string): StateStoreEntry[] {
    return [...this.byName.values()].filter((e) => e.scopes.length === 0 || e.scopes.includes(appId));
  }

  all(): StateStoreEntry[] {
    return [...this.byName.values()];
  }

  describe(e: StateStoreEntry): RegisteredComponent {
    const caps: string[] = [...e.features].filter((f) => f !== 'ACTOR');
    if (e.actorStateStore) caps.push('ACTOR');
    return { name: e.name, type: e.type, version: e.version, capabilities: caps };
  }
}
