// Public surface of @tessera/pubsub-kafka: the `pubsub.kafka` v1 factory.
export { createKafkaPubSub } from './kafka-pubsub';
export { parseKafkaMetadata, toKafkaRecord, toPubSubMessage, kafkaClientConfig, rangeAssign } from './kafka-metadata';
export type { KafkaSettings } from './kafka-metadata';
