// Creates and initialises the configuration stores named by Component resources. The factory
// lookup is passed in by the composition root (it holds the registry), so this block never
// imports a concrete component. A store that fails to start stops start-up with one line naming
// the file and the component, unless the component sets spec.ignoreErrors.
import { initWithTimeout } from '@tessera/spi';
import type { ComponentMetadata, ConfigurationStore, ConfigurationStoreFactory, ConfigurationStoreHost, LoadableComponentSpec } from '@tessera/spi';
import { ConfigurationStores } from './configuration-stores';

/** The fields of a loaded Component resource this loader reads. */
export type ConfigurationComponentSpec = LoadableComponentSpec;

export interface ConfigurationLoaderLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child?(bindings: Record<string, unknown>): ConfigurationLoaderLogger;
}

export class ConfigurationStoreLoadError extends Error {
  readonly kind = 'tessera.configuration-store-load' as const;
}

export async function loadConfigurationStores(
  specs: readonly ConfigurationComponentSpec[],
  factoryFor: (type: string, version: string) => ConfigurationStoreFactory | undefined,
  appId: string,
  logger: ConfigurationLoaderLogger,
): Promise<ConfigurationStores> {
  const stores = new ConfigurationStores();
  const started: ConfigurationStore[] = [];
  try {
    for (const spec of specs) {
      const where = `${spec.file}: component "${spec.name}"`;
      const factory = factoryFor(spec.type, spec.version);
      if (!factory) throw new ConfigurationStoreLoadError(`${where}: spec.type: no configuration store ${spec.type}/${spec.version} in this build`);
      const meta: ComponentMetadata = { name: spec.name, type: spec.type, version: spec.version, properties: spec.metadata, appId };
      const host: ConfigurationStoreHost = { logger: logger.child?.({ scope: `component.${spec.type}` }) ?? logger };
      let store: ConfigurationStore | undefined;
      try {
        store = factory(meta, host);
        await initWithTimeout(store.init(), spec.initTimeoutMs);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        if (store) await store.close().catch(() => undefined);
        if (spec.ignoreErrors) {
          logger.warn(`${where}: skipped (spec.ignoreErrors): ${reason}`);
          continue;
        }
        throw new ConfigurationStoreLoadError(`${where}: failed to initialise ${spec.type}: ${reason}`);
      }
      started.push(store);
      stores.add({ name: spec.name, type: spec.type, version: spec.version, store, scopes: spec.scopes });
      logger.info(`component loaded: ${spec.name} (${spec.type}/${spec.version})`);
    }
  } catch (e) {
    await Promise.all(started.map((s) => s.close().catch(() => undefined)));
    throw e;
  }
  return stores;
}

export async function closeConfigurationStores(stores: ConfigurationStores): Promise<void> {
  await Promise.all(stores.all().map((e) => e.store.close().catch(() => undefined)));
}
