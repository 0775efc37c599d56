// The typed state API. The gateway's HTTP and gRPC edges call it; the state block implements it
// in-process and the state transport client implements it over the wire, so the edges cannot
// tell which one they hold. Requests and responses are the generated Dapr messages.
import type { CallContext } from '../call-context';
import type {
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
} from '../generated/dapr/proto/runtime/v1/state';

/** A loaded component as the metadata API reports it. */
export interface RegisteredComponent {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly capabilities: readonly string[];
}

export interface StateApi {
  /** Not found is an OK response with empty `data`, as in Dapr (HTTP turns it into 204). */
  getState(req: GetStateRequest, ctx: CallContext): Promise<GetStateResponse>;
  getBulkState(req: GetBulkStateRequest, ctx: CallContext): Promise<GetBulkStateResponse>;
  saveState(req: SaveStateRequest, ctx: CallContext): Promise<void>;
  deleteState(req: DeleteStateRequest, ctx: CallContext): Promise<void>;
  deleteBulkState(req: DeleteBulkStateRequest, ctx: CallContext): Promise<void>;
  executeStateTransaction(req: ExecuteStateTransactionRequest, ctx: CallContext): Promise<void>;
  queryState(req: QueryStateRequest, ctx: CallContext): Promise<QueryStateResponse>;
  /** The state stores visible to `ctx.appId` (component scopes applied). */
  listComponents(ctx: CallContext): Promise<RegisteredComponent[]>;
}

/** DI token for StateApi (Nest binds it to the block or to the remote client). */
export const STATE_API = Symbol.for('tessera.StateApi');
