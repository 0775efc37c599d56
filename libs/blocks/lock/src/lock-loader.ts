// Creates and initialises the lock stores named by Component resources. The factory lookup is
// passed in by the composition root (it holds the registry), so this block never imports a
// concrete component. A store that fails to start stops start-up with one line naming the file
// and the component, unless the component sets spec.ignoreErrors. A keyPrefix containing `||`
// fails the component, as daprd fails it.
import { initWithTimeout } from '@tessera/spi';
import type { ComponentMetadata, LockStore, LockStoreFactory, LoadableComponentSpec } from '@tessera/spi';
import { lockKeyStrategy } from './lock-keys';
import { LockStores } from './lock-stores';

/** The fields of a loaded Component resource this loader reads. */
export type LockComponentSpec = LoadableComponentSpec;

export interface LockLoaderLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export class LockStoreLoadError extends Error {
  readonly kind = 'tessera.lock-store-load' as const;
}

/** `keyPrefix` as the runtime reads it (case-insensitive name, like other component metadata). */
function keyPrefixOf(metadata: Readonly<Record<string, string>>): string | undefined {
  for (const [k, v] of Object.entries(metadata)) if (k.toLowerCase() === 'keyprefix') return v;
  return undefined;
}

export async function loadLockStores(
  specs: readonly LockComponentSpec[],
  factoryFor: (type: string, version: string) => LockStoreFactory | undefined,
  appId: string,
  logger: LockLoaderLogger,
): Promise<LockStores> {
  const stores = new LockStores();
  const started: LockStore[] = [];
  try {
    for (const spec of specs) {
      const where = `${spec.file}: component "${spec.name}"`;
      const factory = factoryFor(spec.type, spec.version);
      if (!factory) throw new LockStoreLoadError(`${where}: spec.type: no lock store ${spec.type}/${spec.version} in this build`);
      const meta: ComponentMetadata = { name: spec.name, type: spec.type, version: spec.version, properties: spec.metadata, appId };
      let store: LockStore | undefined;
      let keyStrategy: string;
      try {
        keyStrategy = lockKeyStrategy(keyPrefixOf(spec.metadata));
        store = factory(meta);
        await initWithTimeout(store.init(), spec.initTimeoutMs);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        if (store) await store.close().catch(() => undefined);
        if (spec.ignoreErrors) {
          logger.warn(`${where}: skipped (spec.ignoreErrors): ${reason}`);
          continue;
        }
        throw new LockStoreLoadError(`${where}: failed to initialise ${spec.type}: ${reason}`);
      }
      started.push(store);
      stores.add({ name: spec.name, type: spec.type, version: spec.version, store, keyStrategy, scopes: spec.scopes });
      logger.info(`component loaded: ${spec.name} (${spec.type}/${spec.version})`);
    }
  } catch (e) {
    await Promise.all(started.map((s) => s.close().catch(() => undefined)));
    throw e;
  }
  return stores;
}

export async function closeLockStores(stores: LockStores): Promise<void> {
  await Promise.all(stores.all().map((e) => e.store.close().catch(() => undefined)));
}
