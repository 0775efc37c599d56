// Public surface of @tessera/registry: manifest type + version -> component factory.
export type { StateStoreType } from './state.registry';
export { KNOWN_STATE_TYPES, stateStoreFactory, stateStoreVersions } from './state.registry';
export type { NameResolverComponent } from './nameresolution.registry';
export { KNOWN_NAME_RESOLVERS, nameResolverFactory, nameResolverVersions } from './nameresolution.registry';
