// Serves a LockApi (the lock block, in lock-svc) over the internal framed transport: the generic
// FramedServer of @tessera/transport-core with the LockService method table. Per call it rebuilds
// the CallContext (app id, namespace, trace context, deadline -> AbortSignal), calls the API and
// sends back the response or the complete ApiError. No Nest: the svc's Nest module owns an
// instance and calls listen()/close() from its lifecycle hooks.
import type { LockApi } from '@tessera/contracts';
import { FramedServer } from '@tessera/transport-core';
import type { FramedServerOptions } from '@tessera/transport-core';
import { LOCK_SERVICE } from './lock-methods';

/** maxFrameBytes, keepAliveMs, onInternalError(err, method): see FramedServerOptions. */
export type LockTransportServerOptions = FramedServerOptions;

export class LockTransportServer extends FramedServer<LockApi> {
  constructor(api: LockApi, opts: LockTransportServerOptions = {}) {
    super(LOCK_SERVICE, api, opts);
  }
}
