// The typed bindings API (spec/http-api.md 4, grpc-api.md). The gateway's edges and its app
// delivery call it; the bindings block implements it in-process and the bindings transport
// client over the wire (bindings-svc).
//
// Input bindings: the gateway lists the input bindings visible to its app, asks the app which it
// takes (HTTP OPTIONS /{route}, gRPC ListInputBindings), then read()s each: a stream whose first
// item carries only the reader id and whose later items are events. Each event must be answered
// with settle() once the app answered; the component acknowledges its source only then. Leaving
// the loop or aborting ctx.signal ends the reader and fails back every unsettled event.
import type { CallContext } from '../call-context';
import type {
  InvokeBindingRequest,
  InvokeBindingResponse,
} from '../generated/dapr/proto/runtime/v1/bindings';
import type {
  BindingDelivery,
  InputBindingInfo,
  ReadBindingRequest,
  SettleBindingEventRequest,
} from '../generated/tessera/internal/v1/bindings';
import type { RegisteredComponent } from './state.api';

export interface BindingsApi {
  /** Invokes an output binding. Rejects with ERR_INVOKE_OUTPUT_BINDING (500) ApiErrors. */
  invoke(req: InvokeBindingRequest, ctx: CallContext): Promise<InvokeBindingResponse>;
  /** The input-capable bindings visible to ctx.appId whose `direction` allows input. */
  listInputBindings(ctx: CallContext): Promise<InputBindingInfo[]>;
  /** Starts reading an input binding for ctx.appId; first item `{ readerId }` only. */
  read(req: ReadBindingRequest, ctx: CallContext): AsyncIterable<BindingDelivery>;
  /** Answers one event. Unknown ids are ignored. */
  settle(req: SettleBindingEventRequest, ctx: CallContext): Promise<void>;
  /** The binding components visible to ctx.appId (component scopes applied). */
  listComponents(ctx: CallContext): Promise<RegisteredComponent[]>;
}

/** DI token for BindingsApi (Nest binds it to the block or to the remote client). */
export const BINDINGS_API = Symbol.for('tessera.BindingsApi');
