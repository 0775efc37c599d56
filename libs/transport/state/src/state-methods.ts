// The StateService method table: for each StateApi method, its wire id (StateMethod in
// tessera/internal/v1/state.proto), its codecs, how the server invokes the API, and how an error
// raised by the transport itself (unreachable, deadline, cancel) is worded so that it reads like
// the state block's own error for that operation (contracts errors/state.errors.ts).
// Built once at load; the hot path only indexes into it.
import {
  DeleteBulkStateRequest,
  DeleteStateRequest,
  ExecuteStateTransactionRequest,
  GetBulkStateRequest,
  GetBulkStateResponse,
  GetStateRequest,
  GetStateResponse,
  ListComponentsRequest,
  ListComponentsResponse,
  QueryStateRequest,
  QueryStateResponse,
  SaveStateRequest,
  StateMethod,
} from '@tessera/contracts';
import type { RegisteredComponent, StateApi } from '@tessera/contracts';
import { defineMethod, defineService } from '@tessera/transport-core';
import type { MethodDef, ServiceDef } from '@tessera/transport-core';

/** Fully qualified name sent in Hello; the server refuses a connection that expects another. */
export const STATE_SERVICE_NAME = 'tessera.internal.v1.StateService';

const empty: ListComponentsRequest = {};

function def<Req, Res>(d: MethodDef<StateApi, Req, Res>): MethodDef<StateApi, Req, Res> {
  return defineMethod(d);
}

export const STATE_METHODS = {
  getState: def<GetStateRequest, GetStateResponse>({
    id: StateMethod.STATE_METHOD_GET_STATE,
    name: 'GetState',
    errorCode: 'ERR_STATE_GET',
    request: GetStateRequest,
    response: GetStateResponse,
    describe: (r) => `fail to get ${r.key} from state store ${r.storeName}`,
    invoke: (api, r, ctx) => api.getState(r, ctx),
  }),
  getBulkState: def<GetBulkStateRequest, GetBulkStateResponse>({
    id: StateMethod.STATE_METHOD_GET_BULK_STATE,
    name: 'GetBulkState',
    errorCode: 'ERR_STATE_BULK_GET',
    request: GetBulkStateRequest,
    response: GetBulkStateResponse,
    describe: (r) => `failed getting bulk state from state store ${r.storeName}`,
    invoke: (api, r, ctx) => api.getBulkState(r, ctx),
  }),
  saveState: def<SaveStateRequest, void>({
    id: StateMethod.STATE_METHOD_SAVE_STATE,
    name: 'SaveState',
    errorCode: 'ERR_STATE_SAVE',
    request: SaveStateRequest,
    response: null,
    describe: (r) => `failed saving state in state store ${r.storeName}`,
    invoke: (api, r, ctx) => api.saveState(r, ctx),
  }),
  deleteState: def<DeleteStateRequest, void>({
    id: StateMethod.STATE_METHOD_DELETE_STATE,
    name: 'DeleteState',
    errorCode: 'ERR_STATE_DELETE',
    request: DeleteStateRequest,
    response: null,
    describe: (r) => `failed deleting state with key ${r.key}`,
    invoke: (api, r, ctx) => api.deleteState(r, ctx),
  }),
  deleteBulkState: def<DeleteBulkStateRequest, void>({
    id: StateMethod.STATE_METHOD_DELETE_BULK_STATE,
    name: 'DeleteBulkState',
    errorCode: 'ERR_STATE_BULK_DELETE',
    request: DeleteBulkStateRequest,
    response: null,
    describe: () => 'failed deleting state',
    invoke: (api, r, ctx) => api.deleteBulkState(r, ctx),
  }),
  executeStateTransaction: def<ExecuteStateTransactionRequest, void>({
    id: StateMethod.STATE_METHOD_EXECUTE_STATE_TRANSACTION,
    name: 'ExecuteStateTransaction',
    errorCode: 'ERR_STATE_TRANSACTION',
    request: ExecuteStateTransactionRequest,
    response: null,
    describe: () => 'error while executing state transaction',
    invoke: (api, r, ctx) => api.executeStateTransaction(r, ctx),
  }),
  queryState: def<QueryStateRequest, QueryStateResponse>({
    id: StateMethod.STATE_METHOD_QUERY_STATE,
    name: 'QueryState',
    errorCode: 'ERR_STATE_QUERY',
    request: QueryStateRequest,
    response: QueryStateResponse,
    describe: (r) => `failed query in state store ${r.storeName}`,
    invoke: (api, r, ctx) => api.queryState(r, ctx),
  }),
  listComponents: def<ListComponentsRequest, ListComponentsResponse>({
    id: StateMethod.STATE_METHOD_LIST_COMPONENTS,
    name: 'ListComponents',
    errorCode: 'ERR_INTERNAL',
    request: ListComponentsRequest,
    response: ListComponentsResponse,
    describe: () => 'failed listing state stores',
    invoke: (api, _r, ctx) => api.listComponents(ctx).then(toListResponse),
  }),
} as const;

export const LIST_COMPONENTS_REQUEST = empty;

function toListResponse(components: readonly RegisteredComponent[]): ListComponentsResponse {
  return {
    components: components.map((c) => ({
      name: c.name,
      type: c.type,
      version: c.version,
      capabilities: [...c.capabilities],
    })),
  };
}

/** StateService as the framed transport serves and calls it. */
export const STATE_SERVICE: ServiceDef<StateApi> = defineService<StateApi>({
  name: STATE_SERVICE_NAME,
  serverLabel: 'state-svc',
  clientLabel: 'gateway',
  methods: STATE_METHODS,
});
