// The Nest provider of the app health gate (app-health-gate.ts): built with the gateway's
// deliveries, before any bootstrap hook starts them, so they are paused from the start while the
// app is not healthy yet. No checker (health checks off) = nothing to do.
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { ConcreteAppChannel } from '@tessera/app-channel';
import type { Logger } from '@tessera/observability';
import { gateOnAppHealth } from './app-health-gate';
import type { Pausable } from './app-health-gate';
import { APP_BINDINGS_DELIVERY } from './bindings.module';
import { CONCRETE_APP_CHANNEL } from './invoke.module';
import { APP_PUBSUB_DELIVERY } from './pubsub.module';
import { LOGGER } from './tokens';

@Injectable()
export class AppHealthGate implements OnApplicationShutdown {
  private readonly off: (() => void) | undefined;

  constructor(
    @Inject(LOGGER) logger: Logger,
    @Optional() @Inject(APP_PUBSUB_DELIVERY) subscriptions: Pausable | null,
    @Optional() @Inject(APP_BINDINGS_DELIVERY) bindings: Pausable | null,
    @Optional() @Inject(CONCRETE_APP_CHANNEL) channel: ConcreteAppChannel | null,
  ) {
    const checker = channel?.healthChecker;
    if (checker === undefined) return;
    this.off = gateOnAppHealth(checker, { subscriptions: subscriptions ?? undefined, bindings: bindings ?? undefined }, logger.child({ scope: 'runtime.apphealth' }));
  }

  onApplicationShutdown(): void {
    this.off?.();
  }
}
