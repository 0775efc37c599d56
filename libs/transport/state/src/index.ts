// @tessera/transport-state: the state block across processes (split mode). The server serves any
// StateApi (the state block in state-svc); the client is a StateApi the gateway binds instead of
// the block. Wire: tessera/internal/v1/state.proto over the framed transport of transport.proto.
export { StateTransportServer } from './state-transport.server';
export type { StateTransportServerOptions } from './state-transport.server';
export { StateTransportClient } from './state-transport.client';
export type { StateTransportClientOptions } from './state-transport.client';
export { DEFAULT_MAX_FRAME_BYTES } from './framing';
