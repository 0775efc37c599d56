// @tessera/transport-bindings: the bindings block across processes (split mode). The server
// serves any BindingsApi (the block in bindings-svc); the client is a BindingsApi the gateway
// binds instead of the block, failing with the same ApiErrors. Input binding events travel as
// server streams of the framed transport (@tessera/transport-core), settled by unary calls on the
// same connection; the wire is described by libs/contracts/proto/tessera/internal/v1/bindings.proto.
export { BindingsTransportServer } from './bindings-transport.server';
export type { BindingsTransportServerOptions } from './bindings-transport.server';
export { BindingsTransportClient } from './bindings-transport.client';
export type { BindingsTransportClientOptions } from './bindings-transport.client';
export { BINDINGS_SERVICE, BINDINGS_SERVICE_NAME } from './bindings-methods';
