// Serves a SecretsApi (the secrets block, in secrets-svc) over the internal framed transport: the
// generic FramedServer of @tessera/transport-core with the SecretsService method table. No Nest;
// the svc's Nest module owns an instance and calls listen()/close() from its lifecycle hooks.
import type { SecretsApi } from '@tessera/contracts';
import { FramedServer } from '@tessera/transport-core';
import type { FramedServerOptions } from '@tessera/transport-core';
import { SECRETS_SERVICE } from './secrets-methods';

export type SecretsTransportServerOptions = FramedServerOptions;

export class SecretsTransportServer extends FramedServer<SecretsApi> {
  constructor(api: SecretsApi, opts: SecretsTransportServerOptions = {}) {
    super(SECRETS_SERVICE, api, opts);
  }
}
