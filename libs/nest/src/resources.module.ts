// Process-wide providers: the parsed RuntimeConfig, the logger, and the resources loaded from
// --resources-path (or the embedded defaults when none is given), checked against what this
// build can run. Global, so every block module can inject them.
import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { join } from 'node:path';
import type { Logger } from '@tessera/observability';
import { KNOWN_STATE_TYPES, stateStoreVersions } from '@tessera/registry';
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
}

export const BUILT_BLOCKS = ['state'] as const;

/** Component type -> versions this build can run, from the registry. */
export const KNOWN_TYPES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  KNOWN_STATE_TYPES.map((t) => [t, stateStoreVersions(t)]),
);

/** The embedded defaults of `npm start`: a durable SQLite state store under the data dir. */
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
  ];
}

export async function loadComponents(config: RuntimeConfig, env: Env, cwd: string, appId: string, logger: Logger): Promise<LoadedComponents> {
  const configurations = config.configPath
    ? (await loadResources([config.configPath], { appId, namespace: config.namespace, env, cwd, logger })).configurations
    : [];
  if (config.configPath && configurations.length === 0) logger.warn(`--config ${config.configPath}: no Configuration resource in it`);
  if (config.resourcesPaths.length === 0) {
    return { appId, components: embeddedComponents(config.dataDir), resources: undefined, configurations, embeddedDefaults: true };
  }
  const resources = await loadResources(config.resourcesPaths, {
    appId,
    namespace: config.namespace,
    env,
    cwd,
    logger,
  });
  const components = validateComponents(resources.components, {
    knownTypes: KNOWN_TYPES,
    builtBlocks: [...BUILT_BLOCKS],
    logger,
  });
  return { appId, components, resources, configurations, embeddedDefaults: false };
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
      ],
      exports: [RUNTIME_CONFIG, LOGGER, RESOURCES, LifecycleService, RUNTIME_LIFECYCLE],
    };
  }
}
