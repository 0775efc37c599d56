// secrets-svc: the secrets block served over the internal transport to the gateways of every app.
// The secret stores are started once, unscoped (app id ''); component scopes are checked per call
// against the caller's app id carried in the call context. Secret scopes belong to each app's
// gateway (SecretsModule.remote wraps the client with them); a --config given to secrets-svc
// itself applies its scopes to every caller on top.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap } from '@nestjs/common';
import { SECRETS_API } from '@tessera/contracts';
import type { SecretsApi } from '@tessera/contracts';
import type { Logger } from '@tessera/observability';
import { SecretsTransportServer } from '@tessera/transport-secrets';
import { SecretsModule } from './secrets.module';
import { LOGGER } from './tokens';

export const SECRETS_SVC_OPTIONS = Symbol.for('tessera.SecretsSvcOptions');

export interface SecretsSvcOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes: number;
}

@Injectable()
export class SecretsSvcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: SecretsTransportServer | undefined;
  port = 0;

  constructor(
    @Inject(SECRETS_API) private readonly api: SecretsApi,
    @Inject(SECRETS_SVC_OPTIONS) private readonly opts: SecretsSvcOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const log = this.logger.child({ scope: 'secrets-svc.transport' });
    this.server = new SecretsTransportServer(this.api, {
      maxFrameBytes: this.opts.maxFrameBytes,
      onInternalError: (err, method) => log.error(`${method} failed`, { err: err instanceof Error ? err.message : String(err) }),
    });
    ({ port: this.port } = await this.server.listen(this.opts.host, this.opts.port));
    this.logger.info(`secrets-svc listening on ${this.opts.host}:${this.port}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

@Module({})
export class SecretsSvcModule {
  static forRoot(opts: SecretsSvcOptions): DynamicModule {
    return {
      module: SecretsSvcModule,
      imports: [SecretsModule.inProcess()],
      providers: [{ provide: SECRETS_SVC_OPTIONS, useValue: opts }, SecretsSvcServer],
      exports: [SecretsSvcServer],
    };
  }
}
