// The secrets block, bound either in-process (SecretsBlock over the secret stores the resources
// started) or remote (SecretsTransportClient to a secrets-svc). This module choice is the only
// place the mode is decided. Secret scopes come from this app's Configuration (--config): the
// in-process block applies them itself; a remote or shared block is wrapped with them, since a
// secrets-svc serves many apps and knows none of their Configurations.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { SECRETS_API } from '@tessera/contracts';
import type { SecretsApi } from '@tessera/contracts';
import { SecretsBlock, parseSecretScopes, withSecretScopes } from '@tessera/block-secrets';
import { SecretsTransportClient } from '@tessera/transport-secrets';
import type { LoadedComponents } from './resources.module';
import { RESOURCES } from './tokens';

const SECRETS_CLIENT = Symbol.for('tessera.SecretsTransportClient');

@Injectable()
class SecretsClientCloser implements OnApplicationShutdown {
  constructor(@Inject(SECRETS_CLIENT) private readonly client: SecretsTransportClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

@Module({})
export class SecretsModule {
  /** The secrets block runs in this process on the secret stores from the resources. */
  static inProcess(): DynamicModule {
    return {
      module: SecretsModule,
      providers: [
        {
          provide: SECRETS_API,
          inject: [RESOURCES],
          useFactory: (res: LoadedComponents): SecretsApi => new SecretsBlock(res.secretStores, parseSecretScopes(res.configurations)),
        },
      ],
      exports: [SECRETS_API],
    };
  }

  /** A secrets API built outside this module (several apps of one process sharing one block). */
  static shared(api: SecretsApi): DynamicModule {
    return {
      module: SecretsModule,
      providers: [
        { provide: SECRETS_API, inject: [RESOURCES], useFactory: (res: LoadedComponents): SecretsApi => withSecretScopes(api, parseSecretScopes(res.configurations)) },
      ],
      exports: [SECRETS_API],
    };
  }

  /** Secrets calls go to a secrets-svc at `address` (host:port) over the internal transport. */
  static remote(address: string): DynamicModule {
    return {
      module: SecretsModule,
      providers: [
        { provide: SECRETS_CLIENT, useFactory: () => new SecretsTransportClient(address) },
        {
          provide: SECRETS_API,
          inject: [SECRETS_CLIENT, RESOURCES],
          useFactory: (client: SecretsTransportClient, res: LoadedComponents): SecretsApi => withSecretScopes(client, parseSecretScopes(res.configurations)),
        },
        SecretsClientCloser,
      ],
      exports: [SECRETS_API],
    };
  }
}
