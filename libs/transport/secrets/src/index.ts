// @tessera/transport-secrets: the secrets block across processes (split mode). The server serves
// any SecretsApi (the secrets block in secrets-svc); the client is a SecretsApi the gateway binds
// instead of the block, failing with the same ApiErrors. The wire is described in
// libs/contracts/proto/tessera/internal/v1/secrets.proto; the transport is @tessera/transport-core.
export { SecretsTransportServer } from './secrets-transport.server';
export type { SecretsTransportServerOptions } from './secrets-transport.server';
export { SecretsTransportClient } from './secrets-transport.client';
export type { SecretsTransportClientOptions } from './secrets-transport.client';
export { SECRETS_SERVICE, SECRETS_SERVICE_NAME } from './secrets-methods';
