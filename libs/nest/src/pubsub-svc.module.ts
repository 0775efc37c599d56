// pubsub-svc: the pub/sub block served over the internal transport to the gateways of every app.
// The components are loaded once, unscoped (app id ''); component scopes and topic scopes are
// checked per call against the caller's app id carried in the call context, which is also the
// consumer identity of its subscriptions. Subscriptions are server streams consumed by the
// subscribing gateways, which settle each message on the same connection; this service never
// calls an app. On shutdown the transport ends every open subscription stream with a retryable
// error first (the block hands unsettled messages back to the broker and the gateways subscribe
// again), then the block closes its subscriptions and components.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap } from '@nestjs/common';
import { PUBSUB_API } from '@tessera/contracts';
import type { PubSubApi } from '@tessera/contracts';
import type { Logger } from '@tessera/observability';
import { PubSubTransportServer } from '@tessera/transport-pubsub';
import { PubSubModule } from './pubsub.module';
import { LOGGER } from './tokens';

export const PUBSUB_SVC_OPTIONS = Symbol.for('tessera.PubSubSvcOptions');

export interface PubSubSvcOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes: number;
}

@Injectable()
export class PubSubSvcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: PubSubTransportServer | undefined;
  port = 0;

  constructor(
    @Inject(PUBSUB_API) private readonly api: PubSubApi,
    @Inject(PUBSUB_SVC_OPTIONS) private readonly opts: PubSubSvcOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const log = this.logger.child({ scope: 'pubsub-svc.transport' });
    this.server = new PubSubTransportServer(this.api, {
      maxFrameBytes: this.opts.maxFrameBytes,
      onInternalError: (err, method) => log.error(`${method} failed`, { err: err instanceof Error ? err.message : String(err) }),
    });
    ({ port: this.port } = await this.server.listen(this.opts.host, this.opts.port));
    this.logger.info(`pubsub-svc listening on ${this.opts.host}:${this.port}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

@Module({})
export class PubSubSvcModule {
  static forRoot(opts: PubSubSvcOptions): DynamicModule {
    return {
      module: PubSubSvcModule,
      imports: [PubSubModule.inProcess()],
      providers: [{ provide: PUBSUB_SVC_OPTIONS, useValue: opts }, PubSubSvcServer],
      exports: [PubSubSvcServer],
    };
  }
}
