// @tessera/transport-lock: the lock block across processes (split mode). The server serves any
// LockApi (the lock block in lock-svc); the client is a LockApi the gateway binds instead of the
// block, failing with the same ApiErrors. The wire is @tessera/transport-core's framed transport
// (see @tessera/transport-state for why not @grpc/grpc-js), described in
// libs/contracts/proto/tessera/internal/v1/lock.proto; the messages are Dapr's.
export { LockTransportServer } from './lock-transport.server';
export type { LockTransportServerOptions } from './lock-transport.server';
export { LockTransportClient } from './lock-transport.client';
export type { LockTransportClientOptions } from './lock-transport.client';
export { LOCK_SERVICE, LOCK_SERVICE_NAME } from './lock-methods';
