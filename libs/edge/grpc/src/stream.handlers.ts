// Server-streaming RPCs of the Dapr gRPC API on an API that returns an AsyncIterable (today:
// SubscribeConfiguration(+Alpha1)). Each item is written as it comes, waiting for the HTTP/2
// stream to drain when the client reads slowly; the API's error ends the call with Dapr's status;
// a client that cancels or goes away aborts ctx.signal and stops the iteration (which ends the
// subscription behind it). On shutdown the edge ends every open stream with OK, as daprd does when
// it closes its subscriptions.
import * as grpc from '@grpc/grpc-js';
import type { ApiError, CallContext } from '@tessera/contracts';

/** The streams a GrpcEdge has open, so close() can end them instead of waiting for them. */
export class OpenStreams {
  private readonly stops = new Set<() => void>();

  get size(): number {
    return this.stops.size;
  }

  add(stop: () => void): () => void {
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }

  endAll(): void {
    const all = [...this.stops];
    this.stops.clear();
    for (const s of all) s();
  }
}

export interface StreamHandlerDeps {
  readonly ctxOf: (md: grpc.Metadata) => CallContext;
  readonly apiToken?: string;
  readonly onCall?: (rpc: string) => void;
  readonly streams: OpenStreams;
  readonly toServiceError: (e: ApiError) => Partial<grpc.ServiceError>;
  readonly toError: (e: unknown) => ApiError;
}

export function serverStreamHandler<Req, Res>(
  rpc: string,
  open: (req: Req, ctx: CallContext) => AsyncIterable<Res>,
  deps: StreamHandlerDeps,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    if (deps.apiToken && call.metadata.get('dapr-api-token')[0] !== deps.apiToken) {
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'authentication error: api token mismatch' });
      return;
    }
    call.metadata.remove('dapr-api-token');
    deps.onCall?.(rpc);
    const ac = new AbortController();
    let finished = false;
    const finish = (): boolean => {
      if (finished) return false;
      finished = true;
      ac.abort();
      return true;
    };
    const remove = deps.streams.add(() => {
      if (finish()) call.end();
    });
    call.once('cancelled', finish);
    call.once('close', finish);
    const ctx: CallContext = { ...deps.ctxOf(call.metadata), signal: ac.signal };
    void (async () => {
      try {
        for await (const item of open(call.request, ctx)) {
          if (finished) break;
          if (!call.write(item)) await drained(call, ac.signal);
        }
        if (finish()) call.end();
      } catch (e) {
        if (finish()) call.emit('error', deps.toServiceError(deps.toError(e)));
      } finally {
        remove();
      }
    })();
  };
}

function drained(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
