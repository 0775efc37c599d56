// lock-svc: the lock block served over the internal transport to the gateways of every app. The
// stores are loaded once, unscoped (app id ''); component scopes are checked per call against the
// caller's app id carried in the call context, and keys are prefixed with it.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap } from '@nestjs/common';
import { LOCK_API } from '@tessera/contracts';
import type { LockApi } from '@tessera/contracts';
import type { Logger } from '@tessera/observability';
import { LockTransportServer } from '@tessera/transport-lock';
import { LockModule } from './lock.module';
import { LOGGER } from './tokens';

export const LOCK_SVC_OPTIONS = Symbol.for('tessera.LockSvcOptions');

export interface LockSvcOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes: number;
}

@Injectable()
export class LockSvcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: LockTransportServer | undefined;
  port = 0;

  constructor(
    @Inject(LOCK_API) private readonly api: LockApi,
    @Inject(LOCK_SVC_OPTIONS) private readonly opts: LockSvcOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const log = this.logger.child({ scope: 'lock-svc.transport' });
    this.server = new LockTransportServer(this.api, {
      maxFrameBytes: this.opts.maxFrameBytes,
      onInternalError: (err, method) => log.error(`${method} failed`, { err: err instanceof Error ? err.message : String(err) }),
    });
    ({ port: this.port } = await this.server.listen(this.opts.host, this.opts.port));
    this.logger.info(`lock-svc listening on ${this.opts.host}:${this.port}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

@Module({})
export class LockSvcModule {
  static forRoot(opts: LockSvcOptions): DynamicModule {
    return {
      module: LockSvcModule,
      imports: [LockModule.inProcess()],
      providers: [{ provide: LOCK_SVC_OPTIONS, useValue: opts }, LockSvcServer],
      exports: [LockSvcServer],
    };
  }
}
