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
  QueryStateRequest,
  QueryStateResponse,
  SaveStateRequest,
} from '@tessera/contracts';
import type { CallContext, RegisteredComponent, StateApi } from '@tessera/contracts';
import { ListComponentsRequest, ListComponentsResponse, StateMethod } from './wire';
import type { Codec } from './wire';

export interface MethodDef<Req, Res> {
  readonly id: StateMethod;
  /** RPC name in StateService, for messages and logs. */
  readonly name: string;
  /** Dapr error code of the operation, used for transport failures. */
  readonly errorCode: string;
  readonly request: Codec<Req>;
  /** null: the RPC returns google.protobuf.Empty, the API method returns void. */
  readonly response: Codec<Res> | null;
  /** Message prefix of the operation's errors, worded as the state block words them. */
  describe(req: Req): string;
  /** Server side: call the API. */
  invoke(api: StateApi, req: Req, ctx: CallContext): Promise<Res | void>;
}

const empty: ListComponentsRequest = {};

function def<Req, Res>(d: MethodDef<Req, Res>): MethodDef<Req, Res> {
  return Object.freeze(d);
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

/** Server dispatch: STATE_METHODS indexed by wire id (holes are undefined). */
export const METHODS_BY_ID: ReadonlyArray<MethodDef<unknown, unknown> | undefined> = (() => {
  const byId: Array<MethodDef<unknown, unknown> | undefined> = [];
  for (const d of Object.values(STATE_METHODS) as MethodDef<unknown, unknown>[]) byId[d.id] = d;
  return byId;
})();
