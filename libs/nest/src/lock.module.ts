// The distributed lock block, bound either in-process (LockBlock over the lock stores of the
// resources) or remote (LockTransportClient to a lock-svc). This module choice is the only place
// the mode is decided. In-process, each component call runs under the component's outbound
// resiliency policy (Resiliency resources, `DefaultLockComponentOutbound…` defaults included).
import { Inject, Injectable, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { LOCK_API } from '@tessera/contracts';
import type { LockApi } from '@tessera/contracts';
import { LockBlock, LockStores, closeLockStores, loadLockStores } from '@tessera/block-lock';
import type { Logger } from '@tessera/observability';
import { lockStoreFactory } from '@tessera/registry';
import { ResiliencyRunner, parseResiliency } from '@tessera/runtime-core';
import { LockTransportClient } from '@tessera/transport-lock';
import type { LoadedComponents } from './resources.module';
import { LOGGER, RESOURCES } from './tokens';

export const LOCK_STORES = Symbol.for('tessera.LockStores');
const LOCK_CLIENT = Symbol.for('tessera.LockTransportClient');

/** Loads the lock stores of `res` and builds the block over them, with resiliency per component. */
export async function createLockBlock(res: LoadedComponents, logger: Logger): Promise<{ api: LockBlock; stores: LockStores }> {
  const log = logger.child({ scope: 'runtime.blocks.lock' });
  const stores = await loadLockStores(res.components.filter((c) => c.type.startsWith('lock.')), lockStoreFactory, res.appId, log);
  const runner = new ResiliencyRunner(parseResiliency(res.resources?.resiliencies ?? [], res.appId), {
    onEvent: (e) => log.debug(`resiliency ${e.kind}`, { target: e.target, attempt: e.attempt }),
  });
  const api = new LockBlock(stores, { policyFor: (e) => runner.forComponent(e.name, 'outbound', e.type), logger: log });
  return { api, stores };
}

@Injectable()
class LockStoresCloser implements OnApplicationShutdown {
  constructor(@Inject(LOCK_STORES) private readonly stores: LockStores) {}
  async onApplicationShutdown(): Promise<void> {
    await closeLockStores(this.stores);
  }
}

@Injectable()
class LockClientCloser implements OnApplicationShutdown {
  constructor(@Inject(LOCK_CLIENT) private readonly client: LockTransportClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

@Module({})
export class LockModule {
  /** The lock block runs in this process on the lock stores from the resources. */
  static inProcess(): DynamicModule {
    const BLOCK = Symbol('tessera.LockBlockAndStores');
    return {
      module: LockModule,
      providers: [
        { provide: BLOCK, inject: [RESOURCES, LOGGER], useFactory: (res: LoadedComponents, logger: Logger) => createLockBlock(res, logger) },
        { provide: LOCK_STORES, inject: [BLOCK], useFactory: (b: { stores: LockStores }) => b.stores },
        { provide: LOCK_API, inject: [BLOCK], useFactory: (b: { api: LockApi }): LockApi => b.api },
        LockStoresCloser,
      ],
      exports: [LOCK_API, LOCK_STORES],
    };
  }

  /** A lock API built outside this module (several apps of one process sharing one block). */
  static shared(api: LockApi): DynamicModule {
    return { module: LockModule, providers: [{ provide: LOCK_API, useValue: api }], exports: [LOCK_API] };
  }

  /** Lock calls go to a lock-svc at `address` (host:port) over the internal transport. */
  static remote(address: string): DynamicModule {
    return {
      module: LockModule,
      providers: [
        { provide: LOCK_CLIENT, useFactory: () => new LockTransportClient(address) },
        { provide: LOCK_API, useExisting: LOCK_CLIENT },
        LockClientCloser,
      ],
      exports: [LOCK_API],
    };
  }
}
