// The state block, bound either in-process (StateBlock over the loaded stores) or remote
// (StateTransportClient to a state-svc). This module choice is the only place the mode is decided.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { STATE_API } from '@tessera/contracts';
import type { StateApi } from '@tessera/contracts';
import { StateBlock, StateStores, closeStateStores, loadStateStores } from '@tessera/block-state';
import type { Logger } from '@tessera/observability';
import { stateStoreFactory } from '@tessera/registry';
import { StateTransportClient } from '@tessera/transport-state';
import type { LoadedComponents } from './resources.module';
import { LOGGER, RESOURCES, STATE_STORES } from './tokens';

@Injectable()
class StateStoresCloser implements OnApplicationShutdown {
  constructor(@Inject(STATE_STORES) private readonly stores: StateStores) {}
  async onApplicationShutdown(): Promise<void> {
    await closeStateStores(this.stores);
  }
}

@Injectable()
class StateClientCloser implements OnApplicationShutdown {
  constructor(@Inject(STATE_API) private readonly client: StateTransportClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

@Module({})
export class StateModule {
  /** The state block runs in this process on the components from the resources. */
  static inProcess(): DynamicModule {
    return {
      module: StateModule,
      providers: [
        {
          provide: STATE_STORES,
          inject: [RESOURCES, LOGGER],
          useFactory: (res: LoadedComponents, logger: Logger) =>
            loadStateStores(
              res.components.filter((c) => c.type.startsWith('state.')),
              stateStoreFactory,
              res.appId,
              logger.child({ scope: 'runtime.blocks.state' }),
            ),
        },
        { provide: STATE_API, inject: [STATE_STORES], useFactory: (stores: StateStores): StateApi => new StateBlock(stores) },
        StateStoresCloser,
      ],
      exports: [STATE_API, STATE_STORES],
    };
  }

  /** A state API built outside this module (several apps of one process sharing one block). */
  static shared(api: StateApi): DynamicModule {
    return { module: StateModule, providers: [{ provide: STATE_API, useValue: api }], exports: [STATE_API] };
  }

  /** State calls go to a state-svc at `address` (host:port) over the internal transport. */
  static remote(address: string): DynamicModule {
    return {
      module: StateModule,
      providers: [
        { provide: STATE_API, useFactory: (): StateApi => new StateTransportClient(address) },
        StateClientCloser,
      ],
      exports: [STATE_API],
    };
  }
}
