// Service invocation on the gRPC API: `Dapr/InvokeService` (an HTTP or gRPC callee), and
// proxying of any other method carrying `dapr-app-id` metadata to that app's gRPC server through
// its gateway (spec/grpc-api.md section 0), every kind of method:
//  - one request message then the half-close (unary or server streaming: they look the same
//    until the answer comes) takes InvokeApi.invoke, the unary fast path with resiliency; an
//    answer that streams comes back with the rest attached (proxyStreamOf) and is forwarded as it
//    arrives;
//  - anything else (a second message, no half-close within STREAM_DECIDE_MS of the first message,
//    or a half-close without any message: client streaming or bidirectional) takes
//    InvokeApi.invokeStream, one stream each way, no retries.
import * as grpc from '@grpc/grpc-js';
import { GRPC_PROXY_CONTENT_TYPE, HTTPExtension_Verb, errorInfo, httpToGrpcCode, isApiError, proxyStreamOf } from '@tessera/contracts';
import type { ApiError, CallContext, InternalInvokeRequest, InternalInvokeResponse, InvokeApi, InvokeResponse, ListStringValue } from '@tessera/contracts';
import { CALL_ENDED } from './call-context';
import type { CallLifetime } from './call-context';
import { pipeAnswer, ProxyInput, toGrpcMetadata } from './proxy-stream';
import { encodeRichStatus } from './rich-status';

/**
 * A proxied call that sent one message and has not half-closed this long after it is taken for a
 * request stream. A unary client's half-close comes with its message (measured: tens of µs
 * later, before the next event-loop turn), so this only delays a bidirectional call's start.
 */
export const STREAM_DECIDE_MS = 2;


const SKIP_MD = new Set(['dapr-api-token', 'content-type', 'te', 'user-agent', 'grpc-accept-encoding', 'grpc-encoding', 'accept-encoding']);

export function metadataOf(md: grpc.Metadata): Record<string, ListStringValue> {
  const out: Record<string, ListStringValue> = {};
  const map = md.getMap();
  for (const k in map) {
    if (SKIP_MD.has(k)) continue;
    const v = map[k] as grpc.MetadataValue;
    const all = md.get(k).map((x) => (Buffer.isBuffer(x) ? x.toString('base64') : String(x)));
    out[k] = { values: all.length > 0 ? all : [Buffer.isBuffer(v) ? v.toString('base64') : String(v)] };
  }
  return out;
}

/**
 * The call's lifetime on the context: its deadline, and a signal aborted when the call is
 * cancelled (client cancel, deadline, disconnect), so the callee's app call is cancelled too
 * (daprd propagates the gRPC context end to end). The abort reason is the shared CALL_ENDED (a
 * DOMException with a stack per call cost ~40 µs in the invocation benchmark).
 */
export function withCallLifetime(ctx: CallContext, call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): CallContext {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  const controller = new AbortController();
  if (call.cancelled) controller.abort(CALL_ENDED);
  else call.once('cancelled', () => controller.abort(CALL_ENDED));
  return { ...ctx, signal: controller.signal, ...(Number.isFinite(ms) ? { deadline: ms } : {}) };
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 409: 'Conflict', 429: 'Too Many Requests', 500: 'Internal Server Error',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** The answer of InvokeService: OK with the callee's body, or the callee's failure as a gRPC error. */
function invokeServiceAnswer(res: InternalInvokeResponse): { ok: InvokeResponse } | { err: Partial<grpc.ServiceError> } {
  const code = res.status?.code ?? 0;
  const message: InvokeResponse = res.message ?? { data: undefined, contentType: '' };
  if (code === 0 || (code >= 200 && code < 300)) return { ok: message };
  if (code < 100) return { err: { code, details: res.status?.message ?? '', metadata: new grpc.Metadata() } };
  // An HTTP callee's non-2xx answer (daprd: mapped code + ErrorInfo with the HTTP status).
  const text = STATUS_TEXT[code] ?? `HTTP ${code}`;
  const body = (message.data?.value ?? Buffer.alloc(0)).toString('utf8').slice(0, 63);
  const md = new grpc.Metadata();
  md.set('dapr-http-status', String(code));
  const e: Partial<ApiError> = {
    code: 'ERR_DIRECT_INVOKE',
    message: body,
    grpcCode: httpToGrpcCode(code),
    details: [errorInfo(text, { 'http.code': String(code), 'http.error_message': body })],
  };
  md.set('grpc-status-details-bin', encodeRichStatus(e as ApiError));
  return { err: { code: httpToGrpcCode(code), details: body, metadata: md } };
}

/**
 * InvokeService. The context (ctxOf with the call and its deadline) makes its abort signal only
 * if something asks for it: the invoke block and the internal transport watch the call through
 * the lazy-abort protocol, so a cancel before the answer still cancels the callee's app call
 * (as daprd propagates the gRPC context end to end) without an AbortController per call.
 */
export function invokeServiceHandler(
  invoke: InvokeApi,
  ctxOf: (md: grpc.Metadata, call: CallLifetime, deadline: number | undefined) => CallContext,
  toServiceError: (e: ApiError) => Partial<grpc.ServiceError>,
  toError: (e: unknown) => ApiError,
): grpc.handleUnaryCall<{ id: string; message?: InternalInvokeRequest['message'] }, InvokeResponse> {
  return (call, callback) => {
    const req: InternalInvokeRequest = {
      ver: 1,
      metadata: metadataOf(call.metadata),
      message: call.request.message ?? { method: '', data: undefined, contentType: '', httpExtension: undefined },
      actor: undefined,
    };
    const d = call.getDeadline();
    const ms = d instanceof Date ? d.getTime() : d;
    invoke.invoke(call.request.id, req, ctxOf(call.metadata, call, Number.isFinite(ms) ? ms : undefined)).then(
      (res) => {
        const a = invokeServiceAnswer(res);
        if ('ok' in a) callback(null, a.ok);
        else callback(a.err);
      },
      (e: unknown) => callback(toServiceError(isApiError(e) ? e : toError(e))),
    );
  };
}

/**
 * A handler for methods the gateway does not serve: with `dapr-app-id` metadata the call is
 * proxied to that app; otherwise UNIMPLEMENTED as any gRPC server answers.
 */
export function proxyHandler(
  path: string,
  invoke: InvokeApi,
  ctxOf: (md: grpc.Metadata) => CallContext,
  toServiceError: (e: ApiError) => Partial<grpc.ServiceError>,
  toError: (e: unknown) => ApiError,
): grpc.handleBidiStreamingCall<Buffer, Buffer> {
  return (call) => {
    const target = call.metadata.get('dapr-app-id')[0];
    if (typeof target !== 'string' || target === '') {
      call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: `unknown method ${path}` });
      return;
    }
    const ctx = withCallLifetime(ctxOf(call.metadata), call);
    const chunks: Buffer[] = [];
    let decided = false;
    let timer: NodeJS.Timeout | undefined;
    const request = (data: Buffer | undefined): InternalInvokeRequest => {
      const md = metadataOf(call.metadata);
      delete md['dapr-app-id'];
      return {
        ver: 1,
        metadata: md,
        message: {
          method: path,
          data: data === undefined ? undefined : { typeUrl: '', value: data },
          contentType: GRPC_PROXY_CONTENT_TYPE,
          httpExtension: { verb: HTTPExtension_Verb.NONE, querystring: '' },
        },
        actor: undefined,
      };
    };
    // The request streams: from here the route reads the client's messages as it can take them.
    const streamed = (halfClosed: boolean): void => {
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      call.off('data', onData);
      call.off('end', onEnd);
      if (invoke.invokeStream === undefined) {
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'this runtime does not proxy streaming gRPC calls' });
        return;
      }
      const input = new ProxyInput(call, chunks, halfClosed);
      void pipeAnswer(call, invoke.invokeStream(target, request(undefined), input, ctx), toServiceError, toError).finally(() => void input.return());
    };
    const onData = (b: Buffer): void => {
      chunks.push(b);
      if (chunks.length === 1) timer = setTimeout(streamed, STREAM_DECIDE_MS, false);
      else streamed(false);
    };
    const unary = (message: Buffer): void => {
      invoke.invoke(target, request(message), ctx).then(
        (res) => {
          const rest = proxyStreamOf(res);
          if (rest !== undefined) {
            void pipeAnswer(call, rest, toServiceError, toError);
            return;
          }
          const code = res.status?.code ?? 0;
          if (Object.keys(res.headers).length > 0) call.sendMetadata(toGrpcMetadata(res.headers));
          if (code !== 0) {
            const trailers = toGrpcMetadata(res.trailers);
            call.emit('error', { code, details: res.status?.message ?? '', metadata: trailers });
            return;
          }
          call.write(res.message?.data?.value ?? Buffer.alloc(0));
          call.end(toGrpcMetadata(res.trailers));
        },
        (e: unknown) => call.emit('error', toServiceError(isApiError(e) ? e : toError(e))),
      );
    };
    const onEnd = (): void => {
      if (decided) return;
      if (chunks.length !== 1) return streamed(true);
      decided = true;
      clearTimeout(timer);
      call.off('data', onData);
      unary(chunks[0] as Buffer);
    };
    call.on('data', onData);
    call.on('end', onEnd);
  };
}

/**
 * Routes calls to unknown methods to `fallback` (grpc-js has no public catch-all; this wraps its
 * handler lookup, the one internal it relies on, checked by a test).
 */
export function installFallbackHandler(server: grpc.Server, fallback: (path: string) => grpc.handleBidiStreamingCall<Buffer, Buffer>): void {
  const s = server as unknown as { _retrieveHandler?: (path: string) => unknown };
  const original = s._retrieveHandler?.bind(server);
  if (!original) throw new Error('@grpc/grpc-js internals changed: Server._retrieveHandler is gone; gRPC proxying needs another hook');
  const identity = (b: Buffer): Buffer => b;
  s._retrieveHandler = (path: string) =>
    original(path) ?? { func: fallback(path), serialize: identity, deserialize: identity, type: 'bidi', path };
}
