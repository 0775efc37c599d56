// A ConfigurationStore on top of a ConfigurationApi, so the configuration conformance suite runs
// through the whole block path: ConfigurationTransportClient -> configuration-svc ->
// ConfigurationBlock -> real store proves split mode behaves exactly as the store itself. The
// API's subscription streams are consumed here and fed to the suite's handlers; `{ ok: false }`
// from unsubscribe becomes the store error kind 'subscription-not-found'.
import type { CallContext, ConfigurationApi, SubscribeConfigurationResponse } from '@tessera/contracts';
import { ConfigurationStoreError } from '@tessera/spi';
import type {
  ConfigurationGetRequest,
  ConfigurationItemSpi,
  ConfigurationStore,
  ConfigurationSubscribeRequest,
  ConfigurationUpdateHandler,
} from '@tessera/spi';

interface Pump {
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

export class ConfigurationApiStore implements ConfigurationStore {
  private readonly pumps = new Map<string, Pump>();
  private readonly ctx: CallContext;

  constructor(
    private readonly api: ConfigurationApi,
    private readonly storeName: string,
    private readonly onClose: () => Promise<void> = async () => undefined,
    appId = 'conformance',
  ) {
    this.ctx = { appId, namespace: '' };
  }

  async init(): Promise<void> {
    return undefined;
  }

  async get(req: ConfigurationGetRequest): Promise<Record<string, ConfigurationItemSpi>> {
    try {
      const res = await this.api.get({ storeName: this.storeName, keys: [...req.keys], metadata: { ...req.metadata } }, this.ctx);
      return res.items;
    } catch (e) {
      throw new ConfigurationStoreError('backend', e instanceof Error ? e.message : String(e), { cause: e });
    }
  }

  async subscribe(req: ConfigurationSubscribeRequest, handler: ConfigurationUpdateHandler): Promise<string> {
    const stop = new AbortController();
    const it = this.api.subscribe({ storeName: this.storeName, keys: [...req.keys], metadata: { ...req.metadata } }, { ...this.ctx, signal: stop.signal })[Symbol.asyncIterator]();
    let first: IteratorResult<SubscribeConfigurationResponse>;
    try {
      first = await it.next();
    } catch (e) {
      throw new ConfigurationStoreError('backend', e instanceof Error ? e.message : String(e), { cause: e });
    }
    if (first.done === true) throw new ConfigurationStoreError('backend', 'the subscription ended before it started');
    const id = first.value.id;
    const done = (async () => {
      try {
        for (;;) {
          const r = await it.next();
          if (r.done === true) return;
          await handler({ id: r.value.id, items: r.value.items });
        }
      } catch {
        // stopped (aborted) or the API went away: the suite sees the missing events
      }
    })();
    this.pumps.set(id, { stop, done });
    return id;
  }

  async unsubscribe(id: string): Promise<void> {
    const res = await this.api.unsubscribe({ storeName: this.storeName, id }, this.ctx);
    if (!res.ok) throw new ConfigurationStoreError('subscription-not-found', res.message);
    const p = this.pumps.get(id);
    this.pumps.delete(id);
    if (p) {
      p.stop.abort();
      await p.done;
    }
  }

  async close(): Promise<void> {
    const all = [...this.pumps.values()];
    this.pumps.clear();
    for (const p of all) p.stop.abort();
    await Promise.all(all.map((p) => p.done));
    await this.onClose();
  }
}
