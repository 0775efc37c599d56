// The SecretsService method table: for each SecretsApi method, its wire id (SecretsMethod in
// tessera/internal/v1/secrets.proto), its codecs, how the server invokes the API, and how an
// error raised by the transport itself (unreachable, deadline, cancel) is worded so that it reads
// like the secrets block's own error for that operation (contracts errors/secrets.errors.ts).
import {
  GetBulkSecretRequest,
  GetBulkSecretResponse,
  GetSecretRequest,
  GetSecretResponse,
  ListComponentsRequest,
  ListComponentsResponse,
  SecretsMethod,
} from '@tessera/contracts';
import type { RegisteredComponent, SecretsApi } from '@tessera/contracts';
import { defineMethod, defineService } from '@tessera/transport-core';
import type { MethodDef, ServiceDef } from '@tessera/transport-core';

/** Fully qualified name sent in Hello; the server refuses a connection that expects another. */
export const SECRETS_SERVICE_NAME = 'tessera.internal.v1.SecretsService';

function def<Req, Res>(d: MethodDef<SecretsApi, Req, Res>): MethodDef<SecretsApi, Req, Res> {
  return defineMethod(d);
}

export const SECRETS_METHODS = {
  getSecret: def<GetSecretRequest, GetSecretResponse>({
    id: SecretsMethod.SECRETS_METHOD_GET_SECRET,
    name: 'GetSecret',
    errorCode: 'ERR_SECRET_GET',
    request: GetSecretRequest,
    response: GetSecretResponse,
    describe: (r) => `failed getting secret with key ${r.key} from secret store ${r.storeName}`,
    invoke: (api, r, ctx) => api.getSecret(r, ctx),
  }),
  getBulkSecret: def<GetBulkSecretRequest, GetBulkSecretResponse>({
    id: SecretsMethod.SECRETS_METHOD_GET_BULK_SECRET,
    name: 'GetBulkSecret',
    errorCode: 'ERR_SECRET_GET',
    request: GetBulkSecretRequest,
    response: GetBulkSecretResponse,
    describe: (r) => `failed getting secrets from secret store ${r.storeName}`,
    invoke: (api, r, ctx) => api.getBulkSecret(r, ctx),
  }),
  listComponents: def<ListComponentsRequest, ListComponentsResponse>({
    id: SecretsMethod.SECRETS_METHOD_LIST_COMPONENTS,
    name: 'ListComponents',
    errorCode: 'ERR_INTERNAL',
    request: ListComponentsRequest,
    response: ListComponentsResponse,
    describe: () => 'failed listing secret stores',
    invoke: (api, _r, ctx) => api.listComponents(ctx).then(toListResponse),
  }),
} as const;

export const LIST_COMPONENTS_REQUEST: ListComponentsRequest = {};

function toListResponse(components: readonly RegisteredComponent[]): ListComponentsResponse {
  return { components: components.map((c) => ({ name: c.name, type: c.type, version: c.version, capabilities: [...c.capabilities] })) };
}

/** SecretsService as the framed transport serves and calls it. */
export const SECRETS_SERVICE: ServiceDef<SecretsApi> = defineService<SecretsApi>({
  name: SECRETS_SERVICE_NAME,
  serverLabel: 'secrets-svc',
  clientLabel: 'gateway',
  methods: SECRETS_METHODS,
});
