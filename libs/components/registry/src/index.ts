// Public surface of @tessera/registry: manifest type + version -> component factory.
export type { StateStoreType } from './state.registry';
export { KNOWN_STATE_TYPES, stateStoreFactory, stateStoreVersions } from './state.registry';
export type { NameResolverComponent } from './nameresolution.registry';
export { KNOWN_NAME_RESOLVERS, nameResolverFactory, nameResolverVersions } from './nameresolution.registry';
export type { SecretStoreType } from './secretstores.registry';
export { KNOWN_SECRET_STORE_TYPES, secretStoreFactory, secretStoreVersions } from './secretstores.registry';
export type { LockStoreType } from './lock.registry';
export { KNOWN_LOCK_TYPES, lockStoreFactory, lockStoreVersions } from './lock.registry';
export type { ConfigurationStoreType } from './configuration.registry';
export { KNOWN_CONFIGURATION_TYPES, configurationStoreFactory, configurationStoreVersions } from './configuration.registry';
export type { PubSubType } from './pubsub.registry';
export { KNOWN_PUBSUB_TYPES, pubSubFactory, pubSubVersions } from './pubsub.registry';
export type { BindingType, BindingDirections } from './bindings.registry';
export { KNOWN_BINDING_TYPES, bindingFactory, bindingVersions, bindingDirections } from './bindings.registry';
