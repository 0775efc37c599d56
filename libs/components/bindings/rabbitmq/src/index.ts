// Public surface of @tessera/bindings-rabbitmq: the `bindings.rabbitmq` v1 factory (input + output).
export { createRabbitMqBinding, RABBITMQ_OPERATIONS } from './rabbitmq-binding';
export { parseRabbitMqBindingMetadata, publishOptions, queueArguments } from './rabbitmq-binding-metadata';
export type { RabbitMqBindingSettings, PublishOptions } from './rabbitmq-binding-metadata';
