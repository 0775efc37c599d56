// Public surface of @tessera/bindings-kafka: the `bindings.kafka` v1 factory (input + output).
export { createKafkaBinding, KAFKA_OPERATIONS } from './kafka-binding';
export { parseKafkaBindingMetadata, toKafkaConfig, recordFromRequest, eventFromMessage, consumeRetryDelayMs } from './kafka-binding-metadata';
export type { KafkaBindingSettings, KafkaAuthType } from './kafka-binding-metadata';
