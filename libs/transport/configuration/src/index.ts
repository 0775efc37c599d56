// @tessera/transport-configuration: the configuration block across processes (split mode). The
// server serves any ConfigurationApi (the block in configuration-svc); the client is a
// ConfigurationApi the gateway binds instead of the block, failing with the same ApiErrors.
// Subscriptions travel as server streams of the framed transport (@tessera/transport-core); the
// wire is described by libs/contracts/proto/tessera/internal/v1/configuration.proto.
export { ConfigurationTransportServer } from './configuration-transport.server';
export type { ConfigurationTransportServerOptions } from './configuration-transport.server';
export { ConfigurationTransportClient } from './configuration-transport.client';
export type { ConfigurationTransportClientOptions } from './configuration-transport.client';
export { CONFIGURATION_SERVICE, CONFIGURATION_SERVICE_NAME } from './configuration-methods';
