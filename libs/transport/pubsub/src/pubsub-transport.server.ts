// Serves a PubSubApi (the pub/sub block, in pubsub-svc) over the internal framed transport:
// transport-core's FramedServer with the PubSubService method table. Subscriptions are server
// streams pulled within each gateway's flow-control window; a gateway that cancels or disconnects
// ends its subscriptions (the block closes the broker subscription and hands unsettled messages
// back); close() ends every open subscription stream at once with a retryable UNAVAILABLE error
// so that the gateways subscribe again elsewhere or later. No Nest, no RxJS.
import type { PubSubApi } from '@tessera/contracts';
import { FramedServer } from '@tessera/transport-core';
import type { FramedServerOptions } from '@tessera/transport-core';
import { PUBSUB_SERVICE } from './pubsub-methods';

/** maxFrameBytes (default 64 MiB), keepAliveMs (default 10 s), onInternalError(err, method). */
export type PubSubTransportServerOptions = FramedServerOptions;

export class PubSubTransportServer extends FramedServer<PubSubApi> {
  constructor(api: PubSubApi, opts: PubSubTransportServerOptions = {}) {
    super(PUBSUB_SERVICE, api, opts);
  }
}
