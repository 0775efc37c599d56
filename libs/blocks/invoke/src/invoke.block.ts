// The service invocation block. Outbound (InvokeApi, called by the edges): parse the target,
// resolve the callee's gateway, call it under the target's resiliency policy, with daprd's
// built-in retries of gateway-to-gateway failures; self-invocation and HTTPEndpoint/URL targets
// take the same path without a remote hop. Inbound (LocalInvokeApi, called by the internal
// transport server): caller identity headers, access control, then the app channel. No Nest, no
// transport, no concrete component: every collaborator is an interface handed in.
// Proxied gRPC calls that stream their request (invokeStream / callLocalStream) take the same
// route as one stream each way, with no resiliency policy (a stream is not replayed); a proxied
// call that looked unary but whose answer streams comes back from invoke() with the rest attached
// (proxyStreamOf), after the policy has seen its head succeed.
import { ApiError, GRPC_PROXY_CONTENT_TYPE, GrpcCode, InvokeErrors, isApiError, lazyAbortOf } from '@tessera/contracts';
import type {
  AbortHandler,
  AppChannel,
  CallContext,
  CallerIdentity,
  GrpcProxyFrame,
  InternalInvokeRequest,
  InternalInvokeResponse,
  InvokeApi,
  LazyAbortContext,
  ListStringValue,
  LocalInvokeApi,
} from '@tessera/contracts';
import { parseTarget } from './invoke-target';
import { lazyStream } from './lazy-stream';
import type { HttpEndpointDef } from './invoke-target';

/** Finds the internal address (host:port) of a live gateway of `appId`. */
export interface AddressResolver {
  resolve(appId: string, namespace: string): Promise<string | undefined>;
}

/** The internal transport to other gateways. */
export interface RemoteInvoker {
  /** `targetAppId` names the target in the transport's own errors ("failed to invoke, id: <targetAppId>, …"). */
  callLocal(address: string, req: InternalInvokeRequest, ctx: CallContext, targetAppId: string): Promise<InternalInvokeResponse>;
  /** A proxied gRPC call that streams its request (the callee gateway's callLocalStream). */
  proxyStream?(address: string, req: InternalInvokeRequest, input: AsyncIterable<Uint8Array>, ctx: CallContext, targetAppId: string): AsyncIterable<GrpcProxyFrame>;
}

/** Plain HTTP calls to HTTPEndpoint / URL targets (non-Dapr services). */
export interface UrlInvoker {
  invokeUrl(baseUrl: string, headers: Readonly<Record<string, string>>, req: InternalInvokeRequest, ctx: CallContext): Promise<InternalInvokeResponse>;
}

/** How a result counts for resiliency: falsy = success; a status / gRPC code = a failure with it. */
export type FailureVerdict = boolean | undefined | { readonly status: number } | { readonly grpcCode: number };

/** A resiliency policy: runs `fn`, retrying errors and the results `isFailure` flags. */
export interface InvokePolicy {
  run<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: { signal?: AbortSignal; isFailure?: (result: T) => FailureVerdict }): Promise<T>;
  /**
   * True when the policy does nothing (no timeout, retry or breaker): run(fn, { signal }) is
   * fn(signal). The block then calls straight through, without making the caller's signal.
   */
  readonly passThrough?: boolean;
}

export interface InvokePolicies {
  /** The policy of `targets.apps.<appId>` (or the defaults); a pass-through when none applies. */
  forApp(appId: string): InvokePolicy;
  /** daprd's built-in retries of a gateway-to-gateway call (Unavailable / Unauthenticated). */
  remoteRetry(appId: string): InvokePolicy;
}

export type AccessDecision = { readonly allowed: boolean; readonly reason: string };
export type AccessCheck = (caller: CallerIdentity, operation: string, httpVerb: string | undefined) => AccessDecision;

export interface InvokeBlockOptions {
  readonly appId: string;
  readonly namespace: string;
  /** Access-control trust domain of this app (Configuration accessControl.trustDomain), default 'public'. */
  readonly trustDomain?: string;
  readonly resolver: AddressResolver;
  readonly remote: RemoteInvoker;
  readonly urls: UrlInvoker;
  readonly policies: InvokePolicies;
  /** Undefined when the runtime has no app (no --app-port): calls into it are refused. */
  readonly appChannel?: AppChannel;
  /** Undefined = no access-control policy: allow everything. */
  readonly accessCheck?: AccessCheck;
  readonly httpEndpoints?: ReadonlyMap<string, HttpEndpointDef>;
  /**
   * This host's IP and name: a call to a remote app carries `X-Forwarded-For`,
   * `X-Forwarded-Host` and `Forwarded: for=<ip>;by=<ip>;host=<name>` (daprd's
   * addForwardedHeadersToMetadata). Neither set: no forwarded headers.
   */
  readonly hostAddress?: string;
  readonly hostName?: string;
}

const VERBS = ['', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const CALLER_HEADERS = ['dapr-caller-app-id', 'dapr-caller-namespace', 'dapr-callee-app-id'];
const STRIPPED: ReadonlySet<string> = new Set(['dapr-app-id', 'dapr-api-token', ...CALLER_HEADERS]);

/** HTTP apps answer HTTP statuses (>= 100), gRPC apps gRPC codes (0-16): daprd tells them apart so. */
export function isFailureResponse(res: InternalInvokeResponse): boolean {
  const code = res.status?.code ?? 0;
  return code >= 100 ? code < 200 || code >= 400 : code !== 0;
}

/** The resiliency verdict on an answer: a failed HTTP status or gRPC code, for `matching`. */
export function failureVerdict(res: InternalInvokeResponse): FailureVerdict {
  if (!isFailureResponse(res)) return false;
  const code = res.status?.code ?? 0;
  return code >= 100 ? { status: code } : { grpcCode: code };
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The context of one attempt on a caller context with the lazy-abort protocol (CallContext in
 * @tessera/contracts): `ctx`'s fields with the trust domain, the signal and the protocol
 * delegated to `ctx` (a `{ ...ctx }` copy would drop them).
 */
class AttemptContext implements LazyAbortContext {
  readonly appId: string;
  readonly namespace: string;
  readonly deadline: number | undefined;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly #base: LazyAbortContext;

  constructor(
    base: LazyAbortContext,
    readonly trustDomain: string,
  ) {
    this.#base = base;
    this.appId = base.appId;
    this.namespace = base.namespace;
    this.deadline = base.deadline;
    this.traceparent = base.traceparent;
    this.tracestate = base.tracestate;
  }

  get signal(): AbortSignal | undefined {
    return this.#base.signal;
  }

  get signalIfMade(): AbortSignal | undefined {
    return 'signalIfMade' in this.#base ? this.#base.signalIfMade : this.#base.signal;
  }

  get aborted(): boolean {
    return this.#base.aborted;
  }

  onAbort(h: AbortHandler): void {
    this.#base.onAbort(h);
  }

  offAbort(h: AbortHandler): void {
    this.#base.offAbort(h);
  }
}

/**
 * `req` with its metadata rebuilt in one pass (hot path: no entries arrays, one copy per call):
 * the names in STRIPPED dropped, then `set` (replacing), then `append` (values added after those
 * already present, a proxy chain, as daprd does). Key order is kept; `req` is not modified.
 */
function withMetadata(
  req: InternalInvokeRequest,
  set: Readonly<Record<string, string>> | undefined,
  append: Readonly<Record<string, string>> | undefined,
): InternalInvokeRequest {
  const src = req.metadata;
  const metadata: Record<string, ListStringValue> = {};
  for (const k in src) if (hasOwn.call(src, k) && !STRIPPED.has(k)) metadata[k] = src[k] as ListStringValue;
  if (set !== undefined) for (const k in set) metadata[k] = { values: [set[k] as string] };
  if (append !== undefined) {
    for (const k in append) {
      const prev = metadata[k];
      metadata[k] = { values: prev === undefined ? [append[k] as string] : [...prev.values, append[k] as string] };
    }
  }
  return { ...req, metadata };
}

/** daprd's forwarded headers for a call leaving this host; none when neither part is known. */
function forwardedHeaders(ip: string | undefined, host: string | undefined): Readonly<Record<string, string>> {
  if (!ip && !host) return {};
  const out: Record<string, string> = {};
  let forwarded = '';
  if (ip) {
    out['x-forwarded-for'] = ip;
    forwarded += `for=${ip};by=${ip};`;
  }
  if (host) {
    out['x-forwarded-host'] = host;
    forwarded += `host=${host}`;
  }
  out['forwarded'] = forwarded;
  return out;
}

export class InvokeBlock implements InvokeApi, LocalInvokeApi {
  private readonly endpoints: ReadonlyMap<string, HttpEndpointDef>;
  /** The forwarded headers a call leaving this host carries; undefined when there are none. */
  private readonly forwarded: Readonly<Record<string, string>> | undefined;
  private readonly trustDomain: string;

  constructor(private readonly opts: InvokeBlockOptions) {
    this.endpoints = opts.httpEndpoints ?? new Map();
    const fwd = forwardedHeaders(opts.hostAddress, opts.hostName);
    this.forwarded = Object.keys(fwd).length > 0 ? fwd : undefined;
    this.trustDomain = opts.trustDomain ?? 'public';
  }

  async invoke(targetAppId: string, req: InternalInvokeRequest, ctx: CallContext): Promise<InternalInvokeResponse> {
    const target = parseTarget(targetAppId, this.opts.namespace, this.endpoints);
    if (target.kind === 'invalid') throw InvokeErrors.failed(targetAppId, target.reason, false);
    const policy = this.opts.policies.forApp(target.kind === 'app' ? target.appId : target.name);
    if (target.kind === 'url') {
      const out = withMetadata(req, undefined, undefined);
      return policy.run((signal) => this.opts.urls.invokeUrl(target.baseUrl, target.headers, out, { ...ctx, signal }), {
        signal: ctx.signal,
        isFailure: failureVerdict,
      });
    }
    const { appId, namespace } = target;
    const self = appId === this.opts.appId && namespace === this.opts.namespace;
    // daprd adds the forwarded headers on the sidecar-to-sidecar path only (not for self-invocation
    // nor for proxied gRPC calls).
    const out = withMetadata(req, undefined, self || req.message?.contentType === GRPC_PROXY_CONTENT_TYPE ? undefined : this.forwarded);
    const trustDomain = this.trustDomain;
    // A pass-through policy with a lazy-abort context: straight through, the signal not made (the
    // transport and the app channel watch the call through the protocol).
    const lazy = policy.passThrough === true ? lazyAbortOf(ctx) : undefined;
    if (self) {
      // Self-invocation goes straight to the app channel: access control is the callee
      // gateway's check of calls from other gateways (daprd: invokeLocal, no ACL).
      const caller: CallerIdentity = { appId: ctx.appId, namespace: ctx.namespace, trustDomain };
      if (lazy !== undefined) return this.deliver(out, caller, new AttemptContext(lazy, trustDomain));
      return policy.run((signal) => this.deliver(out, caller, { ...ctx, signal, trustDomain }), { signal: ctx.signal, isFailure: failureVerdict });
    }
    const builtIn = this.opts.policies.remoteRetry(appId);
    if (lazy !== undefined) return this.remoteWithRetries(builtIn, appId, namespace, out, lazy, undefined, trustDomain);
    return policy.run((signal) => this.remoteWithRetries(builtIn, appId, namespace, out, ctx, signal, trustDomain), {
      signal: ctx.signal,
      isFailure: failureVerdict,
    });
  }

  /**
   * One attempt of the target's policy on another gateway, under daprd's built-in retries of
   * gateway-to-gateway failures. The first call is made directly; only a call that failed goes
   * through `builtIn`, which then sees that failure as its first attempt (no second call for it)
   * and retries or gives up exactly as if it had made it: same retries, same backoff. The hot
   * path (the first call succeeds, nearly always) skips the retry machinery's promises and
   * closures. `signal` undefined: `ctx` speaks the lazy-abort protocol and the first call
   * watches it through that; the retries, if any, take ctx's signal.
   */
  private async remoteWithRetries(
    builtIn: InvokePolicy,
    appId: string,
    namespace: string,
    out: InternalInvokeRequest,
    ctx: CallContext,
    signal: AbortSignal | undefined,
    trustDomain: string,
  ): Promise<InternalInvokeResponse> {
    let first: unknown;
    try {
      return await this.callRemote(appId, namespace, out, ctx, signal, trustDomain);
    } catch (e) {
      first = e;
    }
    let made = false;
    return builtIn.run(
      (s) => {
        if (made) return this.callRemote(appId, namespace, out, ctx, s, trustDomain);
        made = true;
        return Promise.reject(first);
      },
      { signal: signal ?? ctx.signal },
    );
  }

  private async callRemote(
    appId: string,
    namespace: string,
    out: InternalInvokeRequest,
    ctx: CallContext,
    signal: AbortSignal | undefined,
    trustDomain: string,
  ): Promise<InternalInvokeResponse> {
    const address = await this.resolve(appId, namespace);
    const lazy = signal === undefined ? lazyAbortOf(ctx) : undefined;
    const attempt: CallContext = lazy !== undefined ? new AttemptContext(lazy, trustDomain) : { ...ctx, signal, trustDomain };
    try {
      return await this.opts.remote.callLocal(address, out, attempt, appId);
    } catch (e) {
      if (isApiError(e)) throw e;
      throw InvokeErrors.failed(appId, e instanceof Error ? e.message : String(e));
    }
  }

  /**
   * A proxied gRPC call that streams its request: the target's gateway (or the own app), one
   * stream each way, no resiliency policy. Errors (unknown target, resolution, access denied,
   * app unavailable) fail the first next().
   */
  invokeStream(targetAppId: string, req: InternalInvokeRequest, input: AsyncIterable<Uint8Array>, ctx: CallContext): AsyncIterable<GrpcProxyFrame> {
    return lazyStream(async () => {
      const target = parseTarget(targetAppId, this.opts.namespace, this.endpoints);
      if (target.kind === 'invalid') throw InvokeErrors.failed(targetAppId, target.reason, false);
      if (target.kind === 'url') throw streamingUnsupported(`gRPC proxying to '${targetAppId}' (an HTTPEndpoint or URL) is not supported`);
      const { appId, namespace } = target;
      const trustDomain = this.trustDomain;
      const out = withMetadata(req, undefined, undefined);
      const attempt: CallContext = { ...ctx, trustDomain };
      if (appId === this.opts.appId && namespace === this.opts.namespace) {
        return this.deliverStream(out, { appId: ctx.appId, namespace: ctx.namespace, trustDomain }, input, attempt);
      }
      const remote = this.opts.remote;
      if (remote.proxyStream === undefined) throw streamingUnsupported('this runtime cannot proxy streaming gRPC calls to other runtimes');
      const address = await this.resolve(appId, namespace);
      return remote.proxyStream(address, out, input, attempt, appId);
    });
  }

  /** A streaming call from another gateway: access control, then the app. */
  callLocalStream(req: InternalInvokeRequest, caller: CallerIdentity, input: AsyncIterable<Uint8Array>, ctx: CallContext): AsyncIterable<GrpcProxyFrame> {
    this.checkAccess(req, caller);
    return this.deliverStream(req, caller, input, ctx);
  }

  /** A call from another gateway: access control, then the app. */
  async callLocal(req: InternalInvokeRequest, caller: CallerIdentity, ctx: CallContext): Promise<InternalInvokeResponse> {
    this.checkAccess(req, caller);
    return this.deliver(req, caller, ctx);
  }

  private checkAccess(req: InternalInvokeRequest, caller: CallerIdentity): void {
    if (!this.opts.accessCheck) return;
    const method = req.message?.method ?? '';
    const verb = req.message?.httpExtension?.verb ? VERBS[req.message.httpExtension.verb] : undefined;
    const decision = this.opts.accessCheck(caller, method, verb);
    if (!decision.allowed) throw InvokeErrors.denied(caller.appId, method, verb ?? '');
  }

  /** The own app, with the caller identity headers set by this gateway. */
  private async deliver(req: InternalInvokeRequest, caller: CallerIdentity, ctx: CallContext): Promise<InternalInvokeResponse> {
    return this.channel().invokeMethod(this.local(req, caller), ctx);
  }

  private deliverStream(req: InternalInvokeRequest, caller: CallerIdentity, input: AsyncIterable<Uint8Array>, ctx: CallContext): AsyncIterable<GrpcProxyFrame> {
    const channel = this.channel();
    if (channel.invokeStream === undefined) throw streamingUnsupported(`gRPC proxying needs a gRPC app; this app speaks ${channel.protocol}`);
    return channel.invokeStream(this.local(req, caller), input, ctx);
  }

  private channel(): AppChannel {
    const channel = this.opts.appChannel;
    if (!channel) throw InvokeErrors.appUnavailable(this.opts.appId, 'the app channel is not initialised: the runtime was started without --app-port');
    return channel;
  }

  /** The caller's identity comes from its gateway, never from headers a client sent. */
  private local(req: InternalInvokeRequest, caller: CallerIdentity): InternalInvokeRequest {
    return withMetadata(
      req,
      {
        'dapr-caller-app-id': caller.appId,
        'dapr-caller-namespace': caller.namespace,
        'dapr-callee-app-id': this.opts.appId,
      },
      undefined,
    );
  }

  private async resolve(appId: string, namespace: string): Promise<string> {
    let address: string | undefined;
    try {
      address = await this.opts.resolver.resolve(appId, namespace);
    } catch (e) {
      throw InvokeErrors.failed(appId, `failed to resolve address for '${appId}': ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!address) throw InvokeErrors.failed(appId, `failed to resolve address for '${appId}-dapr.${namespace}': no running instance found`);
    return address;
  }
}

/** A streaming gRPC call this route cannot carry (answered as gRPC UNIMPLEMENTED). */
function streamingUnsupported(reason: string): ApiError {
  return new ApiError({ code: 'ERR_DIRECT_INVOKE', message: reason, httpStatus: 501, grpcCode: GrpcCode.UNIMPLEMENTED, retryable: false });
}
