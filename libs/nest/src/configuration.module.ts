// The configuration block, bound either in-process (ConfigurationBlock over the configuration
// stores of the resources) or remote (ConfigurationTransportClient to a configuration-svc). This
// module choice is the only place the mode is decided. In-process, each component call runs under
// the component's outbound resiliency policy.
//
// configurationDeliveryProviders(): the gateway's side of HTTP-API subscriptions
// (AppConfigurationDelivery), which consumes the ConfigurationApi's subscription streams, whichever
// module bound it, and posts the changes to the app over the app channel under the component's
// inbound resiliency policy. Only a gateway has an app, so only GatewayModule adds these.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_CONFIGURATION_SUBSCRIPTIONS, CONFIGURATION_API } from '@tessera/contracts';
import type { AppChannel, ConfigurationApi } from '@tessera/contracts';
import { AppConfigurationDelivery, ConfigurationBlock, ConfigurationStores, closeConfigurationStores, loadConfigurationStores } from '@tessera/block-configuration';
import type { Logger } from '@tessera/observability';
import { configurationStoreFactory } from '@tessera/registry';
import { ResiliencyRunner, parseResiliency } from '@tessera/runtime-core';
import { ConfigurationTransportClient } from '@tessera/transport-configuration';
import { CONCRETE_APP_CHANNEL } from './invoke.module';
import type { LoadedComponents } from './resources.module';
import { LOGGER, RESOURCES } from './tokens';

export const CONFIGURATION_STORES = Symbol.for('tessera.ConfigurationStores');
const CONFIGURATION_CLIENT = Symbol.for('tessera.ConfigurationTransportClient');

function resiliencyFor(res: LoadedComponents, log: Logger): ResiliencyRunner {
  return new ResiliencyRunner(parseResiliency(res.resources?.resiliencies ?? [], res.appId), {
    onEvent: (e) => log.debug(`resiliency ${e.kind}`, { target: e.target, attempt: e.attempt }),
  });
}

/** Loads the configuration stores of `res` and builds the block over them. */
export async function createConfigurationBlock(res: LoadedComponents, logger: Logger): Promise<{ api: ConfigurationBlock; stores: ConfigurationStores }> {
  const log = logger.child({ scope: 'runtime.blocks.configuration' });
  const stores = await loadConfigurationStores(
    res.components.filter((c) => c.type.startsWith('configuration.')),
    configurationStoreFactory,
    res.appId,
    log,
  );
  const runner = resiliencyFor(res, log);
  const api = new ConfigurationBlock(stores, { policyFor: (e) => runner.forComponent(e.name, 'outbound', e.type), logger: log });
  return { api, stores };
}

/** Ends the block's streams, then closes its stores. */
export async function closeConfigurationBlock(b: { api: ConfigurationBlock; stores: ConfigurationStores }): Promise<void> {
  await b.api.close();
  await closeConfigurationStores(b.stores);
}

const BLOCK = Symbol.for('tessera.ConfigurationBlockAndStores');

@Injectable()
class ConfigurationBlockCloser implements OnApplicationShutdown {
  constructor(@Inject(BLOCK) private readonly block: { api: ConfigurationBlock; stores: ConfigurationStores }) {}
  async onApplicationShutdown(): Promise<void> {
    await closeConfigurationBlock(this.block);
  }
}

@Injectable()
class ConfigurationClientCloser implements OnApplicationShutdown {
  constructor(@Inject(CONFIGURATION_CLIENT) private readonly client: ConfigurationTransportClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

@Module({})
export class ConfigurationModule {
  /** The configuration block runs in this process on the configuration stores of the resources. */
  static inProcess(): DynamicModule {
    return {
      module: ConfigurationModule,
      providers: [
        { provide: BLOCK, inject: [RESOURCES, LOGGER], useFactory: (res: LoadedComponents, logger: Logger) => createConfigurationBlock(res, logger) },
        { provide: CONFIGURATION_STORES, inject: [BLOCK], useFactory: (b: { stores: ConfigurationStores }) => b.stores },
        { provide: CONFIGURATION_API, inject: [BLOCK], useFactory: (b: { api: ConfigurationApi }): ConfigurationApi => b.api },
        ConfigurationBlockCloser,
      ],
      exports: [CONFIGURATION_API, CONFIGURATION_STORES],
    };
  }

  /** A configuration API built outside this module (several apps of one process sharing one block). */
  static shared(api: ConfigurationApi): DynamicModule {
    return { module: ConfigurationModule, providers: [{ provide: CONFIGURATION_API, useValue: api }], exports: [CONFIGURATION_API] };
  }

  /** Configuration calls go to a configuration-svc at `address` (host:port) over the internal transport. */
  static remote(address: string): DynamicModule {
    return {
      module: ConfigurationModule,
      providers: [
        { provide: CONFIGURATION_CLIENT, useFactory: () => new ConfigurationTransportClient(address) },
        { provide: CONFIGURATION_API, useExisting: CONFIGURATION_CLIENT },
        ConfigurationClientCloser,
      ],
      exports: [CONFIGURATION_API],
    };
  }
}

@Injectable()
class ConfigurationDeliveryCloser implements BeforeApplicationShutdown {
  constructor(@Inject(APP_CONFIGURATION_SUBSCRIPTIONS) private readonly delivery: AppConfigurationDelivery) {}
  async beforeApplicationShutdown(): Promise<void> {
    await this.delivery.close();
  }
}

/** The gateway's AppConfigurationSubscriptions (HTTP-API subscriptions posted to its app). */
export function configurationDeliveryProviders(): Provider[] {
  return [
    {
      provide: APP_CONFIGURATION_SUBSCRIPTIONS,
      inject: [CONFIGURATION_API, RESOURCES, LOGGER, { token: CONCRETE_APP_CHANNEL, optional: true }],
      useFactory: (api: ConfigurationApi, res: LoadedComponents, logger: Logger, channel: AppChannel | null | undefined): AppConfigurationDelivery => {
        const log = logger.child({ scope: 'runtime.blocks.configuration' });
        const runner = resiliencyFor(res, log);
        return new AppConfigurationDelivery({
          api,
          channel: channel ?? undefined,
          logger: log,
          inboundPolicy: (store) => runner.forComponent(store, 'inbound', 'configuration'),
        });
      },
    },
    ConfigurationDeliveryCloser,
  ];
}

/**
 * The configuration stores as the metadata API lists them: a configuration-svc that cannot be
 * reached leaves them out (logged) instead of failing GET /v1.0/metadata, which SDKs use as
 * their readiness probe.
 */
export function listedOrSkipped(api: Pick<ConfigurationApi, 'listComponents'>, logger: Logger, what = 'configuration stores'): Pick<ConfigurationApi, 'listComponents'> {
  return {
    listComponents: (ctx) =>
      api.listComponents(ctx).catch((e: unknown) => {
        logger.warn(`metadata: ${what} left out: ${e instanceof Error ? e.message : String(e)}`);
        return [];
      }),
  };
}
