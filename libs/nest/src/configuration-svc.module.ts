// configuration-svc: the configuration block served over the internal transport to the gateways
// of every app. The stores are loaded once, unscoped (app id ''); component scopes are checked per
// call against the caller's app id carried in the call context. Subscriptions are server streams
// consumed by the gateways; this service never calls an app. On shutdown the transport ends every
// open subscription stream with a retryable error first (the gateways subscribe again), then the
// block closes the stores.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap } from '@nestjs/common';
import { CONFIGURATION_API } from '@tessera/contracts';
import type { ConfigurationApi } from '@tessera/contracts';
import type { Logger } from '@tessera/observability';
import { ConfigurationTransportServer } from '@tessera/transport-configuration';
import { ConfigurationModule } from './configuration.module';
import { LOGGER } from './tokens';

export const CONFIGURATION_SVC_OPTIONS = Symbol.for('tessera.ConfigurationSvcOptions');

export interface ConfigurationSvcOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes: number;
}

@Injectable()
export class ConfigurationSvcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: ConfigurationTransportServer | undefined;
  port = 0;

  constructor(
    @Inject(CONFIGURATION_API) private readonly api: ConfigurationApi,
    @Inject(CONFIGURATION_SVC_OPTIONS) private readonly opts: ConfigurationSvcOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const log = this.logger.child({ scope: 'configuration-svc.transport' });
    this.server = new ConfigurationTransportServer(this.api, {
      maxFrameBytes: this.opts.maxFrameBytes,
      onInternalError: (err, method) => log.error(`${method} failed`, { err: err instanceof Error ? err.message : String(err) }),
    });
    ({ port: this.port } = await this.server.listen(this.opts.host, this.opts.port));
    this.logger.info(`configuration-svc listening on ${this.opts.host}:${this.port}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

@Module({})
export class ConfigurationSvcModule {
  static forRoot(opts: ConfigurationSvcOptions): DynamicModule {
    return {
      module: ConfigurationSvcModule,
      imports: [ConfigurationModule.inProcess()],
      providers: [{ provide: CONFIGURATION_SVC_OPTIONS, useValue: opts }, ConfigurationSvcServer],
      exports: [ConfigurationSvcServer],
    };
  }
}
