// DI tokens of the composition root (Symbols, never strings).
export const RUNTIME_CONFIG = Symbol.for('tessera.RuntimeConfig');
export const LOGGER = Symbol.for('tessera.Logger');
export const RESOURCES = Symbol.for('tessera.Resources');
export const STATE_STORES = Symbol.for('tessera.StateStores');
