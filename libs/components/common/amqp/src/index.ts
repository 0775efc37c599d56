// Public surface of @tessera/common-amqp: the RabbitMQ URL check and socket options pubsub.rabbitmq and bindings.rabbitmq share.
export { parseAmqpUrl, amqpSocketOptions } from './amqp-connection';
export type { AmqpConnectionOptions } from './amqp-connection';
