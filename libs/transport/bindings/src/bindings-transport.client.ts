// BindingsApi over the internal framed transport: what the gateway holds in split mode instead of
// the bindings block. It fails exactly as the block would (the server sends every ApiError field
// back), and its own failures read like the block's: the operation's Dapr code, gRPC UNAVAILABLE,
// "…: bindings-svc at host:port is unreachable: <reason>", retryable.
//
// read() is a server stream (transport-core's FramedClient.stream): the first item carries only
// the reader id, the next ones input events. settle() is a unary call on the same FramedClient,
// so it travels on the connection that carries the stream. Leaving the loop or aborting
// ctx.signal sends CANCEL (the service stops the reader and fails back unsettled events); a
// bindings-svc that goes away makes the iterator throw a retryable UNAVAILABLE error after the
// events already received, so the gateway can read again.
import type {
  BindingDelivery,
  BindingsApi,
  CallContext,
  InputBindingInfo,
  InternalListInputBindingsResponse,
  InvokeBindingRequest,
  InvokeBindingResponse,
  ListComponentsResponse,
  ReadBindingRequest,
  RegisteredComponent,
  SettleBindingEventRequest,
} from '@tessera/contracts';
import { FramedClient } from '@tessera/transport-core';
import type { FramedClientOptions } from '@tessera/transport-core';
import { BINDINGS_METHODS, BINDINGS_SERVICE, LIST_COMPONENTS_REQUEST, LIST_INPUT_BINDINGS_REQUEST } from './bindings-methods';

/**
 * connectTimeoutMs (default 2000), reconnectBackoffMs { initial 50, max 1000 }, maxFrameBytes
 * (default 64 MiB, keep equal to the server's), keepAliveMs (default 10 s), streamWindow
 * (default 64 events sent ahead of the consumer per reader before the service waits).
 */
export type BindingsTransportClientOptions = FramedClientOptions;

export class BindingsTransportClient implements BindingsApi {
  private readonly t: FramedClient;

  constructor(
    readonly address: string,
    opts: BindingsTransportClientOptions = {},
  ) {
    this.t = new FramedClient(address, BINDINGS_SERVICE, opts);
  }

  invoke(req: InvokeBindingRequest, ctx: CallContext): Promise<InvokeBindingResponse> {
    return this.t.call(BINDINGS_METHODS.invoke, req, ctx);
  }

  listInputBindings(ctx: CallContext): Promise<InputBindingInfo[]> {
    return this.t.call(BINDINGS_METHODS.listInputBindings, LIST_INPUT_BINDINGS_REQUEST, ctx).then(bindingsOf);
  }

  read(req: ReadBindingRequest, ctx: CallContext): AsyncIterable<BindingDelivery> {
    return this.t.stream(BINDINGS_METHODS.read, req, ctx);
  }

  settle(req: SettleBindingEventRequest, ctx: CallContext): Promise<void> {
    return this.t.call(BINDINGS_METHODS.settle, req, ctx);
  }

  listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.t.call(BINDINGS_METHODS.listComponents, LIST_COMPONENTS_REQUEST, ctx).then(componentsOf);
  }

  /** Opens the connection now (readiness checks, warm-up); rejects with an UNAVAILABLE ApiError. */
  connect(): Promise<void> {
    return this.t.connect();
  }

  /** Fails calls and streams in flight and closes the connection; later calls fail at once. */
  close(): Promise<void> {
    return this.t.close();
  }
}

function bindingsOf(res: InternalListInputBindingsResponse): InputBindingInfo[] {
  return res.bindings;
}

function componentsOf(res: ListComponentsResponse): RegisteredComponent[] {
  return res.components;
}
