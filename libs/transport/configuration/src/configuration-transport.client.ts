// ConfigurationApi over the internal framed transport: what the gateway holds in split mode
// instead of the configuration block. It fails exactly as the block would (the server sends every
// ApiError field back), and its own failures read like the block's: the operation's Dapr code,
// gRPC UNAVAILABLE, "…: configuration-svc at host:port is unreachable: <reason>", retryable.
//
// subscribe() is a server stream (transport-core's FramedClient.stream): the first item carries
// the id, the next ones the changes; leaving the loop cancels the subscription in the service;
// a configuration-svc that goes away (crash, restart, shutdown) makes the iterator throw a
// retryable UNAVAILABLE error after the items already received, so the consumer can subscribe
// again. Connection handling (one TCP connection, reconnect with backoff) is FramedClient's.
import type {
  CallContext,
  ConfigurationApi,
  GetConfigurationRequest,
  GetConfigurationResponse,
  ListComponentsResponse,
  RegisteredComponent,
  SubscribeConfigurationRequest,
  SubscribeConfigurationResponse,
  UnsubscribeConfigurationRequest,
  UnsubscribeConfigurationResponse,
} from '@tessera/contracts';
import { FramedClient } from '@tessera/transport-core';
import type { FramedClientOptions } from '@tessera/transport-core';
import { CONFIGURATION_METHODS, CONFIGURATION_SERVICE, LIST_COMPONENTS_REQUEST } from './configuration-methods';

/**
 * connectTimeoutMs (default 2000), reconnectBackoffMs { initial 50, max 1000 }, maxFrameBytes
 * (default 64 MiB, keep equal to the server's), keepAliveMs (default 10 s), streamWindow
 * (default 64 changes buffered per subscription before the service waits).
 */
export type ConfigurationTransportClientOptions = FramedClientOptions;

export class ConfigurationTransportClient implements ConfigurationApi {
  private readonly t: FramedClient;

  constructor(
    readonly address: string,
    opts: ConfigurationTransportClientOptions = {},
  ) {
    this.t = new FramedClient(address, CONFIGURATION_SERVICE, opts);
  }

  get(req: GetConfigurationRequest, ctx: CallContext): Promise<GetConfigurationResponse> {
    return this.t.call(CONFIGURATION_METHODS.get, req, ctx);
  }

  subscribe(req: SubscribeConfigurationRequest, ctx: CallContext): AsyncIterable<SubscribeConfigurationResponse> {
    return this.t.stream(CONFIGURATION_METHODS.subscribe, req, ctx);
  }

  unsubscribe(req: UnsubscribeConfigurationRequest, ctx: CallContext): Promise<UnsubscribeConfigurationResponse> {
    return this.t.call(CONFIGURATION_METHODS.unsubscribe, req, ctx);
  }

  listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.t.call(CONFIGURATION_METHODS.listComponents, LIST_COMPONENTS_REQUEST, ctx).then(componentsOf);
  }

  /** Opens the connection now (readiness checks, warm-up); rejects with an UNAVAILABLE ApiError. */
  connect(): Promise<void> {
    return this.t.connect();
  }

  /** Fails calls and streams in flight and closes the connection; later calls fail at once. */
  close(): Promise<void> {
    return this.t.close();
  }
}

function componentsOf(res: ListComponentsResponse): RegisteredComponent[] {
  return res.components;
}
