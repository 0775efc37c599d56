// bindings-svc: the bindings block served over the internal transport to the gateways of every
// app. The bindings are loaded once, unscoped (app id ''); component scopes are checked per call
// against the caller's app id carried in the call context. Input bindings are read as server
// streams opened by the gateways of the apps they are scoped to, which settle each event on the
// same connection; this service never calls an app. On shutdown the transport ends every open
// reader stream with a retryable error first (unsettled events are failed back to their
// components and the gateways read again), then the block stops its readers and closes the bindings.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap } from '@nestjs/common';
import { BINDINGS_API } from '@tessera/contracts';
import type { BindingsApi } from '@tessera/contracts';
import type { Logger } from '@tessera/observability';
import { BindingsTransportServer } from '@tessera/transport-bindings';
import { BindingsModule } from './bindings.module';
import { LOGGER } from './tokens';

export const BINDINGS_SVC_OPTIONS = Symbol.for('tessera.BindingsSvcOptions');

export interface BindingsSvcOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes: number;
}

@Injectable()
export class BindingsSvcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: BindingsTransportServer | undefined;
  port = 0;

  constructor(
    @Inject(BINDINGS_API) private readonly api: BindingsApi,
    @Inject(BINDINGS_SVC_OPTIONS) private readonly opts: BindingsSvcOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const log = this.logger.child({ scope: 'bindings-svc.transport' });
    this.server = new BindingsTransportServer(this.api, {
      maxFrameBytes: this.opts.maxFrameBytes,
      onInternalError: (err, method) => log.error(`${method} failed`, { err: err instanceof Error ? err.message : String(err) }),
    });
    ({ port: this.port } = await this.server.listen(this.opts.host, this.opts.port));
    this.logger.info(`bindings-svc listening on ${this.opts.host}:${this.port}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

@Module({})
export class BindingsSvcModule {
  static forRoot(opts: BindingsSvcOptions): DynamicModule {
    return {
      module: BindingsSvcModule,
      imports: [BindingsModule.inProcess()],
      providers: [{ provide: BINDINGS_SVC_OPTIONS, useValue: opts }, BindingsSvcServer],
      exports: [BindingsSvcServer],
    };
  }
}
