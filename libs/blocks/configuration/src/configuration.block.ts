// The configuration building block: ConfigurationApi on top of the loaded ConfigurationStores.
// Finds the store (scopes applied), calls the component under its outbound resiliency policy,
// maps component errors to Dapr's API errors, and keeps the subscriptions it opened (by id, with the app that opened them) so that
// unsubscribe() can end one from outside its stream. Written once; served in-process by the
// gateway (all-in-one) and by configuration-svc (split). It never calls an app: delivering
// updates is the gateway's business (AppConfigurationDelivery, or the gRPC edge's stream).
import { ConfigurationErrors } from '@tessera/contracts';
import type {
  CallContext,
  ConfigurationApi,
  GetConfigurationRequest,
  GetConfigurationResponse,
  RegisteredComponent,
  SubscribeConfigurationRequest,
  SubscribeConfigurationResponse,
  UnsubscribeConfigurationRequest,
  UnsubscribeConfigurationResponse,
} from '@tessera/contracts';
import { isConfigurationStoreError } from '@tessera/spi';
import type { ConfigurationStoreEntry, ConfigurationStores } from './configuration-stores';
import { SubscriptionStream } from './subscription-stream';
import type { SubscriptionHost } from './subscription-stream';

const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

interface Active {
  readonly stream: SubscriptionStream;
  readonly entry: ConfigurationStoreEntry;
  readonly appId: string;
}

export interface ConfigurationBlockLogger {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** A resiliency policy (runtime-core's Policy satisfies it). */
export interface ConfigurationCallPolicy {
  run<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: { readonly signal?: AbortSignal }): Promise<T>;
}

export interface ConfigurationBlockOptions {
  /** The outbound policy of a configuration component; absent = call the component directly. */
  readonly policyFor?: (entry: ConfigurationStoreEntry) => ConfigurationCallPolicy;
  readonly logger?: ConfigurationBlockLogger;
}

const NEVER_ABORTED: AbortSignal = new AbortController().signal;
const DIRECT: ConfigurationCallPolicy = { run: (fn, opts) => fn(opts?.signal ?? NEVER_ABORTED) };

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class ConfigurationBlock implements ConfigurationApi {
  private readonly active = new Map<string, Active>();

  private readonly logger: ConfigurationBlockLogger | undefined;

  constructor(
    private readonly stores: ConfigurationStores,
    private readonly opts: ConfigurationBlockOptions = {},
  ) {
    this.logger = opts.logger;
  }

  /** Subscriptions open now (all apps). */
  get subscriptions(): number {
    return this.active.size;
  }

  async get(req: GetConfigurationRequest, ctx: CallContext): Promise<GetConfigurationResponse> {
    const entry = this.entry(req.storeName, ctx);
    let items;
    try {
      items = await this.policy(entry).run(() => entry.store.get({ keys: req.keys, metadata: req.metadata ?? NO_METADATA }), { signal: ctx.signal });
    } catch (e) {
      throw ConfigurationErrors.get(req.keys, req.storeName, messageOf(e));
    }
    const out: GetConfigurationResponse['items'] = {};
    for (const [k, v] of Object.entries(items)) out[k] = { value: v.value, version: v.version, metadata: { ...v.metadata } };
    return { items: out };
  }

  subscribe(req: SubscribeConfigurationRequest, ctx: CallContext): AsyncIterable<SubscribeConfigurationResponse> {
    const host: SubscriptionHost = {
      open: async (stream) => {
        const entry = this.entry(req.storeName, ctx);
        let id: string;
        try {
          id = await this.policy(entry).run(() => entry.store.subscribe({ keys: req.keys, metadata: req.metadata ?? NO_METADATA }, stream.handler), {
            signal: ctx.signal,
          });
        } catch (e) {
          throw ConfigurationErrors.subscribe(req.keys, req.storeName, messageOf(e));
        }
        this.active.set(id, { stream, entry, appId: ctx.appId });
        return id;
      },
      closed: async (stream, unsubscribe) => {
        const a = this.active.get(stream.id);
        if (a?.stream !== stream) return;
        this.active.delete(stream.id);
        if (!unsubscribe) return;
        try {
          await this.policy(a.entry).run(() => a.entry.store.unsubscribe(stream.id));
        } catch (e) {
          this.logger?.warn(`configuration store ${a.entry.name}: unsubscribing ${stream.id} failed: ${messageOf(e)}`);
          throw e;
        }
      },
    };
    return { [Symbol.asyncIterator]: () => new SubscriptionStream(host, ctx.signal) };
  }

  async unsubscribe(req: UnsubscribeConfigurationRequest, ctx: CallContext): Promise<UnsubscribeConfigurationResponse> {
    this.entry(req.storeName, ctx);
    const a = this.active.get(req.id);
    if (a === undefined || a.entry.name !== req.storeName || a.appId !== ctx.appId) {
      return { ok: false, message: ConfigurationErrors.unsubscribe(req.id, `subscription with id ${req.id} does not exist`).message };
    }
    try {
      await a.stream.end(true);
    } catch (e) {
      const cause = isConfigurationStoreError(e) || e instanceof Error ? e.message : String(e);
      return { ok: false, message: ConfigurationErrors.unsubscribe(req.id, cause).message };
    }
    return { ok: true, message: '' };
  }

  async listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.stores.visibleTo(ctx.appId).map((e) => this.stores.describe(e));
  }

  /**
   * Ends every open subscription stream (consumers see their iteration complete) without
   * unsubscribing from the components, which are closed next. For shutdown.
   */
  async close(): Promise<void> {
    const all = [...this.active.values()];
    this.active.clear();
    await Promise.allSettled(all.map((a) => a.stream.end(false)));
  }

  private policy(entry: ConfigurationStoreEntry): ConfigurationCallPolicy {
    return this.opts.policyFor?.(entry) ?? DIRECT;
  }

  private entry(name: string, ctx: CallContext): ConfigurationStoreEntry {
    const e = this.stores.get(name, ctx.appId);
    if (e) return e;
    if (this.stores.visibleTo(ctx.appId).length === 0) throw ConfigurationErrors.notConfigured();
    throw ConfigurationErrors.notFound(name);
  }
}
