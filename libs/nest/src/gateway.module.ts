// The gateway of one app: the Dapr HTTP and gRPC edges over the block APIs, the metadata API and
// the lifecycle. The state module passed in decides in-process or remote; the gateway cannot tell.
import { Inject, Injectable, Module } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { INVOKE_API, METADATA_API, SECRETS_API, STATE_API } from '@tessera/contracts';
import type { InvokeApi, MetadataApi, SecretsApi, StateApi } from '@tessera/contracts';
import { MetadataBlock } from '@tessera/block-metadata';
import { createHttpEdge } from '@tessera/edge-http';
import { GrpcEdge } from '@tessera/edge-grpc';
import type { Logger } from '@tessera/observability';
import type { RuntimeConfig } from '@tessera/runtime-core';
import { AppHealthGate } from './app-health-gate.provider';
import { CONCRETE_APP_CHANNEL, InvokeModule } from './invoke.module';
import type { ConcreteAppChannel } from '@tessera/app-channel';
import { LifecycleService } from './lifecycle.service';
import { SecretsModule } from './secrets.module';
import { LockModule } from './lock.module';
import { LOCK_API } from '@tessera/contracts';
import type { LockApi } from '@tessera/contracts';
import { APP_CONFIGURATION_SUBSCRIPTIONS, CONFIGURATION_API } from '@tessera/contracts';
import type { AppConfigurationSubscriptions, ConfigurationApi } from '@tessera/contracts';
import { ConfigurationModule, configurationDeliveryProviders, listedOrSkipped } from './configuration.module';
import { BINDINGS_API } from '@tessera/contracts';
import type { BindingsApi } from '@tessera/contracts';
import { BindingsModule, bindingsDeliveryProviders, bindingsListedOrSkipped } from './bindings.module';
import { APP_STREAMING_SUBSCRIPTIONS, PUBSUB_API } from '@tessera/contracts';
import type { AppStreamingSubscriptions, PubSubApi } from '@tessera/contracts';
import { APP_PUBSUB_DELIVERY, PubSubModule, pubsubDeliveryProviders, subscriptionInfos } from './pubsub.module';
import type { AppPubSubDelivery, StreamingSubscriptions } from '@tessera/block-pubsub';
import { LOGGER, RUNTIME_CONFIG } from './tokens';
import { TESSERA_VERSION } from './version';

export interface ListenInfo {
  httpPort: number;
  grpcPort: number;
  host: string;
}

@Injectable()
export class EdgeServers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private http: FastifyInstance | undefined;
  private grpc: GrpcEdge | undefined;
  readonly listening: ListenInfo = { httpPort: 0, grpcPort: 0, host: '' };

  constructor(
    @Inject(RUNTIME_CONFIG) private readonly config: RuntimeConfig,
    @Inject(STATE_API) private readonly state: StateApi,
    @Inject(METADATA_API) private readonly metadata: MetadataApi,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(INVOKE_API) private readonly invoke: InvokeApi,
    @Inject(SECRETS_API) private readonly secrets: SecretsApi,
    @Inject(LOCK_API) private readonly lock: LockApi,
    @Inject(CONFIGURATION_API) private readonly configuration: ConfigurationApi,
    @Inject(APP_CONFIGURATION_SUBSCRIPTIONS) private readonly configurationSubscriptions: AppConfigurationSubscriptions,
    @Inject(BINDINGS_API) private readonly bindings: BindingsApi,
    @Inject(PUBSUB_API) private readonly pubsub: PubSubApi,
    @Inject(APP_STREAMING_SUBSCRIPTIONS) private readonly streamingSubscriptions: AppStreamingSubscriptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    const host = c.listenAddresses[0] ?? '127.0.0.1';
    const common = {
      appId: c.appId,
      namespace: c.namespace,
      apiToken: c.apiToken,
      maxBodySize: c.maxBodySizeBytes,
      enableApiLogging: c.enableApiLogging === true,
      state: this.state,
      metadata: this.metadata,
      lifecycle: this.lifecycle,
      invoke: this.invoke,
      secrets: this.secrets,
      lock: this.lock,
      configuration: this.configuration,
      configurationSubscriptions: this.configurationSubscriptions,
      bindings: this.bindings,
      pubsub: this.pubsub,
      streamingSubscriptions: this.streamingSubscriptions,
    };
    this.lifecycle.markComponentsReady();
    this.http = createHttpEdge({ ...common, logger: this.logger.child({ scope: 'runtime.http' }) });
    await this.http.listen({ host, port: c.daprHttpPort });
    const addr = this.http.server.address();
    this.listening.httpPort = typeof addr === 'object' && addr ? addr.port : c.daprHttpPort;
    this.listening.host = host;
    this.lifecycle.markReady('http-server');
    this.grpc = new GrpcEdge({ ...common, logger: this.logger.child({ scope: 'runtime.grpc' }) });
    this.listening.grpcPort = await this.grpc.listen(host, c.daprGrpcPort);
    this.lifecycle.markReady('grpc-server');
    this.logger.info(`Dapr HTTP API listening on ${host}:${this.listening.httpPort}, gRPC API on ${host}:${this.listening.grpcPort}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.http?.close(), this.grpc?.close()]);
  }
}

@Module({})
export class GatewayModule {
  /**
   * `secretsModule`: SecretsModule.inProcess() (default), .remote(address) or .shared(api).
   * `lockModule`: LockModule.inProcess() (default), .remote(address) or .shared(api).
   * `configurationModule`: ConfigurationModule.inProcess() (default), .remote(address) or .shared(api).
   * `pubsubModule`: PubSubModule.inProcess() (default), .remote(address) or .shared(api).
   * `bindingsModule`: BindingsModule.inProcess() (default), .remote(address) or .shared(api).
   */
  static forApp(
    stateModule: DynamicModule,
    secretsModule: DynamicModule = SecretsModule.inProcess(),
    lockModule: DynamicModule = LockModule.inProcess(),
    configurationModule: DynamicModule = ConfigurationModule.inProcess(),
    pubsubModule: DynamicModule = PubSubModule.inProcess(),
    bindingsModule: DynamicModule = BindingsModule.inProcess(),
  ): DynamicModule {
    return {
      module: GatewayModule,
      imports: [stateModule, InvokeModule.forApp(), secretsModule, lockModule, configurationModule, pubsubModule, bindingsModule],
      providers: [
        ...configurationDeliveryProviders(),
        ...bindingsDeliveryProviders(),
        ...pubsubDeliveryProviders(),
        AppHealthGate,
        {
          provide: METADATA_API,
          inject: [
            RUNTIME_CONFIG,
            STATE_API,
            CONCRETE_APP_CHANNEL,
            SECRETS_API,
            LOCK_API,
            CONFIGURATION_API,
            LOGGER,
            PUBSUB_API,
            BINDINGS_API,
            APP_PUBSUB_DELIVERY,
            APP_STREAMING_SUBSCRIPTIONS,
          ],
          useFactory: (
            config: RuntimeConfig,
            state: StateApi,
            channel: ConcreteAppChannel | null,
            secrets: SecretsApi,
            lock: LockApi,
            configuration: ConfigurationApi,
            logger: Logger,
            pubsub: PubSubApi,
            bindings: BindingsApi,
            delivery: AppPubSubDelivery | null,
            streaming: StreamingSubscriptions,
          ): MetadataApi => {
            const hc = config.appHealthCheck;
            return new MetadataBlock({
              appId: config.appId,
              runtimeVersion: TESSERA_VERSION,
              sources: [
                state,
                secrets,
                lock,
                listedOrSkipped(configuration, logger),
                listedOrSkipped(pubsub, logger, 'pub/sub components'),
                bindingsListedOrSkipped(bindings, logger),
              ],
              subscriptions: () => subscriptionInfos(delivery, streaming),
              appHealthy: channel && hc.enabled ? () => channel.healthy() : undefined,
              appConnection: config.appPort
                ? {
                    port: config.appPort,
                    protocol: config.appProtocol,
                    channelAddress: config.appChannelAddress,
                    maxConcurrency: config.appMaxConcurrency ?? -1,
                    health: hc.enabled
                      ? {
                          healthCheckPath: hc.path,
                          healthProbeInterval: `${hc.probeIntervalMs / 1000}s`,
                          healthProbeTimeout: `${hc.probeTimeoutMs}ms`,
                          healthThreshold: hc.threshold,
                        }
                      : undefined,
                  }
                : undefined,
            });
          },
        },
        EdgeServers,
      ],
      exports: [EdgeServers],
    };
  }
}
