// Public surface of @tessera/pubsub-redis: `pubsub.redis` on Redis Streams in Dapr's layout.
export { createRedisPubSub } from './redis-pubsub';
export { parseRedisPubSubMetadata } from './redis-pubsub-metadata';
export type { RedisPubSubSettings } from './redis-pubsub-metadata';
export { FIELD_CONTENT_TYPE, FIELD_DATA, FIELD_METADATA } from './redis-streams-layout';
