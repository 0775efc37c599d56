// The app channel for apps speaking HTTP (app-protocol http, https or h2c): turns an
// InternalInvokeRequest into `{verb} /{method}?{querystring}` on the app and the app's answer
// (any status) into an InternalInvokeResponse (spec http-api.md 0 "App-side conventions", 1.1).
//
// Hot path: one pooled keep-alive connection set per channel (node:http Agent, or one HTTP/2
// session for h2c), a FIFO semaphore only when --app-max-concurrency is set, and a CallWatch
// only when the caller gave a signal or deadline. No per-call DI, no streams beyond node's own.
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
  private readonly agent: http.Agent | undefined;
  private readonly requestFn: typeof http.request;
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
    // Sockets: one per in-flight call at most; LIFO reuse keeps the warmest socket busy and lets
    // idle ones expire (node also honours the app's Keep-Alive: timeout hint).
    const agentOpts: http.AgentOptions = { keepAlive: true, maxSockets: max ?? Infinity, scheduling: 'lifo' };
    if (this.protocol === 'https') {
      this.agent = new https.Agent({ ...agentOpts, rejectUnauthorized: opts.verifyTls === true });
      this.requestFn = https.request;
    } else if (this.protocol === 'http') {
      this.agent = new http.Agent(agentOpts);
      this.requestFn = http.request;
    } else {
      this.agent = undefined;
      this.requestFn = http.request;
    }
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
    this.agent?.destroy();
    const s = this.h2;
    this.h2 = undefined;
    if (s !== undefined && !s.destroyed) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private send(out: Outgoing, watch: CallWatch): Promise<InternalInvokeResponse> {
    if (watch.error !== undefined) return Promise.reject(watch.error);
    return this.protocol === 'h2c' ? this.sendH2(out, watch) : this.sendH1(out, watch, false);
  }

  private sendH1(out: Outgoing, watch: CallWatch, isRetry: boolean): Promise<InternalInvokeResponse> {
    return new Promise<InternalInvokeResponse>((resolve, reject) => {
      let settled = false;
      let responded = false;
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        watch.onAbort(undefined);
        reject(channelError(this.appId, e));
      };
      let req: http.ClientRequest;
      try {
        req = this.requestFn({
          host: this.host,
          port: this.port,
          method: out.method,
          path: out.path,
          headers: out.headers,
          agent: this.agent,
        });
      } catch (e) {
        fail(e);
        return;
      }
      const onResponse = (res: http.IncomingMessage): void => {
        responded = true;
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
      req.on('response', onResponse);
      // CONNECT: node reports the answer as 'connect' with the raw socket; keep the head only.
      // (Only a CONNECT request can get one: no listener on the others.)
      if (out.method === 'CONNECT') {
        req.on('connect', (res: http.IncomingMessage, socket: import('node:net').Socket) => {
          socket.destroy();
          if (settled) return;
          settled = true;
          watch.onAbort(undefined);
          resolve(httpResponse(res.statusCode ?? 0, res.statusMessage ?? '', fromRawHeaders(res.rawHeaders), {}, EMPTY));
        });
      }
      req.on('error', (e: Error) => {
        // A pooled keep-alive socket the app had just closed: retry once on a fresh one, as node's
        // docs advise (the request never reached the app).
        if (!settled && !isRetry && !responded && req.reusedSocket && (e as { code?: string }).code === 'ECONNRESET') {
          settled = true;
          watch.onAbort(undefined);
          this.sendH1(out, watch, true).then(resolve, reject);
          return;
        }
        fail(e);
      });
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
