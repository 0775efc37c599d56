// Public surface of @tessera/block-configuration.
export { ConfigurationBlock } from './configuration.block';
export type { ConfigurationBlockLogger, ConfigurationBlockOptions, ConfigurationCallPolicy } from './configuration.block';
export { ConfigurationStores } from './configuration-stores';
export type { ConfigurationStoreEntry } from './configuration-stores';
export { loadConfigurationStores, closeConfigurationStores, ConfigurationStoreLoadError } from './configuration-loader';
export type { ConfigurationComponentSpec, ConfigurationLoaderLogger } from './configuration-loader';
export { AppConfigurationDelivery, goItems } from './app-delivery';
export type { AppConfigurationDeliveryOptions, AppDeliveryLogger, AppDeliveryPolicy } from './app-delivery';
