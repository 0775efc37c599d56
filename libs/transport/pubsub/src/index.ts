// @tessera/transport-pubsub: the pub/sub block across processes (split mode). The server serves
// any PubSubApi (the block in pubsub-svc); the client is a PubSubApi the gateway binds instead of
// the block, failing with the same ApiErrors. Deliveries travel as server streams of the framed
// transport (@tessera/transport-core), settled by unary calls on the same connection; the wire is
// described by libs/contracts/proto/tessera/internal/v1/pubsub.proto.
export { PubSubTransportServer } from './pubsub-transport.server';
export type { PubSubTransportServerOptions } from './pubsub-transport.server';
export { PubSubTransportClient } from './pubsub-transport.client';
export type { PubSubTransportClientOptions } from './pubsub-transport.client';
export { PUBSUB_SERVICE, PUBSUB_SERVICE_NAME } from './pubsub-methods';
