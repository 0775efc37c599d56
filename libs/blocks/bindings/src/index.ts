// Public surface of @tessera/block-bindings.
export { BindingsBlock, InputBindingErrors } from './bindings.block';
export type { BindingsBlockOptions, BindingsBlockLogger, BindingCallPolicy } from './bindings.block';
export { BindingComponents } from './binding-components';
export type { BindingEntry } from './binding-components';
export { loadBindings, closeBindings, parseDirection, runtimeMetadata, BindingLoadError } from './bindings-loader';
export type { BindingComponentSpec, BindingsLoaderLogger } from './bindings-loader';
export { ReadStream, ReaderClosedError } from './read-stream';
export { AppBindingsDelivery, parseHttpAnswer } from './app-delivery';
export type { AppBindingsDeliveryOptions, BindingsDeliveryLogger, BindingsDeliveryPolicy, BindingAppAnswer } from './app-delivery';
