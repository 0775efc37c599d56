// The ConfigurationService method table: for each ConfigurationApi method, its wire id
// (ConfigurationMethod in tessera/internal/v1/configuration.proto), its codecs, how the server
// calls the API, and how a failure of the transport itself (unreachable, deadline, cancel, server
// shutting down) is worded so that it reads like the configuration block's own error for that
// operation (contracts errors/configuration.errors.ts). SubscribeConfiguration is a server stream.
import {
  ConfigurationMethod,
  GetConfigurationRequest,
  GetConfigurationResponse,
  ListComponentsRequest,
  ListComponentsResponse,
  SubscribeConfigurationRequest,
  SubscribeConfigurationResponse,
  UnsubscribeConfigurationRequest,
  UnsubscribeConfigurationResponse,
} from '@tessera/contracts';
import type { ConfigurationApi, RegisteredComponent } from '@tessera/contracts';
import { defineMethod, defineService, defineStreamMethod } from '@tessera/transport-core';
import type { ServiceDef } from '@tessera/transport-core';

/** Fully qualified name sent in Hello; the server refuses a connection that expects another. */
export const CONFIGURATION_SERVICE_NAME = 'tessera.internal.v1.ConfigurationService';

const goKeys = (keys: readonly string[]): string => `[${keys.join(' ')}]`;

export const LIST_COMPONENTS_REQUEST: ListComponentsRequest = {};

export const CONFIGURATION_METHODS = {
  get: defineMethod<ConfigurationApi, GetConfigurationRequest, GetConfigurationResponse>({
    id: ConfigurationMethod.CONFIGURATION_METHOD_GET_CONFIGURATION,
    name: 'GetConfiguration',
    errorCode: 'ERR_CONFIGURATION_GET',
    request: GetConfigurationRequest,
    response: GetConfigurationResponse,
    describe: (r) => `failed to get ${goKeys(r.keys)} from Configuration store ${r.storeName}`,
    invoke: (api, r, ctx) => api.get(r, ctx),
  }),
  subscribe: defineStreamMethod<ConfigurationApi, SubscribeConfigurationRequest, SubscribeConfigurationResponse>({
    id: ConfigurationMethod.CONFIGURATION_METHOD_SUBSCRIBE_CONFIGURATION,
    name: 'SubscribeConfiguration',
    errorCode: 'ERR_CONFIGURATION_SUBSCRIBE',
    request: SubscribeConfigurationRequest,
    response: SubscribeConfigurationResponse,
    describe: (r) => `failed to subscribe ${goKeys(r.keys)} from Configuration store ${r.storeName}`,
    open: (api, r, ctx) => api.subscribe(r, ctx),
  }),
  unsubscribe: defineMethod<ConfigurationApi, UnsubscribeConfigurationRequest, UnsubscribeConfigurationResponse>({
    id: ConfigurationMethod.CONFIGURATION_METHOD_UNSUBSCRIBE_CONFIGURATION,
    name: 'UnsubscribeConfiguration',
    errorCode: 'ERR_CONFIGURATION_UNSUBSCRIBE',
    request: UnsubscribeConfigurationRequest,
    response: UnsubscribeConfigurationResponse,
    describe: (r) => `failed to unsubscribe to configuration request ${r.id}`,
    invoke: (api, r, ctx) => api.unsubscribe(r, ctx),
  }),
  listComponents: defineMethod<ConfigurationApi, ListComponentsRequest, ListComponentsResponse>({
    id: ConfigurationMethod.CONFIGURATION_METHOD_LIST_COMPONENTS,
    name: 'ListComponents',
    errorCode: 'ERR_INTERNAL',
    request: ListComponentsRequest,
    response: ListComponentsResponse,
    describe: () => 'failed listing configuration stores',
    invoke: (api, _r, ctx) => api.listComponents(ctx).then(toListResponse),
  }),
} as const;

function toListResponse(components: readonly RegisteredComponent[]): ListComponentsResponse {
  return { components: components.map((c) => ({ name: c.name, type: c.type, version: c.version, capabilities: [...c.capabilities] })) };
}

/** ConfigurationService as the framed transport serves and calls it. */
export const CONFIGURATION_SERVICE: ServiceDef<ConfigurationApi> = defineService<ConfigurationApi>({
  name: CONFIGURATION_SERVICE_NAME,
  serverLabel: 'configuration-svc',
  clientLabel: 'gateway',
  methods: CONFIGURATION_METHODS,
});
