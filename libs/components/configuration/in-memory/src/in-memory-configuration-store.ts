// An in-process configuration store for tests and local experiments: items live in a Map of this
// process and are changed with set()/delete() (there is no Dapr `configuration.in-memory`, so it is
// not in the registry). Subscriptions follow the ConfigurationStore contract exactly: one handler
// call at a time per subscription, in order, each awaited before the next.
import { randomUUID } from 'node:crypto';
import { ConfigurationStoreError } from '@tessera/spi';
import type {
  ComponentMetadata,
  ConfigurationGetRequest,
  ConfigurationItemSpi,
  ConfigurationStore,
  ConfigurationStoreHost,
  ConfigurationSubscribeRequest,
  ConfigurationUpdateHandler,
} from '@tessera/spi';

interface Subscription {
  readonly keys: ReadonlySet<string> | undefined;
  readonly handler: ConfigurationUpdateHandler;
  /** The handler calls of this subscription, one after the other. */
  chain: Promise<void>;
  active: boolean;
}

const EMPTY_ITEM: ConfigurationItemSpi = Object.freeze({ value: '', version: '', metadata: Object.freeze({}) });

export function createInMemoryConfigurationStore(meta?: ComponentMetadata, host?: ConfigurationStoreHost): InMemoryConfigurationStore {
  return new InMemoryConfigurationStore(meta?.name ?? 'configstore', host);
}

export class InMemoryConfigurationStore implements ConfigurationStore {
  private readonly items = new Map<string, ConfigurationItemSpi>();
  private readonly subs = new Map<string, Subscription>();
  private closed = false;

  constructor(
    readonly name = 'configstore',
    private readonly host: ConfigurationStoreHost = {},
  ) {}

  async init(): Promise<void> {
    this.closed = false;
  }

  async get(req: ConfigurationGetRequest): Promise<Record<string, ConfigurationItemSpi>> {
    this.check();
    const out: Record<string, ConfigurationItemSpi> = {};
    const keys = req.keys.length > 0 ? req.keys : [...this.items.keys()];
    for (const k of keys) {
      const item = this.items.get(k);
      if (item !== undefined) out[k] = copy(item);
    }
    return out;
  }

  async subscribe(req: ConfigurationSubscribeRequest, handler: ConfigurationUpdateHandler): Promise<string> {
    this.check();
    const id = randomUUID();
    this.subs.set(id, { keys: req.keys.length > 0 ? new Set(req.keys) : undefined, handler, chain: Promise.resolve(), active: true });
    return id;
  }

  async unsubscribe(id: string): Promise<void> {
    this.check();
    const sub = this.subs.get(id);
    if (sub === undefined) throw new ConfigurationStoreError('subscription-not-found', `subscription with id ${id} does not exist`);
    sub.active = false;
    this.subs.delete(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.subs.values()) s.active = false;
    this.subs.clear();
  }

  /** Sets one item and notifies the subscriptions watching its key. */
  set(key: string, value: string, version = '', metadata: Record<string, string> = {}): void {
    const item: ConfigurationItemSpi = { value, version, metadata: { ...metadata } };
    this.items.set(key, item);
    this.notify(key, item);
  }

  /** Removes one item; subscriptions see it with an empty value and version. */
  delete(key: string): void {
    if (!this.items.delete(key)) return;
    this.notify(key, EMPTY_ITEM);
  }

  /** Subscriptions open now. */
  get subscriptions(): number {
    return this.subs.size;
  }

  private notify(key: string, item: ConfigurationItemSpi): void {
    for (const [id, sub] of this.subs) {
      if (sub.keys !== undefined && !sub.keys.has(key)) continue;
      const event = { id, items: { [key]: copy(item) } };
      sub.chain = sub.chain.then(async () => {
        if (!sub.active) return;
        try {
          await sub.handler(event);
        } catch (e) {
          this.host.logger?.error(`configuration store ${this.name}: update handler failed`, { err: e instanceof Error ? e.message : String(e) });
        }
      });
    }
  }

  private check(): void {
    if (this.closed) throw new ConfigurationStoreError('backend', 'configuration store is closed');
  }
}

function copy(item: ConfigurationItemSpi): ConfigurationItemSpi {
  return { value: item.value, version: item.version, metadata: { ...item.metadata } };
}
