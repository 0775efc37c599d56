// The bindings one runtime (or one bindings-svc) has loaded, by component name, with what the
// runtime reads from their metadata: `direction` (which sides are used) and `route` (the app path
// input events are posted to). Built once at the composition root and read on every call; it never
// creates or closes components itself.
import type { RegisteredComponent } from '@tessera/contracts';
import type { Binding } from '@tessera/spi';

export interface BindingEntry {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly binding: Binding;
  /** Output side in use: the component can invoke and `direction` allows output. */
  readonly output: boolean;
  /** Input side in use: the component can read and `direction` allows input. */
  readonly input: boolean;
  /** App path of input events: metadata `route`, else the component name. */
  readonly route: string;
  /** App ids allowed to use the binding; empty = every app. */
  readonly scopes: readonly string[];
}

export class BindingComponents {
  private readonly byName = new Map<string, BindingEntry>();

  constructor(entries: readonly BindingEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: BindingEntry): void {
    if (this.byName.has(entry.name)) throw new Error(`binding ${entry.name} is loaded twice`);
    this.byName.set(entry.name, entry);
  }

  /** The entry visible to `appId`, or undefined (unknown name or out of scope). */
  get(name: string, appId: string): BindingEntry | undefined {
    const e = this.byName.get(name);
    if (!e) return undefined;
    return inScope(e, appId) ? e : undefined;
  }

  visibleTo(appId: string): BindingEntry[] {
    return [...this.byName.values()].filter((e) => inScope(e, appId));
  }

  all(): BindingEntry[] {
    return [...this.byName.values()];
  }

  /** As the metadata API lists it: daprd's INPUT_BINDING / OUTPUT_BINDING capabilities. */
  describe(e: BindingEntry): RegisteredComponent {
    const capabilities: string[] = [];
    if (e.input) capabilities.push('INPUT_BINDING');
    if (e.output) capabilities.push('OUTPUT_BINDING');
    return { name: e.name, type: e.type, version: e.version, capabilities };
  }
}

function inScope(e: BindingEntry, appId: string): boolean {
  return e.scopes.length === 0 || e.scopes.includes(appId);
}
