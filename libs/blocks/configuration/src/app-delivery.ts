// The gateway's side of HTTP-API subscriptions (spec/http-api.md 7): it consumes the
// subscription stream of the ConfigurationApi (the block in-process, or configuration-svc over the
// internal transport) and posts each change to its own app over the app channel, per key:
// `POST /configuration/{store}/{key}`, `Content-Type: application/json`, body
// `{"id":"<subscription id>","items":{...}}` with every item of the event (Go's encoding of
// Dapr's UpdateEvent: empty value, version and metadata are omitted). The app should answer 200
// (gRPC apps: OK); anything else, or an app that cannot be reached, is retried as the
// component's inbound resiliency policy says (none: no retry), then logged, and the next change is
// delivered as usual.
//
// The id the app is given is the first upstream subscription id and stays its id: when the
// stream fails with a retryable error (configuration-svc restarted or unreachable), the gateway
// subscribes again with backoff and keeps posting under the same id; unsubscribe() with that id
// ends whichever upstream subscription is current. Nothing here outlives close().
import { APIVersion, ConfigurationErrors, HTTPExtension_Verb, isApiError } from '@tessera/contracts';
import type {
  AppChannel,
  AppConfigurationSubscriptions,
  CallContext,
  ConfigurationApi,
  ConfigurationItem,
  InternalInvokeRequest,
  InternalInvokeResponse,
  SubscribeConfigurationRequest,
  SubscribeConfigurationResponse,
  UnsubscribeConfigurationRequest,
  UnsubscribeConfigurationResponse,
} from '@tessera/contracts';

export interface AppDeliveryLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface AppConfigurationDeliveryOptions {
  readonly api: ConfigurationApi;
  /** Undefined when the gateway has no app channel (no --app-port): subscribe() is refused. */
  readonly channel: AppChannel | undefined;
  readonly logger?: AppDeliveryLogger;
  /** The component's inbound policy (component -> app); absent = one attempt per post. */
  readonly inboundPolicy?: (storeName: string) => AppDeliveryPolicy;
  /** Backoff between resubscribe attempts after a retryable failure. Default 200 ms doubling to 5 s. */
  readonly retryBackoffMs?: { readonly initial?: number; readonly max?: number };
}

/** A resiliency policy (runtime-core's Policy satisfies it). */
export interface AppDeliveryPolicy {
  run<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    opts?: { readonly signal?: AbortSignal; readonly isFailure?: (result: T) => boolean | { readonly status: number } | { readonly grpcCode: number } | undefined },
  ): Promise<T>;
}

interface Delivery {
  /** The id the app knows. */
  readonly id: string;
  readonly req: SubscribeConfigurationRequest;
  readonly ctx: CallContext;
  /** The upstream subscription being consumed now. */
  upstreamId: string;
  /** False between a failed upstream subscription and the next one. */
  live: boolean;
  readonly stop: AbortController;
}

const JSON_CONTENT_TYPE = 'application/json';

export class AppConfigurationDelivery implements AppConfigurationSubscriptions {
  private readonly deliveries = new Map<string, Delivery>();
  private readonly backoffInitial: number;
  private readonly backoffMax: number;
  private closed = false;

  constructor(private readonly opts: AppConfigurationDeliveryOptions) {
    this.backoffInitial = opts.retryBackoffMs?.initial ?? 200;
    this.backoffMax = opts.retryBackoffMs?.max ?? 5000;
  }

  /** Subscriptions being delivered now. */
  get active(): number {
    return this.deliveries.size;
  }

  async subscribe(req: SubscribeConfigurationRequest, ctx: CallContext): Promise<string> {
    if (this.opts.channel === undefined) {
      // daprd checks the store before the app channel
      const visible = await this.opts.api.listComponents(ctx);
      if (visible.length === 0) throw ConfigurationErrors.notConfigured();
      if (!visible.some((c) => c.name === req.storeName)) throw ConfigurationErrors.notFound(req.storeName);
      throw ConfigurationErrors.appChannelNil();
    }
    if (this.closed) throw ConfigurationErrors.subscribe(req.keys, req.storeName, 'the runtime is shutting down');
    const stop = new AbortController();
    // The subscription outlives the HTTP request that opened it: its own signal, no deadline.
    const subCtx: CallContext = { appId: ctx.appId, namespace: ctx.namespace, signal: stop.signal, trustDomain: ctx.trustDomain };
    const it = this.opts.api.subscribe(req, subCtx)[Symbol.asyncIterator]();
    const id = await this.firstId(it, req);
    const d: Delivery = { id, req, ctx: subCtx, upstreamId: id, live: true, stop };
    this.deliveries.set(id, d);
    void this.pump(d, it);
    return id;
  }

  /**
   * Ends a subscription this gateway delivers (by the id its app was given); any other id goes
   * to the API as it is.
   */
  async unsubscribe(req: UnsubscribeConfigurationRequest, ctx: CallContext): Promise<UnsubscribeConfigurationResponse> {
    const d = this.deliveries.get(req.id);
    if (d === undefined || d.req.storeName !== req.storeName) return this.opts.api.unsubscribe(req, ctx);
    const live = d.live;
    const res = await this.opts.api.unsubscribe({ storeName: req.storeName, id: d.upstreamId }, ctx);
    this.deliveries.delete(d.id);
    d.stop.abort();
    // Between two upstream subscriptions there is nothing upstream to end: stopping here is all.
    return res.ok || live ? res : { ok: true, message: '' };
  }

  /** Stops every delivery (the upstream subscriptions end with their streams). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const d of this.deliveries.values()) d.stop.abort();
    this.deliveries.clear();
  }

  private async firstId(it: AsyncIterator<SubscribeConfigurationResponse>, req: SubscribeConfigurationRequest): Promise<string> {
    const first = await it.next();
    if (first.done === true || first.value.id === '') {
      await it.return?.();
      throw ConfigurationErrors.subscribe(req.keys, req.storeName, 'the subscription ended before it started');
    }
    return first.value.id;
  }

  /** Delivers the stream's changes; resubscribes after a retryable failure until stopped. */
  private async pump(d: Delivery, first: AsyncIterator<SubscribeConfigurationResponse>): Promise<void> {
    let it: AsyncIterator<SubscribeConfigurationResponse> | undefined = first;
    let failures = 0;
    const log = this.opts.logger;
    while (!d.stop.signal.aborted) {
      if (it === undefined) {
        try {
          it = this.opts.api.subscribe(d.req, d.ctx)[Symbol.asyncIterator]();
          d.upstreamId = await this.firstId(it, d.req);
          d.live = true;
          failures = 0;
          log?.info(`configuration subscription ${d.id} to store ${d.req.storeName} resumed (now ${d.upstreamId} upstream)`);
        } catch (e) {
          it = undefined;
          if (d.stop.signal.aborted) break;
          if (!retryable(e)) {
            log?.error(`configuration subscription ${d.id} to store ${d.req.storeName} could not be resumed; updates stop: ${messageOf(e)}`);
            break;
          }
          await this.sleep(this.backoff(failures++), d.stop.signal);
          continue;
        }
      }
      try {
        for (;;) {
          const r = await it.next();
          if (r.done === true) {
            // unsubscribed (here or through the API) or the API closed: nothing to resume
            this.deliveries.delete(d.id);
            return;
          }
          await this.deliver(d, r.value);
        }
      } catch (e) {
        it = undefined;
        d.live = false;
        if (d.stop.signal.aborted) break;
        if (!retryable(e)) {
          log?.error(`configuration subscription ${d.id} to store ${d.req.storeName} failed; updates stop: ${messageOf(e)}`);
          break;
        }
        log?.warn(`configuration subscription ${d.id} to store ${d.req.storeName} was interrupted, subscribing again: ${messageOf(e)}`);
        await this.sleep(this.backoff(failures++), d.stop.signal);
      }
    }
    if (this.deliveries.get(d.id) === d) this.deliveries.delete(d.id);
  }

  /** One change: a POST per key, each carrying the whole event, as daprd sends them. */
  private async deliver(d: Delivery, update: SubscribeConfigurationResponse): Promise<void> {
    const channel = this.opts.channel as AppChannel;
    const body = Buffer.from(JSON.stringify({ id: d.id, items: goItems(update.items) }), 'utf8');
    for (const key of Object.keys(update.items)) {
      const req: InternalInvokeRequest = {
        ver: APIVersion.V1,
        metadata: {},
        message: {
          method: `configuration/${d.req.storeName}/${key}`,
          data: { typeUrl: '', value: body },
          contentType: JSON_CONTENT_TYPE,
          httpExtension: { verb: HTTPExtension_Verb.POST, querystring: '' },
        },
        actor: undefined,
      };
      const grpcApp = isGrpc(channel.protocol);
      const failed = (res: InternalInvokeResponse): { status: number } | { grpcCode: number } | undefined => {
        const code = res.status?.code ?? 0;
        if (grpcApp) return code === 0 ? undefined : { grpcCode: code };
        return code === 200 ? undefined : { status: code };
      };
      const post = (signal: AbortSignal): Promise<InternalInvokeResponse> => channel.invokeMethod(req, { appId: d.ctx.appId, namespace: d.ctx.namespace, signal });
      try {
        const policy = this.opts.inboundPolicy?.(d.req.storeName);
        const res = policy ? await policy.run(post, { signal: d.stop.signal, isFailure: failed }) : await post(d.stop.signal);
        if (failed(res) !== undefined) {
          this.opts.logger?.error(`error sending configuration item to the app: error sending configuration item to application, status ${res.status?.code ?? 0}`, { store: d.req.storeName, key });
        }
      } catch (e) {
        if (d.stop.signal.aborted) return;
        this.opts.logger?.error(`error sending configuration item to the app: ${messageOf(e)}`, { store: d.req.storeName, key });
      }
    }
  }

  private backoff(failures: number): number {
    const wait = Math.min(this.backoffMax, this.backoffInitial * 2 ** Math.min(failures, 20));
    return wait * (0.8 + 0.4 * Math.random());
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** Go's JSON of map[string]*configuration.Item: empty fields omitted (`omitempty`). */
export function goItems(items: Readonly<Record<string, ConfigurationItem>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(items)) {
    const item: Record<string, unknown> = {};
    if (v.value !== '') item['value'] = v.value;
    if (v.version !== '') item['version'] = v.version;
    if (Object.keys(v.metadata).length > 0) item['metadata'] = v.metadata;
    out[k] = item;
  }
  return out;
}

function retryable(e: unknown): boolean {
  return isApiError(e) && e.retryable && e.grpcCode !== 3 /* INVALID_ARGUMENT */;
}

function isGrpc(protocol: string): boolean {
  return protocol === 'grpc' || protocol === 'grpcs';
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
