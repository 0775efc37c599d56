// The app channel for apps speaking gRPC (app-protocol grpc or grpcs): service invocation is
// AppCallback.OnInvoke (spec grpc-api.md 3), health probes AppCallbackHealthCheck.HealthCheck,
// and callRaw() / callRawStream() forward any method with its bytes untouched (gRPC proxying).
//
// Proxying: a call that sent one request message (unary or server streaming, which look the same
// until the answer comes) goes through callRaw, made as a server-streaming call; an answer of one
// message and a status is a unary answer (RawUnaryResult, the fast path). An answer that turns
// out to stream (a second message, nothing but OK, or headers/a message and no status within
// UPGRADE_AFTER_MS) is handed over as it stands: `stream` carries the whole answer from there
// (RawCallStream). A call that streams its request goes through callRawStream (a bidirectional
// call). Metadata, headers, trailers and statuses pass through; the caller's deadline and abort
// reach the app's call.
//
// The app's answer passes through whatever its status: a non-OK gRPC status resolves as an
// InternalInvokeResponse carrying that code, message and details (google.rpc.Status from
// grpc-status-details-bin). Only channel failures reject: nothing listening / connection lost
// (InvokeErrors.appUnavailable), the caller's abort or deadline, app health checks failing.
// grpc-js reports "could not connect" as UNAVAILABLE like any server status, so a transport
// failure is recognised by grpc-js' own status texts (TRANSPORT_FAILURE below).
//
// One grpc-js client (one HTTP/2 channel) per app channel. Reconnect backoff is capped at 1 s, so
// an app that restarts is reached again quickly. grpcs does not verify the app's certificate
// (as daprd's app channel): the app listens on the channel address with a self-signed cert.
import * as grpc from '@grpc/grpc-js';
import { AppCallbackClient, AppCallbackHealthCheckService, AppCallbackService, AppCallbackStatusError, InvokeErrors } from '@tessera/contracts';
import type {
  AppCallbackMethod,
  AppChannel,
  CallContext,
  GrpcProxyFrame,
  InternalInvokeRequest,
  InternalInvokeResponse,
  InvokeRequest,
  InvokeResponse,
} from '@tessera/contracts';
import type { Logger } from '@tessera/observability';
import type { AppHealthChecker } from './app-health-checker';
import { CallWatch } from './call-watch';
import { decodeStatusDetails } from './grpc-status';
import { DAPR_API_TOKEN, fromGrpcMetadata, toAppGrpcMetadata } from './headers';
import { RawCallStream } from './raw-call-stream';
import { Semaphore } from './semaphore';

export type GrpcAppProtocol = 'grpc' | 'grpcs';

export interface GrpcAppChannelOptions {
  readonly appId: string;
  /** Default `grpc`. */
  readonly protocol?: GrpcAppProtocol;
  readonly host: string;
  readonly port: number;
  /** --app-max-concurrency; undefined or < 1 = unlimited. */
  readonly maxConcurrency?: number;
  /** APP_API_TOKEN, sent as `dapr-api-token` metadata on every call to the app. */
  readonly appApiToken?: string;
  readonly healthChecker?: AppHealthChecker;
  /** Max message size both ways (--max-body-size); default 4 MiB. */
  readonly maxMessageBytes?: number;
  readonly logger?: Logger;
}

/** What callRaw resolves with: the app's answer, whatever its status. */
export interface RawUnaryResult {
  /** Serialized response message; empty when the status is not OK. */
  readonly response: Buffer;
  /** Response headers (initial metadata); empty when the app answered trailers-only. */
  readonly metadata: grpc.Metadata;
  readonly trailers: grpc.Metadata;
  readonly status: { readonly code: grpc.status; readonly details: string };
  /**
   * The answer streams: status is OK and everything else (headers, messages, the real status)
   * comes on this stream. Read it to the end or return() it (which cancels the app's call).
   */
  readonly stream?: AsyncIterableIterator<GrpcProxyFrame>;
}

interface UnaryOutcome<Res> {
  readonly response: Res | undefined;
  readonly headers: grpc.Metadata | undefined;
  readonly code: grpc.status;
  readonly details: string;
  readonly trailers: grpc.Metadata;
  readonly stream?: RawCallStream;
}

/**
 * A unary-looking proxied call that has answered headers or a message but no status after this
 * long is treated as a stream (its answer is forwarded as it comes). A unary answer's message and
 * status arrive together, so this only delays a stream's first message.
 */
export const UPGRADE_AFTER_MS = 10;

/** grpc-js' own UNAVAILABLE texts for "the call never reached the app / the connection broke". */
const TRANSPORT_FAILURE =
  /^(?:\w+: )?No connection established|^Connection dropped|^Stream refused by server|^Name resolution failed|^Channel closed before call started|^Subchannel not ready|^Write failed with error/;

const identity = (b: Buffer): Buffer => b;
const DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024;

export class GrpcAppChannel implements AppChannel {
  readonly protocol: GrpcAppProtocol;
  readonly appId: string;
  readonly healthChecker: AppHealthChecker | undefined;
  /** The grpc-js client (AppCallback); other AppCallback* methods may be called on it. */
  readonly client: AppCallbackClient;
  private readonly appApiToken: string | undefined;
  private readonly limiter: Semaphore | undefined;
  private closed = false;

  constructor(opts: GrpcAppChannelOptions) {
    this.protocol = opts.protocol ?? 'grpc';
    this.appId = opts.appId;
    this.appApiToken = opts.appApiToken !== '' ? opts.appApiToken : undefined;
    this.healthChecker = opts.healthChecker;
    const max = opts.maxConcurrency !== undefined && opts.maxConcurrency >= 1 ? Math.floor(opts.maxConcurrency) : undefined;
    this.limiter = max !== undefined ? new Semaphore(max) : undefined;
    const host = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
    const creds =
      this.protocol === 'grpcs'
        ? grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false, checkServerIdentity: () => undefined })
        : grpc.credentials.createInsecure();
    const size = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    this.client = new AppCallbackClient(`${host}:${opts.port}`, creds, {
      'grpc.max_receive_message_length': size,
      'grpc.max_send_message_length': size,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.enable_channelz': 0, // nothing reads it; saves bookkeeping on every call
    });
  }

  /** Calls holding / waiting for an --app-max-concurrency slot (both 0 when unlimited). */
  get inFlight(): number {
    return this.limiter?.inFlight ?? 0;
  }
  get waiting(): number {
    return this.limiter?.waiting ?? 0;
  }

  healthy(): boolean {
    return this.healthChecker?.healthy() ?? true;
  }

  async invokeMethod(req: InternalInvokeRequest, ctx: CallContext): Promise<InternalInvokeResponse> {
    const md = new grpc.Metadata();
    toAppGrpcMetadata(req.metadata, ctx, this.appApiToken, (k, v) => md.add(k, v));
    const msg: InvokeRequest = req.message ?? { method: '', data: undefined, contentType: '', httpExtension: undefined };
    const d = AppCallbackService.onInvoke;
    const out = await this.guarded(ctx, (watch) =>
      this.unary<InvokeRequest, InvokeResponse>(d.path, d.requestSerialize, d.responseDeserialize, msg, md, ctx.deadline, watch),
    );
    const trailers = fromGrpcMetadata(out.trailers.toJSON());
    const headers = out.headers !== undefined ? fromGrpcMetadata(out.headers.toJSON()) : {};
    if (out.code === grpc.status.OK) {
      return {
        status: { code: grpc.status.OK, message: '', details: [] },
        headers,
        trailers,
        message: out.response ?? { data: undefined, contentType: '' },
      };
    }
    const bin = out.trailers.get('grpc-status-details-bin')[0];
    return {
      status: { code: out.code, message: out.details, details: Buffer.isBuffer(bin) ? decodeStatusDetails(bin) : [] },
      headers,
      trailers,
      message: undefined,
    };
  }

  /** AppChannel.callback: one unary AppCallback / AppCallbackAlpha method (pub/sub, bindings, ...). */
  async callback<Req, Res>(method: AppCallbackMethod<Req, Res>, req: Req, ctx: CallContext): Promise<Res> {
    const md = new grpc.Metadata();
    toAppGrpcMetadata({}, ctx, this.appApiToken, (k, v) => md.add(k, v));
    const out = await this.guarded(ctx, (watch) =>
      this.unary<Req, Res>(method.path, method.requestSerialize, method.responseDeserialize, req, md, ctx.deadline, watch),
    );
    if (out.code !== grpc.status.OK || out.response === undefined) {
      throw new AppCallbackStatusError(out.code === grpc.status.OK ? grpc.status.UNIMPLEMENTED : out.code, out.details, method.path);
    }
    return out.response;
  }

  /**
   * Calls unary `path` (`/pkg.Service/Method`) on the app with `request` already serialized and
   * returns the serialized answer (gRPC proxying). `metadata` is copied; `dapr-api-token` is
   * replaced by APP_API_TOKEN (or removed) and `traceparent`/`tracestate` come from ctx when set.
   */
  async callRaw(path: string, request: Buffer, metadata: grpc.Metadata, ctx: CallContext): Promise<RawUnaryResult> {
    const md = this.rawMetadata(metadata, ctx);
    const out = await this.guarded(ctx, (watch) => this.rawUnary(path, request, md, ctx.deadline, watch));
    return {
      response: out.code === grpc.status.OK && out.response !== undefined ? out.response : Buffer.alloc(0),
      metadata: out.headers ?? new grpc.Metadata(),
      trailers: out.trailers,
      status: { code: out.code, details: out.details },
      ...(out.stream !== undefined ? { stream: out.stream } : {}),
    };
  }

  /**
   * Calls `path` on the app as a bidirectional call: `input` (serialized request messages) is
   * written as the app takes it, then the call is half-closed; the answer is the app's, frame by
   * frame (headers, messages, status). Throws at once when the app is unhealthy or the channel
   * closed; the caller's abort or deadline cancel the app's call and fail the iteration;
   * return() cancels it. `metadata` is treated as in callRaw. No --app-max-concurrency slot is
   * held by a stream.
   */
  callRawStream(path: string, input: AsyncIterable<Uint8Array>, metadata: grpc.Metadata, ctx: CallContext): AsyncIterableIterator<GrpcProxyFrame> {
    if (this.healthChecker !== undefined && !this.healthChecker.healthy()) throw InvokeErrors.appUnavailable(this.appId);
    if (this.closed) throw InvokeErrors.appUnavailable(this.appId, 'app channel is closed');
    const md = this.rawMetadata(metadata, ctx);
    const watch = CallWatch.for(this.appId, ctx);
    if (watch.error !== undefined) throw watch.error;
    const options: grpc.CallOptions = ctx.deadline !== undefined ? { deadline: ctx.deadline } : {};
    let call: grpc.ClientDuplexStream<Buffer, Buffer>;
    try {
      call = this.client.makeBidiStreamRequest(path, identity, identity, md, options);
    } catch (e) {
      watch.dispose();
      throw InvokeErrors.failed(this.appId, `error invoking app channel: ${(e as Error).message}`);
    }
    const s = new RawCallStream(this.appId, call, watch);
    s.pump(input);
    return s;
  }

  /** The caller's metadata for the app: APP_API_TOKEN instead of theirs, the context's trace. */
  private rawMetadata(metadata: grpc.Metadata, ctx: CallContext): grpc.Metadata {
    const md = metadata.clone();
    md.remove(DAPR_API_TOKEN);
    if (this.appApiToken !== undefined) md.set(DAPR_API_TOKEN, this.appApiToken);
    if (ctx.traceparent !== undefined && ctx.traceparent !== '') {
      md.set('traceparent', ctx.traceparent);
      if (ctx.tracestate !== undefined && ctx.tracestate !== '') md.set('tracestate', ctx.tracestate);
      else md.remove('tracestate');
    }
    return md;
  }

  /** One health probe: AppCallbackHealthCheck.HealthCheck answered OK. Never rejects. */
  async probe(signal: AbortSignal): Promise<boolean> {
    const md = new grpc.Metadata();
    if (this.appApiToken !== undefined) md.set(DAPR_API_TOKEN, this.appApiToken);
    const d = AppCallbackHealthCheckService.healthCheck;
    const watch = CallWatch.ofSignal(this.appId, signal);
    try {
      const out = await this.unary(d.path, d.requestSerialize, d.responseDeserialize, {}, md, undefined, watch);
      return out.code === grpc.status.OK;
    } catch {
      return false;
    } finally {
      watch.dispose();
    }
  }

  /** Stops the health checker and closes the gRPC channel. Calls made afterwards are refused. */
  async close(): Promise<void> {
    this.closed = true;
    this.healthChecker?.stop();
    this.client.close();
  }

  /** Health gate, --app-max-concurrency slot and cancellation around one call. */
  private async guarded<T>(ctx: CallContext, call: (watch: CallWatch) => Promise<T>): Promise<T> {
    if (this.healthChecker !== undefined && !this.healthChecker.healthy()) throw InvokeErrors.appUnavailable(this.appId);
    if (this.closed) throw InvokeErrors.appUnavailable(this.appId, 'app channel is closed');
    const watch = CallWatch.for(this.appId, ctx);
    try {
      if (this.limiter === undefined) return await call(watch);
      await this.limiter.acquire(watch);
      try {
        return await call(watch);
      } finally {
        this.limiter.release();
      }
    } finally {
      watch.dispose();
    }
  }

  /**
   * A raw unary call made as a server-streaming one (the same bytes on the wire), so an answer of
   * several messages is seen: a method that streams its response (a second message, OK without
   * a message, or headers / a message and no status within UPGRADE_AFTER_MS) is handed over to a
   * RawCallStream as it stands, resolving with `stream` set. (grpc-js' unary client would wait
   * forever for such a call to end.)
   */
  private rawUnary(path: string, request: Buffer, md: grpc.Metadata, deadline: number | undefined, watch: CallWatch): Promise<UnaryOutcome<Buffer>> {
    if (watch.error !== undefined) return Promise.reject(watch.error);
    return new Promise<UnaryOutcome<Buffer>>((resolve, reject) => {
      let settled = false;
      let headers: grpc.Metadata | undefined;
      const messages: Buffer[] = [];
      let status: grpc.StatusObject | undefined;
      let ended = false;
      let upgradeTimer: NodeJS.Timeout | undefined;
      const options: grpc.CallOptions = deadline !== undefined ? { deadline } : {};
      const budgetMs = deadline !== undefined ? Math.max(0, Math.ceil(deadline - Date.now())) : 0;
      let call: grpc.ClientReadableStream<Buffer>;
      try {
        call = this.client.makeServerStreamRequest(path, identity, identity, request, md, options);
      } catch (e) {
        reject(InvokeErrors.failed(this.appId, `error invoking app channel: ${(e as Error).message}`));
        return;
      }
      const settle = (outcome: UnaryOutcome<Buffer>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(upgradeTimer);
        watch.onAbort(undefined);
        resolve(outcome);
      };
      // The answer streams: from here a RawCallStream reads the call (no event is lost: the
      // listeners change hands synchronously).
      const upgrade = (): void => {
        if (settled) return;
        call.off('metadata', onMetadata);
        call.off('data', onData);
        call.off('end', onEnd);
        call.off('status', onStatus);
        const stream = new RawCallStream(this.appId, call, undefined, { headers, messages });
        if (ended) stream.onReadEnd();
        if (status !== undefined) stream.onStatusObject(status);
        settle({ response: undefined, headers: undefined, code: grpc.status.OK, details: '', trailers: new grpc.Metadata(), stream });
      };
      const armUpgrade = (): void => {
        if (upgradeTimer === undefined && !settled) upgradeTimer = setTimeout(upgrade, UPGRADE_AFTER_MS);
      };
      // Runs once the status is in and, for OK, every message has been read.
      const finish = (): void => {
        if (settled || status === undefined || (status.code === grpc.status.OK && !ended)) return;
        const { code, details, metadata: trailers } = status;
        if (code === grpc.status.UNAVAILABLE && TRANSPORT_FAILURE.test(details)) {
          settled = true;
          clearTimeout(upgradeTimer);
          watch.onAbort(undefined);
          reject(InvokeErrors.appUnavailable(this.appId, `error invoking app channel: ${details}`));
          return;
        }
        if (code === grpc.status.DEADLINE_EXCEEDED && deadline !== undefined && Date.now() >= deadline - 1) {
          settled = true;
          clearTimeout(upgradeTimer);
          watch.onAbort(undefined);
          reject(watch.error ?? InvokeErrors.timeout(this.appId, budgetMs));
          return;
        }
        // OK without a message: a server stream of nothing (a unary client reports it itself)
        if (code === grpc.status.OK && messages.length === 0) return upgrade();
        settle({ response: code === grpc.status.OK ? messages[0] : undefined, headers, code, details, trailers });
      };
      const onMetadata = (m: grpc.Metadata): void => {
        headers = m;
        armUpgrade();
      };
      const onData = (m: Buffer): void => {
        messages.push(m);
        if (messages.length === 2) upgrade();
        else armUpgrade();
      };
      const onEnd = (): void => {
        ended = true;
        finish();
      };
      const onStatus = (s: grpc.StatusObject): void => {
        status = s;
        finish();
      };
      call.on('metadata', onMetadata);
      call.on('data', onData);
      call.on('end', onEnd);
      // A non-OK status is also emitted as 'error'; 'status' carries everything needed.
      call.on('error', () => undefined);
      call.on('status', onStatus);
      watch.onAbort((err) => {
        if (settled) return;
        settled = true;
        clearTimeout(upgradeTimer);
        reject(err);
        call.cancel();
      });
    });
  }

  private unary<Req, Res>(
    path: string,
    serialize: (value: Req) => Buffer,
    deserialize: (value: Buffer) => Res,
    arg: Req,
    md: grpc.Metadata,
    deadline: number | undefined,
    watch: CallWatch,
  ): Promise<UnaryOutcome<Res>> {
    if (watch.error !== undefined) return Promise.reject(watch.error);
    return new Promise<UnaryOutcome<Res>>((resolve, reject) => {
      let settled = false;
      let headers: grpc.Metadata | undefined;
      let response: Res | undefined;
      let error: grpc.ServiceError | null = null;
      const options: grpc.CallOptions = deadline !== undefined ? { deadline } : {};
      const budgetMs = deadline !== undefined ? Math.max(0, Math.ceil(deadline - Date.now())) : 0;
      let call: grpc.ClientUnaryCall;
      try {
        call = this.client.makeUnaryRequest(path, serialize, deserialize, arg, md, options, (e, r) => {
          error = e;
          response = r;
        });
      } catch (e) {
        reject(InvokeErrors.failed(this.appId, `error invoking app channel: ${(e as Error).message}`));
        return;
      }
      call.on('metadata', (m: grpc.Metadata) => {
        headers = m;
      });
      // grpc-js runs the callback first, then emits 'status' (which carries the trailers).
      call.on('status', (s: grpc.StatusObject) => {
        if (settled) return;
        settled = true;
        watch.onAbort(undefined);
        const e = error as grpc.ServiceError | null;
        const code = e !== null ? e.code : s.code;
        const details = e !== null ? e.details : s.details;
        if (code === grpc.status.UNAVAILABLE && TRANSPORT_FAILURE.test(details)) {
          reject(InvokeErrors.appUnavailable(this.appId, `error invoking app channel: ${details}`));
          return;
        }
        if (code === grpc.status.DEADLINE_EXCEEDED && deadline !== undefined && Date.now() >= deadline - 1) {
          // grpc-js' own deadline timer, not the app's answer.
          reject(watch.error ?? InvokeErrors.timeout(this.appId, budgetMs));
          return;
        }
        resolve({ response: code === grpc.status.OK ? response : undefined, headers, code, details, trailers: s.metadata });
      });
      watch.onAbort((err) => {
        if (settled) return;
        settled = true;
        reject(err);
        call.cancel();
      });
    });
  }
}
