// Public surface of @tessera/pubsub-rabbitmq: the `pubsub.rabbitmq` v1 factory.
export { createRabbitMqPubSub } from './rabbitmq-pubsub';
export { parseRabbitMqMetadata, parseSubscribeMetadata, parsePublishMetadata, deadLetterExchange, deadLetterQueue } from './rabbitmq-metadata';
export type { RabbitMqSettings, RabbitMqSubscribeOptions, RabbitMqPublishOptions } from './rabbitmq-metadata';
