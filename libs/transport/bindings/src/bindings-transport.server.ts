// Serves a BindingsApi (the bindings block, in bindings-svc) over the internal framed transport:
// transport-core's FramedServer with the BindingsService method table. Input binding readers are
// server streams pulled within each gateway's flow-control window; a gateway that cancels or
// disconnects ends its readers (the block fails back unsettled events to the component); close()
// ends every open reader stream at once with a retryable UNAVAILABLE error so that the gateways
// read again elsewhere or later. No Nest, no RxJS.
import type { BindingsApi } from '@tessera/contracts';
import { FramedServer } from '@tessera/transport-core';
import type { FramedServerOptions } from '@tessera/transport-core';
import { BINDINGS_SERVICE } from './bindings-methods';

/** maxFrameBytes (default 64 MiB), keepAliveMs (default 10 s), onInternalError(err, method). */
export type BindingsTransportServerOptions = FramedServerOptions;

export class BindingsTransportServer extends FramedServer<BindingsApi> {
  constructor(api: BindingsApi, opts: BindingsTransportServerOptions = {}) {
    super(BINDINGS_SERVICE, api, opts);
  }
}
