// Public surface of @tessera/pubsub-mqtt3: the `pubsub.mqtt3` (alias `pubsub.mqtt`) v1 factory.
export { createMqttPubSub } from './mqtt-pubsub';
export { parseMqttMetadata, consumerClientId } from './mqtt-metadata';
export type { MqttSettings, MqttQos } from './mqtt-metadata';
