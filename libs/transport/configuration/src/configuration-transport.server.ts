// Serves a ConfigurationApi (the configuration block, in configuration-svc) over the internal
// framed transport: transport-core's FramedServer with the ConfigurationService method table.
// Subscriptions are server streams pulled within each gateway's flow-control window; a gateway
// that cancels or disconnects ends its subscriptions (the block unsubscribes from the component);
// close() ends every open subscription stream at once with a retryable UNAVAILABLE error so that
// the gateways subscribe again elsewhere or later. No Nest, no RxJS.
import type { ConfigurationApi } from '@tessera/contracts';
import { FramedServer } from '@tessera/transport-core';
import type { FramedServerOptions } from '@tessera/transport-core';
import { CONFIGURATION_SERVICE } from './configuration-methods';

/** maxFrameBytes (default 64 MiB), keepAliveMs (default 10 s), onInternalError(err, method). */
export type ConfigurationTransportServerOptions = FramedServerOptions;

export class ConfigurationTransportServer extends FramedServer<ConfigurationApi> {
  constructor(api: ConfigurationApi, opts: ConfigurationTransportServerOptions = {}) {
    super(CONFIGURATION_SERVICE, api, opts);
  }
}
