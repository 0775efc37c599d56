// Public surface of @tessera/common-kafka: the Kafka metadata pubsub.kafka and bindings.kafka share.
export { parseKafkaBrokers, parseKafkaAuthType, saslMechanism, saslConfig, requiredAcks, parseInitialOffset } from './kafka-settings';
export type { KafkaAuthType, SaslMechanism, SaslConfig } from './kafka-settings';
export { parseKafkaTls } from './kafka-tls';
export type { KafkaTlsOptions } from './kafka-tls';
