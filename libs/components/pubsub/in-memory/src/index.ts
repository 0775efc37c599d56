// Public surface of @tessera/pubsub-in-memory: the `pubsub.in-memory` v1 factory.
export { createInMemoryPubSub, topicMatches } from './in-memory-pubsub';
