// Public surface of @tessera/block-state.
export { StateBlock } from './state.block';
export { StateStores } from './state-stores';
export type { StateStoreEntry } from './state-stores';
export { keyPrefixFor, stripKeyPrefix, KEY_SEPARATOR } from './state-keys';
export { loadStateStores, closeStateStores, StateStoreLoadError } from './state-loader';
export type { StateComponentSpec, LoaderLogger } from './state-loader';
