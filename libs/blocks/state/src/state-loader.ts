// Creates and initialises the state stores named by Component resources. The factory lookup is
// passed in by the composition root (it holds the registry), so this block never imports a
// concrete component. A store that fails to start stops start-up with one line naming the file
// and the component, unless the component sets spec.ignoreErrors.
import { initWithTimeout } from '@tessera/spi';
import { boolProp } from '@tessera/spi';
import type { ComponentMetadata, StateStore, StateStoreFactory, LoadableComponentSpec } from '@tessera/spi';
import { StateStores } from './state-stores';
import type { StateStoreEntry } from './state-stores';

/** The fields of a loaded Component resource this loader reads. */
export type StateComponentSpec = LoadableComponentSpec;

export interface LoaderLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export class StateStoreLoadError extends Error {
  readonly kind = 'tessera.state-store-load' as const;
}

export async function loadStateStores(
  specs: readonly StateComponentSpec[],
  factoryFor: (type: string, version: string) => StateStoreFactory | undefined,
  appId: string,
  logger: LoaderLogger,
): Promise<StateStores> {
  const stores = new StateStores();
  const started: StateStore[] = [];
  try {
    for (const spec of specs) {
      const where = `${spec.file}: component "${spec.name}"`;
      const factory = factoryFor(spec.type, spec.version);
      if (!factory) throw new StateStoreLoadError(`${where}: spec.type: no state store ${spec.type}/${spec.version} in this build`);
      const meta: ComponentMetadata = { name: spec.name, type: spec.type, version: spec.version, properties: spec.metadata, appId };
      let store: StateStore | undefined;
      try {
        store = factory(meta);
        await initWithTimeout(store.init(), spec.initTimeoutMs);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        if (store) await store.close().catch(() => undefined);
        if (spec.ignoreErrors) {
          logger.warn(`${where}: skipped (spec.ignoreErrors): ${reason}`);
          continue;
        }
        throw new StateStoreLoadError(`${where}: failed to initialise ${spec.type}: ${reason}`);
      }
      started.push(store);
      const entry: StateStoreEntry = {
        name: spec.name,
        type: spec.type,
        version: spec.version,
        store,
        features: new Set(store.features()),
        keyPrefix: spec.metadata['keyPrefix'] ?? 'appid',
        scopes: spec.scopes,
        actorStateStore: boolProp(meta, 'actorStateStore', false),
      };
      stores.add(entry);
      logger.info(`component loaded: ${spec.name} (${spec.type}/${spec.version})`);
    }
  } catch (e) {
    await Promise.all(started.map((s) => s.close().catch(() => undefined)));
    throw e;
  }
  return stores;
}

export async function closeStateStores(stores: StateStores): Promise<void> {
  await Promise.all(stores.all().map((e) => e.store.close().catch(() => undefined)));
}
