// Several apps in ONE runtime process (`tessera run -f`): each app gets its own gateway (its own
// Dapr HTTP/gRPC ports, app id and app channel) while the building blocks are shared: one state
// block per distinct set of resources, loaded unscoped and checked per call against the caller's
// app id, exactly as state-svc serves many gateways. Dapr starts a daprd per app; this is ours.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { StateBlock, closeStateStores, loadStateStores } from '@tessera/block-state';
import type { StateStores } from '@tessera/block-state';
import { SecretsBlock, closeSecretStores } from '@tessera/block-secrets';
import type { SecretStores } from '@tessera/block-secrets';
import { createLogger } from '@tessera/observability';
import type { Logger } from '@tessera/observability';
import { stateStoreFactory } from '@tessera/registry';
import { parseRuntimeArgs } from '@tessera/runtime-core';
import type { RuntimeConfig } from '@tessera/runtime-core';
import type { BootIo } from './boot';
import { EdgeServers, GatewayModule } from './gateway.module';
import { LifecycleService } from './lifecycle.service';
import { RuntimeBaseModule, loadComponents } from './resources.module';
import { StateModule } from './state.module';
import { SecretsModule } from './secrets.module';
import { closeLockStores } from '@tessera/block-lock';
import type { LockBlock, LockStores } from '@tessera/block-lock';
import { LockModule, createLockBlock } from './lock.module';
import type { ConfigurationBlock, ConfigurationStores } from '@tessera/block-configuration';
import { ConfigurationModule, closeConfigurationBlock, createConfigurationBlock } from './configuration.module';
import type { BindingComponents, BindingsBlock } from '@tessera/block-bindings';
import { BindingsModule, closeBindingsBlock, createBindingsBlock } from './bindings.module';
import type { PubSubBlock, PubSubComponents } from '@tessera/block-pubsub';
import { PubSubModule, closePubSubBlock, createPubSubBlock } from './pubsub.module';
import { TESSERA_VERSION } from './version';

export interface RunningApp {
  readonly appId: string;
  readonly host: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Stops this app's gateway only (the shared blocks stay up for the others). */
  close(): Promise<void>;
}

export interface MultiAppRuntime {
  readonly apps: readonly RunningApp[];
  /** Stops every gateway, then the shared blocks. Idempotent. */
  close(): Promise<void>;
}

export interface MultiAppOptions {
  /** An app asked to shut down (POST /v1.0/shutdown); default: stop that app's gateway. */
  readonly onShutdownRequest?: (appId: string) => void;
}

/** Starts every app (each given as its runtime flags); throws on the first that cannot start. */
export async function bootApps(io: BootIo, appsArgv: readonly (readonly string[])[], opts: MultiAppOptions = {}): Promise<MultiAppRuntime> {
  const configs = appsArgv.map((argv) => parseRuntimeArgs(argv, io.env, io.cwd));
  const ids = new Set<string>();
  for (const c of configs) {
    if (!c.appId) throw new Error('every app of a multi-app run needs an app id');
    if (ids.has(c.appId)) throw new Error(`app id ${c.appId} appears twice in the run`);
    ids.add(c.appId);
  }
  const loggerOf = (c: RuntimeConfig): Logger =>
    createLogger({ level: c.logLevel, json: c.logAsJson, appId: c.appId, version: TESSERA_VERSION, destination: { write: (l: string) => void io.stderr.write(l) } });

  const blocks = new Map<
    string,
    {
      api: StateBlock;
      stores: StateStores;
      secrets: SecretsBlock;
      secretStores: SecretStores;
      lock: LockBlock;
      lockStores: LockStores;
      configuration: { api: ConfigurationBlock; stores: ConfigurationStores };
      pubsub: { api: PubSubBlock; components: PubSubComponents };
      bindings: { api: BindingsBlock; components: BindingComponents };
    }
  >();
  const contexts: INestApplicationContext[] = [];
  const apps: RunningApp[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await Promise.allSettled(contexts.map((c) => c.close()));
      await Promise.allSettled([...blocks.values()].map((b) => closeStateStores(b.stores)));
      await Promise.allSettled([...blocks.values()].map((b) => closeSecretStores(b.secretStores)));
      await Promise.allSettled([...blocks.values()].map((b) => closeLockStores(b.lockStores)));
      await Promise.allSettled([...blocks.values()].map((b) => closeConfigurationBlock(b.configuration)));
      await Promise.allSettled([...blocks.values()].map((b) => closePubSubBlock(b.pubsub)));
      await Promise.allSettled([...blocks.values()].map((b) => closeBindingsBlock(b.bindings)));
    })());

  try {
    for (const config of configs) {
      const logger = loggerOf(config);
      const key = JSON.stringify([config.resourcesPaths, config.dataDir]);
      let shared = blocks.get(key);
      if (!shared) {
        const res = await loadComponents(config, io.env, io.cwd, '', logger.child({ scope: 'runtime.resources' }));
        const stores = await loadStateStores(
          res.components.filter((c) => c.type.startsWith('state.')),
          stateStoreFactory,
          '',
          logger.child({ scope: 'runtime.blocks.state' }),
        ).catch(async (e: unknown) => {
          await closeSecretStores(res.secretStores);
          throw e;
        });
        const lock = await createLockBlock(res, logger).catch(async (e: unknown) => {
          await closeStateStores(stores);
          await closeSecretStores(res.secretStores);
          throw e;
        });
        const configuration = await createConfigurationBlock(res, logger).catch(async (e: unknown) => {
          await closeLockStores(lock.stores);
          await closeStateStores(stores);
          await closeSecretStores(res.secretStores);
          throw e;
        });
        const pubsub = await createPubSubBlock(res, logger, config.maxBodySizeBytes).catch(async (e: unknown) => {
          await closeConfigurationBlock(configuration);
          await closeLockStores(lock.stores);
          await closeStateStores(stores);
          await closeSecretStores(res.secretStores);
          throw e;
        });
        const bindings = await createBindingsBlock(res, logger).catch(async (e: unknown) => {
          await closePubSubBlock(pubsub);
          await closeConfigurationBlock(configuration);
          await closeLockStores(lock.stores);
          await closeStateStores(stores);
          await closeSecretStores(res.secretStores);
          throw e;
        });
        // Unscoped: each app's gateway applies its own secret scopes (SecretsModule.shared).
        shared = {
          api: new StateBlock(stores),
          stores,
          secrets: new SecretsBlock(res.secretStores),
          secretStores: res.secretStores,
          lock: lock.api,
          lockStores: lock.stores,
          configuration,
          pubsub,
          bindings,
        };
        blocks.set(key, shared);
      }
      @Module({ imports: [RuntimeBaseModule.forRoot(config, io.env, io.cwd, logger, config.appId), GatewayModule.forApp(StateModule.shared(shared.api), SecretsModule.shared(shared.secrets), LockModule.shared(shared.lock), ConfigurationModule.shared(shared.configuration.api), PubSubModule.shared(shared.pubsub.api), BindingsModule.shared(shared.bindings.api))] })
      class AppRoot {}
      const ctx = await NestFactory.createApplicationContext(AppRoot, { logger: false, abortOnError: false });
      contexts.push(ctx);
      const appId = config.appId;
      ctx.get(LifecycleService, { strict: false }).setShutdownHandler(() =>
        opts.onShutdownRequest ? opts.onShutdownRequest(appId) : void ctx.close(),
      );
      await ctx.init();
      const l = ctx.get(EdgeServers, { strict: false }).listening;
      let closed: Promise<void> | undefined;
      apps.push({ appId, host: l.host, httpPort: l.httpPort, grpcPort: l.grpcPort, close: () => (closed ??= ctx.close()) });
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { apps, close };
}
