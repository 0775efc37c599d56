// The BindingsService method table: for each BindingsApi method, its wire id (BindingsMethod in
// tessera/internal/v1/bindings.proto), its codecs, how the server calls the API, and how a
// failure of the transport itself (unreachable, deadline, cancel, server shutting down) is worded
// so that it reads like the bindings block's own error for that operation (contracts
// errors/bindings.errors.ts: "error invoking output binding N: <reason>"). ReadBinding is a server
// stream; Settle a unary call the reading gateway makes on the same client (and so the same
// connection) as its stream.
import {
  BindingDelivery,
  BindingsMethod,
  InternalListInputBindingsResponse,
  InvokeBindingRequest,
  InvokeBindingResponse,
  ListComponentsRequest,
  ListComponentsResponse,
  ListInputBindingsRequest,
  ReadBindingRequest,
  SettleBindingEventRequest,
} from '@tessera/contracts';
import type { BindingsApi, InputBindingInfo, RegisteredComponent } from '@tessera/contracts';
import { defineMethod, defineService, defineStreamMethod } from '@tessera/transport-core';
import type { ServiceDef } from '@tessera/transport-core';

/** Fully qualified name sent in Hello; the server refuses a connection that expects another. */
export const BINDINGS_SERVICE_NAME = 'tessera.internal.v1.BindingsService';

export const LIST_COMPONENTS_REQUEST: ListComponentsRequest = {};
export const LIST_INPUT_BINDINGS_REQUEST: ListInputBindingsRequest = {};

export const BINDINGS_METHODS = {
  invoke: defineMethod<BindingsApi, InvokeBindingRequest, InvokeBindingResponse>({
    id: BindingsMethod.BINDINGS_METHOD_INVOKE_BINDING,
    name: 'InvokeBinding',
    errorCode: 'ERR_INVOKE_OUTPUT_BINDING',
    request: InvokeBindingRequest,
    response: InvokeBindingResponse,
    describe: (r) => `error invoking output binding ${r.name}`,
    invoke: (api, r, ctx) => api.invoke(r, ctx),
  }),
  listInputBindings: defineMethod<BindingsApi, ListInputBindingsRequest, InternalListInputBindingsResponse>({
    id: BindingsMethod.BINDINGS_METHOD_LIST_INPUT_BINDINGS,
    name: 'ListInputBindings',
    errorCode: 'ERR_INTERNAL',
    request: ListInputBindingsRequest,
    response: InternalListInputBindingsResponse,
    describe: () => 'failed listing input bindings',
    invoke: (api, _r, ctx) => api.listInputBindings(ctx).then(toInputBindingsResponse),
  }),
  read: defineStreamMethod<BindingsApi, ReadBindingRequest, BindingDelivery>({
    id: BindingsMethod.BINDINGS_METHOD_READ_BINDING,
    name: 'ReadBinding',
    errorCode: 'ERR_INTERNAL',
    request: ReadBindingRequest,
    response: BindingDelivery,
    describe: (r) => `failed reading input binding ${r.name}`,
    open: (api, r, ctx) => api.read(r, ctx),
  }),
  settle: defineMethod<BindingsApi, SettleBindingEventRequest, void>({
    id: BindingsMethod.BINDINGS_METHOD_SETTLE,
    name: 'Settle',
    errorCode: 'ERR_INTERNAL',
    request: SettleBindingEventRequest,
    response: null,
    describe: (r) => `failed to settle event ${r.deliveryId} of input binding reader ${r.readerId}`,
    invoke: (api, r, ctx) => api.settle(r, ctx),
  }),
  listComponents: defineMethod<BindingsApi, ListComponentsRequest, ListComponentsResponse>({
    id: BindingsMethod.BINDINGS_METHOD_LIST_COMPONENTS,
    name: 'ListComponents',
    errorCode: 'ERR_INTERNAL',
    request: ListComponentsRequest,
    response: ListComponentsResponse,
    describe: () => 'failed listing bindings',
    invoke: (api, _r, ctx) => api.listComponents(ctx).then(toListResponse),
  }),
} as const;

function toInputBindingsResponse(bindings: readonly InputBindingInfo[]): InternalListInputBindingsResponse {
  return { bindings: bindings.map((b) => ({ name: b.name, route: b.route })) };
}

function toListResponse(components: readonly RegisteredComponent[]): ListComponentsResponse {
  return { components: components.map((c) => ({ name: c.name, type: c.type, version: c.version, capabilities: [...c.capabilities] })) };
}

/** BindingsService as the framed transport serves and calls it. */
export const BINDINGS_SERVICE: ServiceDef<BindingsApi> = defineService<BindingsApi>({
  name: BINDINGS_SERVICE_NAME,
  serverLabel: 'bindings-svc',
  clientLabel: 'gateway',
  methods: BINDINGS_METHODS,
});
