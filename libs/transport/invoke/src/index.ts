// @tessera/transport-invoke: service invocation between gateways (gateway internal port, 50002
// by default) over Tessera's framed transport (@tessera/transport-core), InvokeService of
// libs/contracts/proto/tessera/internal/v1/invoke.proto carrying Dapr's own
// dapr.proto.internals.v1 InternalInvokeRequest / InternalInvokeResponse. The callee's gateway
// serves its LocalInvokeApi with InvokeTransportServer; the caller's gateway holds one
// InvokeTransportClient, which keeps one connection per remote gateway.
export { InvokeTransportServer } from './invoke-transport.server';
export type { InvokeTransportServerOptions } from './invoke-transport.server';
export { InvokeTransportClient } from './invoke-transport.client';
export type { InvokeTransportClientOptions } from './invoke-transport.client';
export { invokeFailure } from './invoke-errors';
export { callerIdentityOf, DEFAULT_TRUST_DOMAIN, INVOKE_METHODS, INVOKE_SERVICE, INVOKE_SERVICE_NAME, RAW_MESSAGE } from './invoke-methods';
