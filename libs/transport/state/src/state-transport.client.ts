// StateApi over the internal framed transport: what the gateway holds in split mode instead of
// the state block. It fails exactly as the block would (the server sends every ApiError field
// back), and its own failures read like the block's: the operation's Dapr code, httpStatus 500,
// gRPC UNAVAILABLE, "…: state-svc at host:port is unreachable: <reason>", retryable.
//
// Connection handling is @tessera/transport-core's FramedClient: one TCP connection for every
// call, opened at the first call and reopened by itself after a drop, with backoff (50 ms doubling
// to 1 s) after a failed connect, during which calls fail at once with the last reason; ctx.signal
// and ctx.deadline honoured on both sides. A call in flight when the connection breaks fails;
// whether a save that had reached state-svc was applied is unknown, as with any RPC: resiliency
// decides.
import type {
  CallContext,
  DeleteBulkStateRequest,
  DeleteStateRequest,
  ExecuteStateTransactionRequest,
  GetBulkStateRequest,
  GetBulkStateResponse,
  GetStateRequest,
  GetStateResponse,
  ListComponentsResponse,
  QueryStateRequest,
  QueryStateResponse,
  RegisteredComponent,
  SaveStateRequest,
  StateApi,
} from '@tessera/contracts';
import { FramedClient } from '@tessera/transport-core';
import type { FramedClientOptions } from '@tessera/transport-core';
import { LIST_COMPONENTS_REQUEST, STATE_METHODS, STATE_SERVICE } from './state-methods';

/**
 * connectTimeoutMs (default 2000), reconnectBackoffMs { initial 50, max 1000 }, maxFrameBytes
 * (default 64 MiB, keep equal to the server's), keepAliveMs (default 10 s).
 */
export type StateTransportClientOptions = FramedClientOptions;

export class StateTransportClient implements StateApi {
  private readonly t: FramedClient;

  constructor(
    readonly address: string,
    opts: StateTransportClientOptions = {},
  ) {
    this.t = new FramedClient(address, STATE_SERVICE, opts);
  }

  get host(): string {
    return this.t.host;
  }

  get port(): number {
    return this.t.port;
  }

  getState(req: GetStateRequest, ctx: CallContext): Promise<GetStateResponse> {
    return this.t.call(STATE_METHODS.getState, req, ctx);
  }

  getBulkState(req: GetBulkStateRequest, ctx: CallContext): Promise<GetBulkStateResponse> {
    return this.t.call(STATE_METHODS.getBulkState, req, ctx);
  }

  saveState(req: SaveStateRequest, ctx: CallContext): Promise<void> {
    return this.t.call(STATE_METHODS.saveState, req, ctx);
  }

  deleteState(req: DeleteStateRequest, ctx: CallContext): Promise<void> {
    return this.t.call(STATE_METHODS.deleteState, req, ctx);
  }

  deleteBulkState(req: DeleteBulkStateRequest, ctx: CallContext): Promise<void> {
    return this.t.call(STATE_METHODS.deleteBulkState, req, ctx);
  }

  executeStateTransaction(req: ExecuteStateTransactionRequest, ctx: CallContext): Promise<void> {
    return this.t.call(STATE_METHODS.executeStateTransaction, req, ctx);
  }

  queryState(req: QueryStateRequest, ctx: CallContext): Promise<QueryStateResponse> {
    return this.t.call(STATE_METHODS.queryState, req, ctx);
  }

  listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.t.call(STATE_METHODS.listComponents, LIST_COMPONENTS_REQUEST, ctx).then(componentsOf);
  }

  /**
   * Opens the connection now rather than at the first call (readiness checks, warm-up). Rejects
   * with an UNAVAILABLE ApiError when state-svc cannot be reached.
   */
  connect(): Promise<void> {
    return this.t.connect();
  }

  /** Fails calls in flight and closes the connection; later calls fail at once. */
  close(): Promise<void> {
    return this.t.close();
  }
}

function componentsOf(res: ListComponentsResponse): RegisteredComponent[] {
  return res.components;
}
