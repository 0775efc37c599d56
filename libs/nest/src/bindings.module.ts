// The bindings block, bound either in-process (BindingsBlock over the `bindings.*` components of
// the resources) or remote (BindingsTransportClient to a bindings-svc). This module choice is the
// only place the mode is decided. In-process, each output call runs under the component's outbound
// resiliency policy.
//
// bindingsDeliveryProviders(): the gateway's side of input bindings (AppBindingsDelivery), which
// probes the app, reads the BindingsApi's input streams, whichever module bound it, and delivers
// each event to the app under the component's inbound resiliency policy, once the app channel is
// ready (semantics.md start-up order: OPTIONS probes after the app port accepts connections).
// Only a gateway has an app, so only GatewayModule adds these.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import { BINDINGS_API, STATE_API } from '@tessera/contracts';
import type { AppChannel, BindingsApi, StateApi } from '@tessera/contracts';
import { AppBindingsDelivery, BindingComponents, BindingsBlock, closeBindings, loadBindings } from '@tessera/block-bindings';
import type { Logger } from '@tessera/observability';
import { bindingFactory } from '@tessera/registry';
import { ResiliencyRunner, parseResiliency } from '@tessera/runtime-core';
import type { RuntimeConfig } from '@tessera/runtime-core';
import { BindingsTransportClient } from '@tessera/transport-bindings';
import { CONCRETE_APP_CHANNEL } from './invoke.module';
import { LifecycleService } from './lifecycle.service';
import type { LoadedComponents } from './resources.module';
import { LOGGER, RESOURCES, RUNTIME_CONFIG } from './tokens';

export const BINDING_COMPONENTS = Symbol.for('tessera.BindingComponents');
export const APP_BINDINGS_DELIVERY = Symbol.for('tessera.AppBindingsDelivery');
const BINDINGS_CLIENT = Symbol.for('tessera.BindingsTransportClient');
const BLOCK = Symbol.for('tessera.BindingsBlockAndComponents');

function resiliencyFor(res: LoadedComponents, log: Logger): ResiliencyRunner {
  return new ResiliencyRunner(parseResiliency(res.resources?.resiliencies ?? [], res.appId), {
    onEvent: (e) => log.debug(`resiliency ${e.kind}`, { target: e.target, attempt: e.attempt }),
  });
}

/** Loads the bindings of `res` and builds the block over them. */
export async function createBindingsBlock(res: LoadedComponents, logger: Logger): Promise<{ api: BindingsBlock; components: BindingComponents }> {
  const log = logger.child({ scope: 'runtime.blocks.bindings' });
  const components = await loadBindings(res.components.filter((c) => c.type.startsWith('bindings.')), bindingFactory, res.appId, log, { logger: log });
  const runner = resiliencyFor(res, log);
  const api = new BindingsBlock(components, { policyFor: (e) => runner.forComponent(e.name, 'outbound', e.type), logger: log });
  return { api, components };
}

/** Ends the block's input readers (unsettled events fail back), then closes its components. */
export async function closeBindingsBlock(b: { api: BindingsBlock; components: BindingComponents }): Promise<void> {
  await b.api.close();
  await closeBindings(b.components);
}

@Injectable()
class BindingsBlockCloser implements OnApplicationShutdown {
  constructor(@Inject(BLOCK) private readonly block: { api: BindingsBlock; components: BindingComponents }) {}
  async onApplicationShutdown(): Promise<void> {
    await closeBindingsBlock(this.block);
  }
}

@Injectable()
class BindingsClientCloser implements OnApplicationShutdown {
  constructor(@Inject(BINDINGS_CLIENT) private readonly client: BindingsTransportClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

@Module({})
export class BindingsModule {
  /** The bindings block runs in this process on the bindings of the resources. */
  static inProcess(): DynamicModule {
    return {
      module: BindingsModule,
      providers: [
        { provide: BLOCK, inject: [RESOURCES, LOGGER], useFactory: (res: LoadedComponents, logger: Logger) => createBindingsBlock(res, logger) },
        { provide: BINDING_COMPONENTS, inject: [BLOCK], useFactory: (b: { components: BindingComponents }) => b.components },
        { provide: BINDINGS_API, inject: [BLOCK], useFactory: (b: { api: BindingsApi }): BindingsApi => b.api },
        BindingsBlockCloser,
      ],
      exports: [BINDINGS_API, BINDING_COMPONENTS],
    };
  }

  /** A bindings API built outside this module (several apps of one process sharing one block). */
  static shared(api: BindingsApi): DynamicModule {
    return { module: BindingsModule, providers: [{ provide: BINDINGS_API, useValue: api }], exports: [BINDINGS_API] };
  }

  /** Bindings calls go to a bindings-svc at `address` (host:port) over the internal transport. */
  static remote(address: string): DynamicModule {
    return {
      module: BindingsModule,
      providers: [
        { provide: BINDINGS_CLIENT, useFactory: () => new BindingsTransportClient(address) },
        { provide: BINDINGS_API, useExisting: BINDINGS_CLIENT },
        BindingsClientCloser,
      ],
      exports: [BINDINGS_API],
    };
  }
}

/** Starts the app's input bindings once the app channel is ready; stops them before shutdown. */
@Injectable()
class BindingsDeliveryLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(APP_BINDINGS_DELIVERY) private readonly delivery: AppBindingsDelivery | null,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
  ) {}

  onApplicationBootstrap(): void {
    const d = this.delivery;
    if (d === null) return;
    void this.lifecycle.whenReady('app-channel').then(() => d.start());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.delivery?.close();
  }
}

/** The gateway's input bindings: probed on the app, read and delivered over the app channel. */
export function bindingsDeliveryProviders(): Provider[] {
  return [
    {
      provide: APP_BINDINGS_DELIVERY,
      inject: [BINDINGS_API, STATE_API, RESOURCES, RUNTIME_CONFIG, LOGGER, { token: CONCRETE_APP_CHANNEL, optional: true }],
      useFactory: (api: BindingsApi, state: StateApi, res: LoadedComponents, config: RuntimeConfig, logger: Logger, channel: AppChannel | null | undefined): AppBindingsDelivery | null => {
        if (channel === null || channel === undefined || config.appPort === undefined) return null;
        const log = logger.child({ scope: 'runtime.blocks.bindings' });
        const runner = resiliencyFor(res, log);
        return new AppBindingsDelivery({
          api,
          state,
          channel,
          appId: config.appId,
          namespace: config.namespace,
          logger: log,
          inboundPolicy: (name) => runner.forComponent(name, 'inbound', 'bindings'),
          probePolicy: runner.builtIn('DaprBuiltInInitializationRetries'),
          drainMs: Math.max(0, config.gracefulShutdownSeconds * 1000 - 500),
        });
      },
    },
    BindingsDeliveryLifecycle,
  ];
}

/**
 * The bindings as the metadata API lists them: a bindings-svc that cannot be reached leaves them
 * out (logged) instead of failing GET /v1.0/metadata, which SDKs use as their readiness probe.
 */
export function bindingsListedOrSkipped(api: BindingsApi, logger: Logger): Pick<BindingsApi, 'listComponents'> {
  return {
    listComponents: (ctx) =>
      api.listComponents(ctx).catch((e: unknown) => {
        logger.warn(`metadata: bindings left out: ${e instanceof Error ? e.message : String(e)}`);
        return [];
      }),
  };
}
