// Public surface of @tessera/registry: manifest type + version -> component factory.
export type { StateStoreType } from './state.registry';
export { KNOWN_STATE_TYPES, stateStoreFactory, stateStoreVersions } from './state.registry';
