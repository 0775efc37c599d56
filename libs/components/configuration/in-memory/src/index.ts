// Public surface of @tessera/configuration-in-memory: a configuration store of this process, for
// tests (not a Dapr component type, so not registered).
export { InMemoryConfigurationStore, createInMemoryConfigurationStore } from './in-memory-configuration-store';
