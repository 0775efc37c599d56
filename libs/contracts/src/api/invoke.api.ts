// Service invocation, protocol-neutral. An invocation crosses the runtime as Dapr's own internal
// messages (dapr.proto.internals.v1 InternalInvokeRequest / InternalInvokeResponse): the caller's
// edge builds the request (HTTP or gRPC), the caller's gateway applies resiliency and sends it to
// the callee's gateway (or its own app), the callee's gateway checks access control and calls its
// app over the app channel, and the answer travels back unchanged.
import type { CallContext } from '../call-context';
import type {
  InternalInvokeRequest,
  InternalInvokeResponse,
} from '../generated/dapr/proto/internals/v1/service_invocation';
import type { GrpcProxyFrame } from '../generated/tessera/internal/v1/invoke';

/** Who is calling, as the caller's gateway vouches for it over the internal transport. */
export interface CallerIdentity {
  readonly appId: string;
  readonly namespace: string;
  /** Access-control trust domain; 'public' unless the caller's Configuration sets another. */
  readonly trustDomain: string;
}

/** Outbound side, used by the edges: `/v1.0/invoke/{appId}/method/...`, gRPC InvokeService, proxying. */
export interface InvokeApi {
  /**
   * Invokes `method` on `targetAppId` (an app id, `appId.namespace`, an HTTPEndpoint name or an
   * http(s) URL). Resolves with the callee's answer whatever its status (a non-2xx app answer is
   * not an error); rejects with an ApiError (ERR_DIRECT_INVOKE …) when the call could not be made.
   */
  invoke(targetAppId: string, req: InternalInvokeRequest, ctx: CallContext): Promise<InternalInvokeResponse>;
  /**
   * gRPC proxying of a call that streams its request (client streaming or bidirectional): `req`
   * names the method (message.method = full gRPC path, content type GRPC_PROXY_CONTENT_TYPE, no
   * data) and carries the caller's metadata; `input` is the caller's request messages, taken as
   * the callee can receive them. Yields the app's answer (headers, messages, status); throws an
   * ApiError when the call could not be made or broke. Leaving the iteration early (return())
   * cancels the app's call, as does aborting ctx.signal. No resiliency retries: a stream is not
   * replayed.
   */
  invokeStream?(targetAppId: string, req: InternalInvokeRequest, input: AsyncIterable<Uint8Array>, ctx: CallContext): AsyncIterable<GrpcProxyFrame>;
}

/** Inbound side at the callee's gateway (daprd's CallLocal): access control, then the app. */
export interface LocalInvokeApi {
  callLocal(req: InternalInvokeRequest, caller: CallerIdentity, ctx: CallContext): Promise<InternalInvokeResponse>;
  /** The inbound side of InvokeApi.invokeStream: access control, then the app's stream. */
  callLocalStream?(req: InternalInvokeRequest, caller: CallerIdentity, input: AsyncIterable<Uint8Array>, ctx: CallContext): AsyncIterable<GrpcProxyFrame>;
}

/**
 * The channel from a gateway into its app (ARCHITECTURE.md "app channel"), HTTP or gRPC as the
 * app chose. Later blocks add pub/sub delivery, bindings, actors on the same channel.
 */
export interface AppChannel {
  /** `http`, `https`, `h2c`, `grpc` or `grpcs`. */
  readonly protocol: string;
  /** Calls the app; the answer is the app's, whatever its status. Rejects only when the app could not be reached. */
  invokeMethod(req: InternalInvokeRequest, ctx: CallContext): Promise<InternalInvokeResponse>;
  /** False while app health checks say the app is unhealthy (app-bound calls are then refused). */
  healthy(): boolean;
  /**
   * gRPC apps only (undefined on HTTP channels): calls one unary method of the app's AppCallback
   * or AppCallbackAlpha service (OnTopicEvent, ListTopicSubscriptions, OnBulkTopicEventAlpha1,
   * OnBindingEvent, ListInputBindings, ...) under the same health gate, --app-max-concurrency
   * slot, APP_API_TOKEN and ctx deadline/abort as invokeMethod. Resolves with the app's answer;
   * a non-OK gRPC status rejects with AppCallbackStatusError (its `code` is the gRPC code); a
   * channel failure rejects like invokeMethod.
   */
  callback?<Req, Res>(method: AppCallbackMethod<Req, Res>, req: Req, ctx: CallContext): Promise<Res>;
  /**
   * gRPC apps only: a proxied gRPC call that streams its request (see InvokeApi.invokeStream),
   * under the same health gate, APP_API_TOKEN and ctx deadline/abort as invokeMethod.
   */
  invokeStream?(req: InternalInvokeRequest, input: AsyncIterable<Uint8Array>, ctx: CallContext): AsyncIterable<GrpcProxyFrame>;
}

/**
 * A proxied gRPC call (GRPC_PROXY_CONTENT_TYPE) that looked unary (one request message) may turn
 * out to stream its answer (server streaming, or bidirectional with one request message): its
 * InternalInvokeResponse then has status OK and nothing else, and the whole answer (headers,
 * messages, status) follows on this stream. In-process only (a symbol key); the internal
 * transport carries it as an upgraded CallLocal (invoke.proto).
 */
export const PROXY_STREAM: unique symbol = Symbol.for('tessera.proxyStream');

/** Attaches the rest of a streamed answer to its (head) response; returns `res`. */
export function withProxyStream(res: InternalInvokeResponse, stream: AsyncIterable<GrpcProxyFrame>): InternalInvokeResponse {
  (res as { [PROXY_STREAM]?: AsyncIterable<GrpcProxyFrame> })[PROXY_STREAM] = stream;
  return res;
}

/** The stream attached by withProxyStream, if any. */
export function proxyStreamOf(res: InternalInvokeResponse): AsyncIterable<GrpcProxyFrame> | undefined {
  return (res as { [PROXY_STREAM]?: AsyncIterable<GrpcProxyFrame> })[PROXY_STREAM];
}

/** A unary method of the app callback services, as the generated grpc-js service definitions describe it. */
export interface AppCallbackMethod<Req, Res> {
  readonly path: string;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (value: Buffer) => Res;
}

/** A gRPC app answered an AppChannel.callback() with a non-OK status. */
export class AppCallbackStatusError extends Error {
  readonly kind = 'tessera.app-callback-status' as const;
  constructor(
    readonly code: number,
    readonly details: string,
    readonly path: string,
  ) {
    super(`app answered ${path} with gRPC status ${code}: ${details}`);
    this.name = 'AppCallbackStatusError';
  }
}

export function isAppCallbackStatusError(e: unknown): e is AppCallbackStatusError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.app-callback-status';
}

/**
 * Content type marking an InternalInvokeRequest that carries one raw gRPC message to proxy to
 * the callee app's method `message.method` (a full gRPC path such as `/pkg.Svc/Method`).
 */
export const GRPC_PROXY_CONTENT_TYPE = 'application/grpc';

export const INVOKE_API = Symbol.for('tessera.InvokeApi');
export const LOCAL_INVOKE_API = Symbol.for('tessera.LocalInvokeApi');
export const APP_CHANNEL = Symbol.for('tessera.AppChannel');
