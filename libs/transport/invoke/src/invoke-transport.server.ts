// The callee side of gateway -> gateway invocation: serves a LocalInvokeApi (the invoke block's
// access control + app channel) on the gateway's internal port (50002 by default) over the framed
// transport. Each call becomes `api.callLocal(req, caller, ctx)` with caller = {appId, namespace,
// trustDomain || 'public'} from the request header and ctx carrying the caller's deadline (as an
// AbortSignal), cancellation and trace context. The API's ApiErrors (access denied, app
// unavailable, ...) reach the caller intact; any other failure becomes ERR_INTERNAL, reported to
// onInternalError. The owner (the gateway's Nest module) calls listen()/close().
import type { LocalInvokeApi } from '@tessera/contracts';
import { FramedServer } from '@tessera/transport-core';
import type { FramedServerOptions } from '@tessera/transport-core';
import { INVOKE_SERVICE } from './invoke-methods';

/** maxFrameBytes (default 64 MiB), keepAliveMs (default 10 s), onInternalError(err, method). */
export type InvokeTransportServerOptions = FramedServerOptions;

export class InvokeTransportServer extends FramedServer<LocalInvokeApi> {
  constructor(api: LocalInvokeApi, opts: InvokeTransportServerOptions = {}) {
    super(INVOKE_SERVICE, api, opts);
  }
}
