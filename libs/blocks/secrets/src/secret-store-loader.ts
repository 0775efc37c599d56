// Creates and initialises secret store components. Called by the composition root while the
// resources load, one store at a time, before any other component resolves its secretKeyRefs
// (secretResolverFor reads through the stores started here). The factory lookup and the host
// (environment snapshot, working folder) are passed in, so this block never imports a concrete
// component nor reads process state. A store that fails to start stops start-up with one line
// naming the file and the component, unless the component sets spec.ignoreErrors.
import { initWithTimeout } from '@tessera/spi';
import type { ComponentMetadata, SecretStore, SecretStoreFactory, SecretStoreHost, LoadableComponentSpec } from '@tessera/spi';
import type { SecretResolver } from '@tessera/runtime-core';
import type { SecretStoreEntry } from './secret-stores';
import { SecretStores } from './secret-stores';

/** The fields of a loaded Component resource this loader reads (runtime-core's ComponentSpec fits). */
/** The fields of a loaded Component resource this loader reads. */
export type SecretStoreComponentSpec = LoadableComponentSpec;

export interface SecretLoaderLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export type SecretStoreFactoryLookup = (type: string, version: string) => SecretStoreFactory | undefined;

export class SecretStoreLoadError extends Error {
  readonly kind = 'tessera.secret-store-load' as const;
}

/** Starts one secret store; undefined when it failed and spec.ignoreErrors let it be skipped. */
export async function startSecretStore(
  spec: SecretStoreComponentSpec,
  factoryFor: SecretStoreFactoryLookup,
  host: SecretStoreHost,
  appId: string,
  logger: SecretLoaderLogger,
): Promise<SecretStoreEntry | undefined> {
  const where = `${spec.file}: component "${spec.name}"`;
  const factory = factoryFor(spec.type, spec.version);
  if (!factory) throw new SecretStoreLoadError(`${where}: spec.type: no secret store ${spec.type}/${spec.version} in this build`);
  const meta: ComponentMetadata = { name: spec.name, type: spec.type, version: spec.version, properties: spec.metadata, appId };
  let store: SecretStore | undefined;
  try {
    store = factory(meta, host);
    await initWithTimeout(store.init(), spec.initTimeoutMs);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (store) await store.close().catch(() => undefined);
    if (spec.ignoreErrors) {
      logger.warn(`${where}: skipped (spec.ignoreErrors): ${reason}`);
      return undefined;
    }
    throw new SecretStoreLoadError(`${where}: failed to initialise ${spec.type}: ${reason}`);
  }
  logger.info(`component loaded: ${spec.name} (${spec.type}/${spec.version})`);
  return { name: spec.name, type: spec.type, version: spec.version, store, features: new Set(store.features()), scopes: spec.scopes };
}

/** Starts every store of `specs` in order; on a failure, closes the ones already started. */
export async function loadSecretStores(
  specs: readonly SecretStoreComponentSpec[],
  factoryFor: SecretStoreFactoryLookup,
  host: SecretStoreHost,
  appId: string,
  logger: SecretLoaderLogger,
  into: SecretStores = new SecretStores(),
): Promise<SecretStores> {
  const started: SecretStoreEntry[] = [];
  try {
    for (const spec of specs) {
      const entry = await startSecretStore(spec, factoryFor, host, appId, logger);
      if (!entry) continue;
      started.push(entry);
      into.add(entry);
    }
  } catch (e) {
    await Promise.all(started.map((s) => s.store.close().catch(() => undefined)));
    throw e;
  }
  return into;
}

export async function closeSecretStores(stores: SecretStores): Promise<void> {
  await Promise.all(stores.all().map((e) => e.store.close().catch(() => undefined)));
}

/**
 * Resolves a component's secretKeyRef {name, key} through the secret store `store` loaded in this
 * process (runtime-core's SecretResolver): the value under `key` of secret `name`, undefined when
 * the secret has no such key. Component scopes and secret scopes do not apply, as in daprd.
 */
export function secretResolverFor(stores: SecretStores): SecretResolver {
  return async (store, name, key) => {
    const entry = stores.named(store);
    if (!entry) {
      const loaded = stores.all().map((e) => e.name);
      throw new Error(
        loaded.length === 0
          ? 'no secret store is loaded (a secret store must be a Component of type secretstores.* in the resources)'
          : `it is not a loaded secret store; loaded: ${loaded.join(', ')}`,
      );
    }
    const data = await entry.store.getSecret(name, {});
    return Object.prototype.hasOwnProperty.call(data, key) ? data[key] : undefined;
  };
}
