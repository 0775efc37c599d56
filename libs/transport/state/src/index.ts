// @tessera/transport-state: the state block across processes (split mode). The server serves any
// StateApi (the state block in state-svc); the client is a StateApi the gateway binds instead of
// the block, failing with the same ApiErrors.
//
// Why a framed protocol over one TCP socket and not @grpc/grpc-js (bench/RESULTS.md, "Internal
// transport"): on the 2-core target a grpc-js unary client spends ~110 µs of CPU per call and tops
// out near 8k calls/s whatever the tuning or number of channels; in the gateway that would cap
// split mode near 0.35x of all-in-one, under the 0.5x target. The framed transport costs a few µs
// per call (84k calls/s at 16 in flight) and measured split mode at 0.80x of all-in-one. The wire
// is still described in .proto (libs/contracts/proto/tessera/internal/v1: transport.proto for the
// framing, state.proto for StateService and its method ids; the messages are Dapr's). The
// transport itself is @tessera/transport-core; this lib is StateService's method table on it.
export { StateTransportServer } from './state-transport.server';
export type { StateTransportServerOptions } from './state-transport.server';
export { StateTransportClient } from './state-transport.client';
export type { StateTransportClientOptions } from './state-transport.client';
export { DEFAULT_MAX_FRAME_BYTES } from '@tessera/transport-core';
export { STATE_SERVICE, STATE_SERVICE_NAME } from './state-methods';
