// Public surface of @tessera/pubsub-sqlite: the `pubsub.sqlite` v1 factory (the embedded durable default).
export { createSqlitePubSub, ATTEMPT_METADATA } from './sqlite-pubsub';
export { parseSqlitePubSubMetadata } from './sqlite-pubsub-metadata';
export type { SqlitePubSubSettings } from './sqlite-pubsub-metadata';
