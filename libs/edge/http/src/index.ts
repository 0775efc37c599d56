// Public surface of @tessera/edge-http: the Dapr HTTP API on the block APIs.
export { createHttpEdge } from './http-edge';
export type { HttpEdgeOptions } from './http-edge';
