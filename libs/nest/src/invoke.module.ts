// Service invocation of one gateway: the name resolver (this gateway registers its internal
// address, others resolve it), the internal server other gateways call (CallLocal), the client
// pool to other gateways, the app channel (when --app-port is set), resiliency policies from the
// Resiliency resources, access control from the Configuration, HTTPEndpoint targets, and the
// InvokeBlock that ties them together.
import { Inject, Injectable, Module, Optional } from '@nestjs/common';
import type { BeforeApplicationShutdown, DynamicModule, OnApplicationBootstrap } from '@nestjs/common';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { INVOKE_API, LOCAL_INVOKE_API } from '@tessera/contracts';
import type { AppChannel, LocalInvokeApi } from '@tessera/contracts';
import { createAppChannel, waitForApp } from '@tessera/app-channel';
import type { ConcreteAppChannel } from '@tessera/app-channel';
import { InvokeBlock } from '@tessera/block-invoke';
import type { HttpEndpointDef, InvokePolicies } from '@tessera/block-invoke';
import type { Logger } from '@tessera/observability';
import { nameResolverFactory } from '@tessera/registry';
import { NAME_RESOLUTION_DB_FILE, getField, isYamlMap, nameResolutionSpec } from '@tessera/runtime-core';
import type { RawResource, RuntimeConfig } from '@tessera/runtime-core';
import type { NameResolver } from '@tessera/spi';
import { InvokeTransportClient, InvokeTransportServer } from '@tessera/transport-invoke';
import { HttpUrlInvoker, ProxyingAppChannel } from './app-channel.adapter';
import { LifecycleService } from './lifecycle.service';
import type { LoadedComponents } from './resources.module';
import { accessCheckFor, policiesFor } from './policies';
import { LOGGER, RESOURCES, RUNTIME_CONFIG } from './tokens';

export const NAME_RESOLVER = Symbol.for('tessera.NameResolver');
export const CONCRETE_APP_CHANNEL = Symbol.for('tessera.ConcreteAppChannel');
const INVOKE_CLIENT = Symbol.for('tessera.InvokeTransportClient');
const URL_INVOKER = Symbol.for('tessera.HttpUrlInvoker');

async function createResolver(res: LoadedComponents, config: RuntimeConfig, logger: Logger): Promise<NameResolver> {
  let spec = nameResolutionSpec(res.configurations, config);
  if (spec.component === 'mdns') {
    logger.warn('nameResolution mdns is not available in Tessera; using sqlite on this machine instead (same no-setup behaviour)');
    spec = { component: 'sqlite', version: '', metadata: { connectionString: join(config.tesseraHome, NAME_RESOLUTION_DB_FILE) } };
  }
  const factory = nameResolverFactory(spec.component, spec.version);
  if (!factory) throw new Error(`--config: spec.nameResolution.component: unknown name resolver "${spec.component}"; known: sqlite, kubernetes`);
  const resolver = factory({ name: 'nameresolution', type: `nameresolution.${spec.component}`, version: spec.version || 'v1', properties: spec.metadata, appId: config.appId });
  await resolver.init();
  return resolver;
}

/**
 * This host's IP for X-Forwarded-For / Forwarded, as daprd's utils.GetHostAddress: env
 * DAPR_HOST_IP, else the first non-loopback IPv4 address; undefined when there is none.
 */
export function hostAddress(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env['DAPR_HOST_IP'];
  if (fromEnv) return fromEnv;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

function httpEndpoints(resources: readonly RawResource[]): Map<string, HttpEndpointDef> {
  const out = new Map<string, HttpEndpointDef>();
  for (const r of resources) {
    const spec = isYamlMap(r.spec) ? r.spec : {};
    const baseUrl = getField(spec, 'baseUrl');
    if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) {
      throw new Error(`${r.file}: HTTPEndpoint "${r.name}": spec.baseUrl: expected an http(s) URL, got ${JSON.stringify(baseUrl)}`);
    }
    const headers: Record<string, string> = {};
    const list = getField(spec, 'headers');
    if (Array.isArray(list)) {
      for (const h of list) {
        if (!isYamlMap(h)) continue;
        const name = getField(h, 'name');
        const value = getField(h, 'value');
        if (typeof name === 'string' && value !== undefined && value !== null) headers[name] = String(value);
      }
    }
    out.set(r.name, { name: r.name, baseUrl, headers });
  }
  return out;
}

/** Starts the internal server, registers with name resolution, waits for the app. */
@Injectable()
export class InvokeServers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: InvokeTransportServer | undefined;
  private readonly waiting = new AbortController();
  internalPort = 0;

  constructor(
    @Inject(RUNTIME_CONFIG) private readonly config: RuntimeConfig,
    @Inject(LOCAL_INVOKE_API) private readonly local: LocalInvokeApi,
    @Inject(NAME_RESOLVER) private readonly resolver: NameResolver,
    @Inject(INVOKE_CLIENT) private readonly client: InvokeTransportClient,
    @Inject(URL_INVOKER) private readonly urls: HttpUrlInvoker,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(CONCRETE_APP_CHANNEL) private readonly channel: ConcreteAppChannel | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    const host = c.listenAddresses[0] ?? '127.0.0.1';
    const log = this.logger.child({ scope: 'runtime.invoke' });
    this.server = new InvokeTransportServer(this.local, {
      onInternalError: (err, method) => log.error(`${method} failed`, { err: err instanceof Error ? err.message : String(err) }),
    });
    ({ port: this.internalPort } = await this.server.listen(host, c.daprInternalGrpcPort));
    if (c.appId) {
      const advertised = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      await this.resolver.register({ appId: c.appId, namespace: c.namespace, address: `${advertised}:${this.internalPort}` });
    }
    const channel = this.channel;
    if (channel && c.appPort !== undefined) {
      this.lifecycle.addPending('app-channel');
      const port = c.appPort;
      void waitForApp(c.appChannelAddress, port, {
        signal: this.waiting.signal,
        onWaiting: () => log.info(`waiting for the app on port ${port}`),
      }).then(
        () => {
          channel.healthChecker?.start();
          this.lifecycle.markReady('app-channel');
          log.info(`app channel connected to ${c.appChannelAddress}:${port} (${c.appProtocol})`);
        },
        () => undefined,
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.waiting.abort();
    await this.resolver.unregister().catch(() => undefined);
    await this.server?.close(1000);
    await Promise.allSettled([this.client.close(), this.urls.close(), this.channel?.close(), this.resolver.close()]);
  }
}

@Module({})
export class InvokeModule {
  static forApp(): DynamicModule {
    return {
      module: InvokeModule,
      providers: [
        {
          provide: NAME_RESOLVER,
          inject: [RESOURCES, RUNTIME_CONFIG, LOGGER],
          useFactory: (res: LoadedComponents, config: RuntimeConfig, logger: Logger) => createResolver(res, config, logger),
        },
        {
          provide: CONCRETE_APP_CHANNEL,
          inject: [RUNTIME_CONFIG, LOGGER],
          useFactory: (c: RuntimeConfig, logger: Logger): ConcreteAppChannel | null =>
            c.appPort === undefined
              ? null
              : createAppChannel({
                  appId: c.appId,
                  protocol: c.appProtocol,
                  host: c.appChannelAddress,
                  port: c.appPort,
                  maxConcurrency: c.appMaxConcurrency,
                  appApiToken: c.appApiToken,
                  healthCheck: c.appHealthCheck,
                  maxMessageBytes: c.maxBodySizeBytes,
                  logger,
                }),
        },
        { provide: INVOKE_CLIENT, useFactory: () => new InvokeTransportClient() },
        { provide: URL_INVOKER, useFactory: () => new HttpUrlInvoker() },
        {
          provide: InvokeBlock,
          inject: [RUNTIME_CONFIG, RESOURCES, NAME_RESOLVER, INVOKE_CLIENT, URL_INVOKER, CONCRETE_APP_CHANNEL, LOGGER],
          useFactory: (
            c: RuntimeConfig,
            res: LoadedComponents,
            resolver: NameResolver,
            client: InvokeTransportClient,
            urls: HttpUrlInvoker,
            channel: ConcreteAppChannel | null,
            logger: Logger,
          ): InvokeBlock => {
            const policies: InvokePolicies = policiesFor(res, c, logger);
            const appChannel: AppChannel | undefined = channel ? new ProxyingAppChannel(channel) : undefined;
            return new InvokeBlock({
              appId: c.appId,
              namespace: c.namespace,
              resolver,
              remote: {
                callLocal: (address, req, ctx, targetAppId) => client.callLocal(address, req, ctx, targetAppId),
                proxyStream: (address, req, input, ctx, targetAppId) => client.proxyStream(address, req, input, ctx, targetAppId),
              },
              urls,
              policies,
              appChannel,
              accessCheck: accessCheckFor(res, c),
              httpEndpoints: httpEndpoints(res.resources?.httpEndpoints ?? []),
              hostAddress: hostAddress(),
              hostName: hostname(),
            });
          },
        },
        { provide: INVOKE_API, useExisting: InvokeBlock },
        { provide: LOCAL_INVOKE_API, useExisting: InvokeBlock },
        InvokeServers,
      ],
      exports: [INVOKE_API, LOCAL_INVOKE_API, InvokeServers, CONCRETE_APP_CHANNEL],
    };
  }
}
