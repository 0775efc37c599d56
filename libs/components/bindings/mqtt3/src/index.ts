// Public surface of @tessera/bindings-mqtt3: the `bindings.mqtt3` / `bindings.mqtt` v1 factory
// (input + output).
export { createMqttBinding, MQTT_OPERATIONS } from './mqtt-binding';
export { parseMqttBindingMetadata, publishTarget, retryDelayMs } from './mqtt-binding-metadata';
export type { MqttBindingSettings } from './mqtt-binding-metadata';
