// Public surface of @tessera/state-in-memory.
export { createInMemoryStateStore } from './in-memory-state-store';
