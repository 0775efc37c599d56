// The publish and subscribe block, bound either in-process (PubSubBlock over the pub/sub
// components of the resources) or remote (PubSubTransportClient to a pubsub-svc). This module
// choice is the only place the mode is decided. In-process, each component call runs under the
// component's outbound resiliency policy.
//
// pubsubDeliveryProviders(): the gateway's subscriber (AppPubSubDelivery), which consumes the
// PubSubApi's subscription streams, whichever module bound it, and delivers to the app over the
// app channel under the component's inbound resiliency policy, once the app channel is ready.
// Only a gateway has an app, so only GatewayModule adds these.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_STREAMING_SUBSCRIPTIONS, PUBSUB_API } from '@tessera/contracts';
import type { AppChannel, PubSubApi, SubscriptionInfo } from '@tessera/contracts';
import { AppPubSubDelivery, PubSubBlock, PubSubComponents, StreamingSubscriptions, closePubSubs, loadPubSubs, subscriptionsFromResources } from '@tessera/block-pubsub';
import type { Logger } from '@tessera/observability';
import { pubSubFactory } from '@tessera/registry';
import { ResiliencyRunner, parseResiliency } from '@tessera/runtime-core';
import type { RuntimeConfig } from '@tessera/runtime-core';
import { PubSubTransportClient } from '@tessera/transport-pubsub';
import { CONCRETE_APP_CHANNEL } from './invoke.module';
import { LifecycleService } from './lifecycle.service';
import type { LoadedComponents } from './resources.module';
import { LOGGER, RESOURCES, RUNTIME_CONFIG } from './tokens';

export const PUBSUB_COMPONENTS = Symbol.for('tessera.PubSubComponents');
export const APP_PUBSUB_DELIVERY = Symbol.for('tessera.AppPubSubDelivery');
const PUBSUB_CLIENT = Symbol.for('tessera.PubSubTransportClient');
const BLOCK = Symbol.for('tessera.PubSubBlockAndComponents');

function resiliencyFor(res: LoadedComponents, log: Logger): ResiliencyRunner {
  return new ResiliencyRunner(parseResiliency(res.resources?.resiliencies ?? [], res.appId), {
    onEvent: (e) => log.debug(`resiliency ${e.kind}`, { target: e.target, attempt: e.attempt }),
  });
}

/** Loads the pub/sub components of `res` and builds the block over them. */
export async function createPubSubBlock(res: LoadedComponents, logger: Logger, maxMessageBytes?: number): Promise<{ api: PubSubBlock; components: PubSubComponents }> {
  const log = logger.child({ scope: 'runtime.blocks.pubsub' });
  const components = await loadPubSubs(res.components.filter((c) => c.type.startsWith('pubsub.')), pubSubFactory, res.appId, log);
  const runner = resiliencyFor(res, log);
  const api = new PubSubBlock(components, { policyFor: (e) => runner.forComponent(e.name, 'outbound', e.type), logger: log, maxMessageBytes });
  return { api, components };
}

/** Ends the block's subscription streams, then closes its components. */
export async function closePubSubBlock(b: { api: PubSubBlock; components: PubSubComponents }): Promise<void> {
  await b.api.closeSubscriptions();
  await closePubSubs(b.components);
}

@Injectable()
class PubSubBlockCloser implements OnApplicationShutdown {
  constructor(@Inject(BLOCK) private readonly block: { api: PubSubBlock; components: PubSubComponents }) {}
  async onApplicationShutdown(): Promise<void> {
    await closePubSubBlock(this.block);
  }
}

@Injectable()
class PubSubClientCloser implements OnApplicationShutdown {
  constructor(@Inject(PUBSUB_CLIENT) private readonly client: PubSubTransportClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

@Module({})
export class PubSubModule {
  /** The pub/sub block runs in this process on the pub/sub components of the resources. */
  static inProcess(): DynamicModule {
    return {
      module: PubSubModule,
      providers: [
        {
          provide: BLOCK,
          inject: [RESOURCES, LOGGER, RUNTIME_CONFIG],
          useFactory: (res: LoadedComponents, logger: Logger, config: RuntimeConfig) => createPubSubBlock(res, logger, config.maxBodySizeBytes),
        },
        { provide: PUBSUB_COMPONENTS, inject: [BLOCK], useFactory: (b: { components: PubSubComponents }) => b.components },
        { provide: PUBSUB_API, inject: [BLOCK], useFactory: (b: { api: PubSubApi }): PubSubApi => b.api },
        PubSubBlockCloser,
      ],
      exports: [PUBSUB_API, PUBSUB_COMPONENTS],
    };
  }

  /** A pub/sub API built outside this module (several apps of one process sharing one block). */
  static shared(api: PubSubApi): DynamicModule {
    return { module: PubSubModule, providers: [{ provide: PUBSUB_API, useValue: api }], exports: [PUBSUB_API] };
  }

  /** Pub/sub calls go to a pubsub-svc at `address` (host:port) over the internal transport. */
  static remote(address: string): DynamicModule {
    return {
      module: PubSubModule,
      providers: [
        { provide: PUBSUB_CLIENT, useFactory: () => new PubSubTransportClient(address) },
        { provide: PUBSUB_API, useExisting: PUBSUB_CLIENT },
        PubSubClientCloser,
      ],
      exports: [PUBSUB_API],
    };
  }
}

/** Starts the app's subscriptions once the app channel is ready; stops them before shutdown. */
@Injectable()
class PubSubDeliveryLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(APP_PUBSUB_DELIVERY) private readonly delivery: AppPubSubDelivery | null,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
    @Inject(RUNTIME_CONFIG) private readonly config: RuntimeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const d = this.delivery;
    if (d === null) return;
    const ready = this.config.appPort !== undefined ? this.lifecycle.whenReady('app-channel') : Promise.resolve();
    void ready.then(() =>
      d.start().catch((e: unknown) => this.logger.error(`starting the app's subscriptions failed: ${e instanceof Error ? e.message : String(e)}`)),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.delivery?.close();
  }
}

/** The gateway's subscriber: Subscription resources + the app's own, delivered over the app channel. */
export function pubsubDeliveryProviders(): Provider[] {
  return [
    {
      provide: APP_PUBSUB_DELIVERY,
      inject: [PUBSUB_API, RESOURCES, RUNTIME_CONFIG, LOGGER, { token: CONCRETE_APP_CHANNEL, optional: true }],
      useFactory: (api: PubSubApi, res: LoadedComponents, config: RuntimeConfig, logger: Logger, channel: AppChannel | null | undefined): AppPubSubDelivery | null => {
        const log = logger.child({ scope: 'runtime.blocks.pubsub' });
        const declarative = subscriptionsFromResources(res.resources?.subscriptions ?? [], config.appId, log);
        if (channel === null || channel === undefined) return null;
        const runner = resiliencyFor(res, log);
        return new AppPubSubDelivery({
          api,
          channel: channel ?? undefined,
          appId: config.appId,
          namespace: config.namespace,
          declarative,
          logger: log,
          inboundPolicy: (pubsub) => runner.forComponent(pubsub, 'inbound', 'pubsub'),
        });
      },
    },
    {
      provide: APP_STREAMING_SUBSCRIPTIONS,
      inject: [PUBSUB_API, APP_PUBSUB_DELIVERY, LOGGER],
      useFactory: (api: PubSubApi, delivery: AppPubSubDelivery | null, logger: Logger): StreamingSubscriptions =>
        new StreamingSubscriptions({
          api,
          declared: (pubsub, topic) => delivery?.subscriptions().some((s) => s.spec.pubsubName === pubsub && s.spec.topic === topic) ?? false,
          logger: logger.child({ scope: 'runtime.blocks.pubsub' }),
        }),
    },
    PubSubDeliveryLifecycle,
  ];
}

/** What the metadata API lists: the delivered subscriptions, then the streaming ones. */
export function subscriptionInfos(delivery: AppPubSubDelivery | null, streaming: StreamingSubscriptions): SubscriptionInfo[] {
  const out: SubscriptionInfo[] = [];
  for (const { spec } of delivery?.subscriptions() ?? []) {
    const rules = spec.rules.map((r) => ({ match: r.match, path: r.path }));
    if (spec.defaultPath !== undefined) rules.push({ match: '', path: spec.defaultPath });
    out.push({
      pubsubname: spec.pubsubName,
      topic: spec.topic,
      metadata: { ...spec.metadata },
      rules,
      deadLetterTopic: spec.deadLetterTopic ?? '',
      type: spec.source === 'declarative' ? 'DECLARATIVE' : 'PROGRAMMATIC',
    });
  }
  for (const s of streaming.active()) {
    out.push({ pubsubname: s.pubsubName, topic: s.topic, metadata: { ...s.metadata }, rules: [], deadLetterTopic: s.deadLetterTopic ?? '', type: 'STREAMING' });
  }
  return out;
}
