// state-svc: the state block served over the internal transport to the gateways of every app.
// The stores are loaded once, unscoped (app id ''); component scopes are checked per call
// against the caller's app id carried in the call context.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap } from '@nestjs/common';
import { STATE_API } from '@tessera/contracts';
import type { StateApi } from '@tessera/contracts';
import type { Logger } from '@tessera/observability';
import { StateTransportServer } from '@tessera/transport-state';
import { StateModule } from './state.module';
import { LOGGER } from './tokens';

export const STATE_SVC_OPTIONS = Symbol.for('tessera.StateSvcOptions');

export interface StateSvcOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes: number;
}

@Injectable()
export class StateSvcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: StateTransportServer | undefined;
  port = 0;

  constructor(
    @Inject(STATE_API) private readonly api: StateApi,
    @Inject(STATE_SVC_OPTIONS) private readonly opts: StateSvcOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const log = this.logger.child({ scope: 'state-svc.transport' });
    this.server = new StateTransportServer(this.api, {
      maxFrameBytes: this.opts.maxFrameBytes,
      onInternalError: (err, method) => log.error(`${method} failed`, { err: err instanceof Error ? err.message : String(err) }),
    });
    ({ port: this.port } = await this.server.listen(this.opts.host, this.opts.port));
    this.logger.info(`state-svc listening on ${this.opts.host}:${this.port}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

@Module({})
export class StateSvcModule {
  static forRoot(opts: StateSvcOptions): DynamicModule {
    return {
      module: StateSvcModule,
      imports: [StateModule.inProcess()],
      providers: [{ provide: STATE_SVC_OPTIONS, useValue: opts }, StateSvcServer],
      exports: [StateSvcServer],
    };
  }
}
