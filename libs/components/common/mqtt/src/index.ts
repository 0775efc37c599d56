// Public surface of @tessera/common-mqtt: the broker URL and client options pubsub.mqtt3 and bindings.mqtt3 share.
export { parseMqttBroker, mqttClientOptions } from './mqtt-broker';
export type { MqttBroker, MqttProtocol, MqttSessionOptions } from './mqtt-broker';
