// Builds the app channel for the configured --app-protocol, with its health checker when app
// health checks are enabled. The checker is created but not started: the runtime starts it
// (`channel.healthChecker?.start()`) once waitForApp() has seen the app port open, and
// `close()` stops it. Until its first successful probe the app counts as unhealthy (as daprd).
import type { Logger } from '@tessera/observability';
import { AppHealthChecker, type AppHealthCheckOptions } from './app-health-checker';
import { GrpcAppChannel } from './grpc-app-channel';
import { HttpAppChannel } from './http-app-channel';

export type AppChannelProtocol = 'http' | 'https' | 'h2c' | 'grpc' | 'grpcs';

export interface CreateAppChannelOptions {
  readonly appId: string;
  readonly protocol: AppChannelProtocol;
  /** --app-channel-address. */
  readonly host: string;
  readonly port: number;
  /** --app-max-concurrency; undefined or < 1 = unlimited. */
  readonly maxConcurrency?: number;
  /** APP_API_TOKEN. */
  readonly appApiToken?: string;
  /** RuntimeConfig.appHealthCheck; no checker unless `enabled`. */
  readonly healthCheck?: AppHealthCheckOptions;
  /** gRPC apps: max message size both ways (--max-body-size); default 4 MiB. */
  readonly maxMessageBytes?: number;
  readonly logger?: Logger;
}

/** Either concrete channel; narrow on `protocol` (or instanceof) to reach GrpcAppChannel.callRaw. */
export type ConcreteAppChannel = HttpAppChannel | GrpcAppChannel;

export function createAppChannel(opts: CreateAppChannelOptions): ConcreteAppChannel {
  const hc = opts.healthCheck;
  const logger = opts.logger?.child({ scope: 'runtime.channels.app' });
  const checkerLogger = opts.logger?.child({ scope: 'runtime.apphealth' });
  const base = {
    appId: opts.appId,
    host: opts.host,
    port: opts.port,
    maxConcurrency: opts.maxConcurrency,
    appApiToken: opts.appApiToken,
    logger,
  };
  if (opts.protocol === 'grpc' || opts.protocol === 'grpcs') {
    // The probe closes over `channel`, initialised before the checker can be started.
    const healthChecker: AppHealthChecker | undefined = hc?.enabled ? new AppHealthChecker((signal): Promise<boolean> => channel.probe(signal), hc, checkerLogger) : undefined;
    const channel: GrpcAppChannel = new GrpcAppChannel({ ...base, protocol: opts.protocol, healthChecker, maxMessageBytes: opts.maxMessageBytes });
    return channel;
  }
  const healthChecker: AppHealthChecker | undefined = hc?.enabled ? new AppHealthChecker((signal): Promise<boolean> => channel.probe(hc.path, signal), hc, checkerLogger) : undefined;
  const channel: HttpAppChannel = new HttpAppChannel({ ...base, protocol: opts.protocol, healthChecker });
  return channel;
}
