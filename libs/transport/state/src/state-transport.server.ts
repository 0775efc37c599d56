// Serves a StateApi (the state block, in state-svc) over the internal framed transport: the
// generic FramedServer of @tessera/transport-core with the StateService method table. Per call it
// rebuilds the CallContext (app id, namespace, trace context, deadline -> AbortSignal), calls the
// API and sends back the response or the complete ApiError; calls on one connection run
// concurrently. No Nest, no RxJS: the svc's Nest module owns an instance and calls
// listen()/close() from its lifecycle hooks.
import type { StateApi } from '@tessera/contracts';
import { FramedServer } from '@tessera/transport-core';
import type { FramedServerOptions } from '@tessera/transport-core';
import { STATE_SERVICE } from './state-methods';

/**
 * maxFrameBytes (default 64 MiB, keep equal to the clients'), keepAliveMs (default 10 s), and
 * onInternalError(err, method): told about each failure that was not an ApiError; the caller
 * gets an ERR_INTERNAL without the stack. Log it there.
 */
export type StateTransportServerOptions = FramedServerOptions;

export class StateTransportServer extends FramedServer<StateApi> {
  constructor(api: StateApi, opts: StateTransportServerOptions = {}) {
    super(STATE_SERVICE, api, opts);
  }
}
