// Process-wide providers: the parsed RuntimeConfig, the logger, and the resources loaded from
// --resources-path (or the embedded defaults when none is given), checked against what this
// build can run. Global, so every block module can inject them.
import { Global, Inject, Injectable, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import type { Logger } from '@tessera/observability';
import { KNOWN_STATE_TYPES, stateStoreVersions } from '@tessera/registry';
import { KNOWN_SECRET_STORE_TYPES, secretStoreFactory, secretStoreVersions } from '@tessera/registry';
import { KNOWN_LOCK_TYPES, lockStoreVersions } from '@tessera/registry';
import { KNOWN_CONFIGURATION_TYPES, configurationStoreVersions } from '@tessera/registry';
import { KNOWN_PUBSUB_TYPES, pubSubVersions } from '@tessera/registry';
import { KNOWN_BINDING_TYPES, bindingVersions } from '@tessera/registry';
import { SecretStores, closeSecretStores, loadSecretStores, secretResolverFor, startSecretStore } from '@tessera/block-secrets';
import { DEFAULT_INIT_TIMEOUT_MS, loadResources, validateComponents } from '@tessera/runtime-core';
import type { ComponentSpec, Env, LoadedResources, RawResource, RuntimeConfig } from '@tessera/runtime-core';
import { RUNTIME_LIFECYCLE } from '@tessera/contracts';
import { LifecycleService } from './lifecycle.service';
import { LOGGER, RESOURCES, RUNTIME_CONFIG } from './tokens';

/** What the block modules read: the components this process serves, for `appId`. */
export interface LoadedComponents {
  /** '' in a shared building-block service: component scopes are then checked per call. */
  readonly appId: string;
  readonly components: readonly ComponentSpec[];
  readonly resources: LoadedResources | undefined;
  /** The Configuration resources of --config (as daprd, only that file is read for them). */
  readonly configurations: readonly RawResource[];
  readonly embeddedDefaults: boolean;
  /**
   * The secret store components, started while the resources loaded (before the other
   * components, whose secretKeyRefs resolve through them). The secrets block serves them;
   * RuntimeBaseModule closes them at shutdown.
   */
  readonly secretStores: SecretStores;
}

export const BUILT_BLOCKS = ['state', 'secretstores', 'lock', 'configuration', 'pubsub', 'bindings'] as const;

/** Component type -> versions this build can run, from the registry. */
export const KNOWN_TYPES: Readonly<Record<string, readonly string[]>> = Object.fromEntries([
  ...KNOWN_STATE_TYPES.map((t) => [t, stateStoreVersions(t)]),
  ...KNOWN_SECRET_STORE_TYPES.map((t) => [t, secretStoreVersions(t)]),
  ...KNOWN_LOCK_TYPES.map((t) => [t, lockStoreVersions(t)]),
  ...KNOWN_CONFIGURATION_TYPES.map((t) => [t, configurationStoreVersions(t)]),
  ...KNOWN_PUBSUB_TYPES.map((t) => [t, pubSubVersions(t)]),
  ...KNOWN_BINDING_TYPES.map((t) => [t, bindingVersions(t)]),
]);

/**
 * The embedded defaults of `npm start`: durable SQLite state, lock and pub/sub under the data dir,
 * the environment as secret store.
 */
export function embeddedComponents(dataDir: string): ComponentSpec[] {
  return [
    {
      name: 'statestore',
      namespace: '',
      type: 'state.sqlite',
      version: 'v1',
      initTimeoutMs: DEFAULT_INIT_TIMEOUT_MS,
      ignoreErrors: false,
      metadata: { connectionString: join(dataDir, 'state.db'), actorStateStore: 'true' },
      scopes: [],
      file: '(embedded default)',
      usesNamespaceTemplate: false,
    },
    {
      name: 'secretstore',
      namespace: '',
      type: 'secretstores.local.env',
      version: 'v1',
      initTimeoutMs: DEFAULT_INIT_TIMEOUT_MS,
      ignoreErrors: false,
      metadata: {},
      scopes: [],
      file: '(embedded default)',
      usesNamespaceTemplate: false,
    },
    {
      name: 'lockstore',
      namespace: '',
      type: 'lock.sqlite',
      version: 'v1',
      initTimeoutMs: DEFAULT_INIT_TIMEOUT_MS,
      ignoreErrors: false,
      metadata: { connectionString: join(dataDir, 'lock.db') },
      scopes: [],
      file: '(embedded default)',
      usesNamespaceTemplate: false,
    },
    {
      name: 'pubsub',
      namespace: '',
      type: 'pubsub.sqlite',
      version: 'v1',
      initTimeoutMs: DEFAULT_INIT_TIMEOUT_MS,
      ignoreErrors: false,
      metadata: { connectionString: join(dataDir, 'pubsub.db') },
      scopes: [],
      file: '(embedded default)',
      usesNamespaceTemplate: false,
    },
  ];
}

export async function loadComponents(config: RuntimeConfig, env: Env, cwd: string, appId: string, logger: Logger): Promise<LoadedComponents> {
  const configurations = config.configPath
    ? (await loadResources([config.configPath], { appId, namespace: config.namespace, env, cwd, logger })).configurations
    : [];
  if (config.configPath && configurations.length === 0) logger.warn(`--config ${config.configPath}: no Configuration resource in it`);
  // Secret stores start first: the other components' secretKeyRefs resolve through them.
  const secretStores = new SecretStores();
  const host = { env, cwd };
  try {
    if (config.resourcesPaths.length === 0) {
      const components = embeddedComponents(config.dataDir);
      await loadSecretStores(components.filter(isSecretStoreSpec), secretStoreFactory, host, appId, logger, secretStores);
      return { appId, components, resources: undefined, configurations, embeddedDefaults: true, secretStores };
    }
    const validation = { knownTypes: KNOWN_TYPES, builtBlocks: [...BUILT_BLOCKS], logger };
    const handled = new Set<ComponentSpec>();
    const resources = await loadResources(config.resourcesPaths, {
      appId,
      namespace: config.namespace,
      env,
      cwd,
      logger,
      secretResolver: secretResolverFor(secretStores),
      onSecretStore: async (spec) => {
        handled.add(spec);
        const [valid] = validateComponents([spec], validation);
        const entry = valid ? await startSecretStore(valid, secretStoreFactory, host, appId, logger) : undefined;
        if (entry) secretStores.add(entry);
      },
    });
    const valid = new Set(validateComponents(resources.components.filter((c) => !handled.has(c)), validation));
    const components = resources.components.filter((c) => (handled.has(c) ? secretStores.named(c.name) !== undefined : valid.has(c)));
    return { appId, components, resources, configurations, embeddedDefaults: false, secretStores };
  } catch (e) {
    await closeSecretStores(secretStores);
    throw e;
  }
}

function isSecretStoreSpec(c: ComponentSpec): boolean {
  return c.type.startsWith('secretstores.');
}

/** Closes the secret stores loadComponents started, after every block has shut down. */
@Injectable()
class SecretStoresCloser implements OnApplicationShutdown {
  constructor(@Inject(RESOURCES) private readonly res: LoadedComponents) {}
  async onApplicationShutdown(): Promise<void> {
    await closeSecretStores(this.res.secretStores);
  }
}

@Global()
@Module({})
export class RuntimeBaseModule {
  /** `appId` is the app's id in a gateway, '' in a shared building-block service. */
  static forRoot(config: RuntimeConfig, env: Env, cwd: string, logger: Logger, appId: string): DynamicModule {
    return {
      module: RuntimeBaseModule,
      providers: [
        { provide: RUNTIME_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        {
          provide: RESOURCES,
          useFactory: () => loadComponents(config, env, cwd, appId, logger.child({ scope: 'runtime.resources' })),
        },
        LifecycleService,
        { provide: RUNTIME_LIFECYCLE, useExisting: LifecycleService },
        SecretStoresCloser,
      ],
      exports: [RUNTIME_CONFIG, LOGGER, RESOURCES, LifecycleService, RUNTIME_LIFECYCLE],
    };
  }
}
