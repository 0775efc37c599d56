// The app channel for apps speaking HTTP (app-protocol http, https or h2c): turns an
// InternalInvokeRequest into `{verb} /{method}?{querystring}` on the app and the app's answer
// (any status) into an InternalInvokeResponse (spec http-api.md 0 "App-side conventions", 1.1).
//
// Hot path: one pooled keep-alive connection set per channel (an undici Pool for http and https,
// one HTTP/2 session for h2c), a FIFO semaphore only when --app-max-concurrency is set, and a
// CallWatch only when the caller gave a signal or deadline. No per-call DI, no streams. The HTTP/1.1
// client is undici's dispatcher with one handler object per call: about a third less CPU per
// call than node:http's client (~95 instead of ~150 µs for a 1 KB echo on this machine), which was
// the largest single cost of the callee runtime on the invocation and pub/sub delivery paths. undici drops an
// idle keep-alive socket before the app's advertised Keep-Alive timeout and checks an idle socket
// for a pending FIN/RST before reusing it, so the "app just closed the pooled socket" race is
// rare; when it still happens before any answer, an idempotent request is sent again once on a
// fresh connection (a POST or PATCH is not: it may have reached the app). CONNECT (which answers
// with a tunnel) goes through node:http.
//
// https: by default the app's certificate is NOT verified (rejectUnauthorized false), as daprd's
// app channel does (InsecureSkipVerify): the app listens on the channel address, normally
// loopback or the same pod, with a self-signed certificate. Pass verifyTls: true whenever the
// channel crosses a network you do not trust (HTTPEndpoint / URL targets).
//
// Bodies are buffered (no streaming yet): the request body is InvokeRequest.data.value, the
// response body is read fully into InvokeResponse.data.value.
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { HTTPExtension_Verb, InvokeErrors } from '@tessera/contracts';
import type { AppChannel, CallContext, InternalInvokeRequest, InternalInvokeResponse } from '@tessera/contracts';
import type { Logger } from '@tessera/observability';
import type { AppHealthChecker } from './app-health-checker';
import { CallWatch } from './call-watch';
import { DAPR_API_TOKEN, fromHttp2, fromRawHeaders, toAppHttpHeaders, type HeaderMultiMap } from './headers';
import { Semaphore } from './semaphore';
import { channelError } from './transport-errors';

export type HttpAppProtocol = 'http' | 'https' | 'h2c';

export interface HttpAppChannelOptions {
  /** The app behind this channel (named in errors). */
  readonly appId: string;
  /** Default `http`. */
  readonly protocol?: HttpAppProtocol;
  /** --app-channel-address, e.g. 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  /** --app-max-concurrency; undefined or < 1 = unlimited. */
  readonly maxConcurrency?: number;
  /** APP_API_TOKEN, sent as `dapr-api-token` on every request to the app. */
  readonly appApiToken?: string;
  /** When given, healthy() delegates to it and calls are refused while it says unhealthy. */
  readonly healthChecker?: AppHealthChecker;
  /**
   * https only: verify the server certificate. Default false (the local app's self-signed
   * certificate, as daprd); set true when the channel points at a remote endpoint (HTTPEndpoint
   * or URL targets).
   */
  readonly verifyTls?: boolean;
  readonly logger?: Logger;
}

interface Outgoing {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** HTTPExtension_Verb -> HTTP method; NONE (a gRPC caller without http_extension) -> POST. */
const VERBS: Readonly<Record<number, string>> = {
  [HTTPExtension_Verb.NONE]: 'POST',
  [HTTPExtension_Verb.GET]: 'GET',
  [HTTPExtension_Verb.HEAD]: 'HEAD',
  [HTTPExtension_Verb.POST]: 'POST',
  [HTTPExtension_Verb.PUT]: 'PUT',
  [HTTPExtension_Verb.DELETE]: 'DELETE',
  [HTTPExtension_Verb.CONNECT]: 'CONNECT',
  [HTTPExtension_Verb.OPTIONS]: 'OPTIONS',
  [HTTPExtension_Verb.TRACE]: 'TRACE',
  [HTTPExtension_Verb.PATCH]: 'PATCH',
};

/** Methods that carry no body by default: no Content-Length: 0 when the body is empty. */
const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** Characters allowed as-is in a request path; everything else is percent-encoded. */
const PATH_UNSAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g;

export function verbOf(verb: HTTPExtension_Verb | undefined): string {
  return (verb !== undefined ? VERBS[verb] : undefined) ?? 'POST';
}

/** `/{method}?{querystring}`; `method` may or may not start with `/`. */
export function appPath(method: string, querystring: string): string {
  let p = method.startsWith('/') ? method : `/${method}`;
  p = p.replace(PATH_UNSAFE, encodeURIComponent);
  const q = querystring.startsWith('?') ? querystring.slice(1) : querystring;
  return q === '' ? p : `${p}?${q}`;
}

export class HttpAppChannel implements AppChannel {
  readonly protocol: HttpAppProtocol;
  readonly appId: string;
  readonly healthChecker: AppHealthChecker | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly appApiToken: string | undefined;
  private readonly limiter: Semaphore | undefined;
  /** http / https: the pooled HTTP/1.1 connections to the app. */
  private readonly pool: Pool | undefined;
  private readonly verifyTls: boolean;
  private readonly authority: string;
  private readonly logger: Logger | undefined;
  private h2: http2.ClientHttp2Session | undefined;
  private closed = false;

  constructor(opts: HttpAppChannelOptions) {
    this.protocol = opts.protocol ?? 'http';
    this.appId = opts.appId;
    this.host = opts.host.replace(/^\[(.*)\]$/, '$1'); // node:http wants IPv6 literals bare
    this.port = opts.port;
    this.appApiToken = opts.appApiToken !== '' ? opts.appApiToken : undefined;
    this.healthChecker = opts.healthChecker;
    this.logger = opts.logger;
    const max = opts.maxConcurrency !== undefined && opts.maxConcurrency >= 1 ? Math.floor(opts.maxConcurrency) : undefined;
    this.limiter = max !== undefined ? new Semaphore(max) : undefined;
    const hostForUrl = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.authority = `${this.protocol === 'https' ? 'https' : 'http'}://${hostForUrl}:${this.port}`;
    this.verifyTls = opts.verifyTls === true;
    // Connections: one per in-flight call at most (no pipelining), as many as --app-max-concurrency
    // allows or unbounded; idle ones are closed before the app's Keep-Alive timeout (4 s when it
    // sends none). No headers / body timeouts: a call lasts as long as its caller's deadline or
    // resiliency timeout allows (CallWatch), as with daprd's app channel.
    this.pool =
      this.protocol === 'h2c'
        ? undefined
        : new Pool(this.authority, {
            connections: max ?? null,
            pipelining: 1,
            headersTimeout: 0,
            bodyTimeout: 0,
            ...(this.protocol === 'https' ? { connect: { rejectUnauthorized: this.verifyTls } } : {}),
          });
  }

  /** `http://host:port` (or https) of the app. */
  get baseUrl(): string {
    return this.authority;
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
    if (this.healthChecker !== undefined && !this.healthChecker.healthy()) throw InvokeErrors.appUnavailable(this.appId);
    if (this.closed) throw InvokeErrors.appUnavailable(this.appId, 'app channel is closed');
    const msg = req.message;
    const ext = msg?.httpExtension;
    const method = verbOf(ext?.verb);
    const body = msg?.data?.value ?? EMPTY;
    const out: Outgoing = {
      method,
      path: appPath(msg?.method ?? '', ext?.querystring ?? ''),
      headers: toAppHttpHeaders(req.metadata, msg?.contentType ?? '', ctx, this.appApiToken),
      body,
    };
    if (body.length > 0 || !BODYLESS.has(method)) out.headers['content-length'] = String(body.length);
    const watch = CallWatch.for(this.appId, ctx);
    try {
      if (this.limiter === undefined) return await this.send(out, watch);
      await this.limiter.acquire(watch);
      try {
        return await this.send(out, watch);
      } finally {
        this.limiter.release();
      }
    } finally {
      watch.dispose();
    }
  }

  /**
   * One health probe: `GET <path>` answered 2xx. Bypasses --app-max-concurrency (as daprd's
   * probes do) and never rejects.
   */
  async probe(path: string, signal: AbortSignal): Promise<boolean> {
    const headers: Record<string, string> = {};
    if (this.appApiToken !== undefined) headers[DAPR_API_TOKEN] = this.appApiToken;
    const watch = CallWatch.ofSignal(this.appId, signal);
    try {
      const res = await this.send({ method: 'GET', path: appPath(path, ''), headers, body: EMPTY }, watch);
      const code = res.status?.code ?? 0;
      return code >= 200 && code < 300;
    } catch {
      return false;
    } finally {
      watch.dispose();
    }
  }

  /** Stops the health checker and closes pooled connections. Calls made afterwards are refused. */
  async close(): Promise<void> {
    this.closed = true;
    this.healthChecker?.stop();
    const pool = this.pool;
    if (pool !== undefined && !pool.destroyed) await pool.destroy().catch(() => undefined);
    const s = this.h2;
    this.h2 = undefined;
    if (s !== undefined && !s.destroyed) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private send(out: Outgoing, watch: CallWatch): Promise<InternalInvokeResponse> {
    if (watch.error !== undefined) return Promise.reject(watch.error);
    if (this.protocol === 'h2c') return this.sendH2(out, watch);
    if (out.method === 'CONNECT') return this.sendConnect(out, watch);
    return this.sendH1(out, watch, false);
  }

  /** The second and last attempt of an idempotent call whose connection broke before any answer. */
  private readonly retryH1 = (out: Outgoing, watch: CallWatch): Promise<InternalInvokeResponse> => this.sendH1(out, watch, true);

  private sendH1(out: Outgoing, watch: CallWatch, isRetry: boolean): Promise<InternalInvokeResponse> {
    return new Promise<InternalInvokeResponse>((resolve, reject) => {
      const pool = this.pool as Pool;
      const exchange = new H1Exchange(this.appId, out, watch, isRetry, resolve, reject, this.retryH1);
      try {
        pool.dispatch({ origin: this.authority, method: out.method, path: out.path, headers: out.headers, body: out.body.length > 0 ? out.body : null }, exchange);
      } catch (e) {
        exchange.onError(e as Error);
      }
    });
  }

  /** CONNECT: node:http reports the answer as 'connect' with the raw socket; the head is kept, the tunnel closed. */
  private sendConnect(out: Outgoing, watch: CallWatch): Promise<InternalInvokeResponse> {
    return new Promise<InternalInvokeResponse>((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        watch.onAbort(undefined);
        reject(channelError(this.appId, e));
      };
      let req: http.ClientRequest;
      try {
        const opts = { host: this.host, port: this.port, method: out.method, path: out.path, headers: out.headers, agent: false as const };
        req = this.protocol === 'https' ? https.request({ ...opts, rejectUnauthorized: this.verifyTls }) : http.request(opts);
      } catch (e) {
        fail(e);
        return;
      }
      const onResponse = (res: http.IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('app closed the connection mid-response'), { code: 'ECONNRESET' }));
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          watch.onAbort(undefined);
          const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          const trailers = res.rawTrailers.length > 0 ? fromRawHeaders(res.rawTrailers) : {};
          resolve(httpResponse(res.statusCode ?? 0, res.statusMessage ?? '', fromRawHeaders(res.rawHeaders), trailers, body));
        });
      };
      // A refused CONNECT comes back as an ordinary response; an accepted one as 'connect'.
      req.on('response', onResponse);
      req.on('connect', (res: http.IncomingMessage, socket: import('node:net').Socket) => {
        socket.destroy();
        if (settled) return;
        settled = true;
        watch.onAbort(undefined);
        resolve(httpResponse(res.statusCode ?? 0, res.statusMessage ?? '', fromRawHeaders(res.rawHeaders), {}, EMPTY));
      });
      req.on('error', fail);
      watch.onAbort((err) => {
        if (settled) return;
        settled = true;
        reject(err);
        req.destroy(err);
      });
      if (out.body.length > 0) req.end(out.body);
      else req.end();
    });
  }

  private session(): http2.ClientHttp2Session {
    const cur = this.h2;
    if (cur !== undefined && !cur.closed && !cur.destroyed) return cur;
    const s = http2.connect(this.authority);
    // Errors surface on the streams; without a listener a session error would crash the process.
    s.on('error', (e: Error) => this.logger?.debug('h2c session to app failed', { err: e.message }));
    const drop = (): void => {
      if (this.h2 === s) this.h2 = undefined;
    };
    s.on('close', drop);
    s.on('goaway', drop);
    this.h2 = s;
    return s;
  }

  private sendH2(out: Outgoing, watch: CallWatch): Promise<InternalInvokeResponse> {
    return new Promise<InternalInvokeResponse>((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        watch.onAbort(undefined);
        reject(channelError(this.appId, e));
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.session().request(h2Headers(out), { endStream: out.body.length === 0 });
      } catch (e) {
        fail(e);
        return;
      }
      let status = 0;
      let headers: HeaderMultiMap = {};
      let trailers: HeaderMultiMap = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[':status'] ?? 0);
        headers = fromHttp2(h);
      });
      stream.on('trailers', (t) => {
        trailers = fromHttp2(t);
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (settled) return;
        if (status === 0) {
          fail(Object.assign(new Error('app closed the stream without a response'), { code: 'ERR_HTTP2_STREAM_ERROR' }));
          return;
        }
        settled = true;
        watch.onAbort(undefined);
        const ct = headers['content-type']?.values[0] ?? '';
        resolve(httpResponse(status, '', headers, trailers, Buffer.concat(chunks), ct));
      });
      stream.on('error', fail);
      stream.on('close', () => {
        if (!settled) fail(Object.assign(new Error(`app stream closed (code ${stream.rstCode ?? 0})`), { code: 'ERR_HTTP2_STREAM_ERROR' }));
      });
      watch.onAbort((err) => {
        if (settled) return;
        settled = true;
        reject(err);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      if (out.body.length > 0) stream.end(out.body);
    });
  }
}

/** Methods RFC 9110 calls idempotent: safe to send again when the connection broke before any answer. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Socket errors meaning the connection broke (undici's own, or the errno it passes on). */
const BROKEN_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * One HTTP/1.1 call to the app as an undici dispatch handler (one object per call, no closures):
 * collects the answer, settles the call's promise once, and aborts the request when the caller
 * goes away or its deadline passes (CallWatch).
 */
class H1Exchange implements Dispatcher.DispatchHandler {
  private settled = false;
  private abortFn: ((reason: Error) => void) | undefined = undefined;
  private status = 0;
  private statusText = '';
  private rawHeaders: Buffer[] | undefined = undefined;
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly appId: string,
    private readonly out: Outgoing,
    private readonly watch: CallWatch,
    private readonly isRetry: boolean,
    private readonly resolve: (r: InternalInvokeResponse) => void,
    private readonly reject: (e: unknown) => void,
    private readonly retry: (out: Outgoing, watch: CallWatch) => Promise<InternalInvokeResponse>,
  ) {
    watch.onAbort((err) => {
      if (this.settled) return;
      this.settled = true;
      this.reject(err);
      this.abortFn?.(err);
    });
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.settled) abort(this.watch.error ?? new Error('call aborted'));
    else this.abortFn = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, statusText: string): boolean {
    this.status = statusCode;
    this.statusText = statusText;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(trailers: Buffer[] | string[] | null): void {
    if (this.settled) return;
    this.settled = true;
    this.watch.onAbort(undefined);
    const c = this.chunks;
    const body = c.length === 0 ? EMPTY : c.length === 1 ? (c[0] as Buffer) : Buffer.concat(c);
    const tr = trailers !== null && trailers.length > 0 ? fromRawHeaders(trailers) : {};
    this.resolve(httpResponse(this.status, this.statusText, this.rawHeaders !== undefined ? fromRawHeaders(this.rawHeaders) : {}, tr, body));
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.watch.onAbort(undefined);
    const code = (err as { code?: unknown }).code;
    if (!this.isRetry && this.status === 0 && typeof code === 'string' && BROKEN_CONNECTION.has(code) && IDEMPOTENT.has(this.out.method)) {
      this.retry(this.out, this.watch).then(this.resolve, this.reject);
      return;
    }
    this.reject(channelError(this.appId, err));
  }
}

/** HTTP/2 request headers: pseudo-headers plus one value per field (lists joined). */
function h2Headers(out: Outgoing): http2.OutgoingHttpHeaders {
  const h: http2.OutgoingHttpHeaders = { ':method': out.method, ':path': out.path };
  for (const name in out.headers) {
    const v = out.headers[name] as string | string[];
    h[name] = typeof v === 'string' ? v : v.join(name === 'cookie' ? '; ' : ', ');
  }
  return h;
}

function httpResponse(
  code: number,
  statusMessage: string,
  headers: HeaderMultiMap,
  trailers: HeaderMultiMap,
  body: Buffer,
  contentType = headers['content-type']?.values[0] ?? '',
): InternalInvokeResponse {
  return {
    status: { code, message: statusMessage, details: [] },
    headers,
    trailers,
    message: { data: { typeUrl: '', value: body }, contentType },
  };
}
