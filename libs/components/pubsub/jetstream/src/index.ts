// Public surface of @tessera/pubsub-jetstream: `pubsub.jetstream` on NATS JetStream.
export { CONTENT_TYPE_HEADER, createJetStreamPubSub } from './jetstream-pubsub';
export { parseJetStreamMetadata } from './jetstream-metadata';
export type { JetStreamDeliverPolicy, JetStreamSettings } from './jetstream-metadata';
