// Public surface of @tessera/edge-grpc: the Dapr gRPC API on the block APIs.
export { GrpcEdge, toServiceError } from './grpc-edge';
export type { GrpcEdgeOptions } from './grpc-edge';
export { encodeRichStatus } from './rich-status';
export { metadataOf, installFallbackHandler } from './invoke.handlers';
