// Public surface of @tessera/conformance: one suite per component kind.
export type { StateConformanceOptions } from './state.conformance';
export { describeStateConformance } from './state.conformance';
export { StateApiStore } from './state-api-store';
export type { LockConformanceOptions } from './lock.conformance';
export { describeLockConformance } from './lock.conformance';
export { LockApiStore } from './lock-api-store';
export type { SecretStoreConformanceOptions, SecretFixture } from './secretstore.conformance';
export { describeSecretStoreConformance, SINGLE_VALUE_FIXTURE, MULTI_VALUE_FIXTURE } from './secretstore.conformance';
export { SecretsApiStore } from './secrets-api-store';
export type { ConfigurationBackend, ConfigurationConformanceOptions } from './configuration.conformance';
export { describeConfigurationConformance } from './configuration.conformance';
export { ConfigurationApiStore } from './configuration-api-store';
export type { PubSubConformanceOptions, RecordedMessage } from './pubsub.conformance';
export { describePubSubConformance, PubSubRecorder, withDeadline } from './pubsub.conformance';
export { PubSubApiComponent } from './pubsub-api-component';
