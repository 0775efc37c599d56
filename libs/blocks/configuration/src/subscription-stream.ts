// One subscription as the AsyncIterator ConfigurationApi.subscribe() hands out. The first next()
// subscribes with the component and yields `{ id }`; every later next() yields one change event,
// in the order the component reported them. The component's handler promise resolves when its
// event has been taken by the consumer (or the stream has ended), so a slow consumer holds the
// component back instead of piling events up here.
//
// The stream ends (and unsubscribes from the component, once) when the consumer returns (break),
// ctx.signal aborts, or end() is called (ConfigurationApi.unsubscribe, shutdown). Afterwards
// next() answers done.
import type { SubscribeConfigurationResponse } from '@tessera/contracts';
import type { ConfigurationUpdateEvent } from '@tessera/spi';

interface Queued {
  readonly value: SubscribeConfigurationResponse;
  readonly taken: () => void;
}

interface Waiter {
  resolve(r: IteratorResult<SubscribeConfigurationResponse>): void;
  reject(e: unknown): void;
}

const DONE: IteratorResult<SubscribeConfigurationResponse> = Object.freeze({ value: undefined, done: true }) as IteratorResult<SubscribeConfigurationResponse>;

/** What the stream needs from its owner (the block). */
export interface SubscriptionHost {
  /** Subscribes with the component; resolves with the id. Throws the ApiError to report. */
  open(stream: SubscriptionStream): Promise<string>;
  /** The stream ended: forget it and unsubscribe from the component (unless `component` is false). */
  closed(stream: SubscriptionStream, unsubscribe: boolean): Promise<void>;
}

export class SubscriptionStream implements AsyncIterableIterator<SubscribeConfigurationResponse> {
  id = '';
  private started = false;
  private ended = false;
  private readonly queue: Queued[] = [];
  private waiter: Waiter | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly host: SubscriptionHost,
    private readonly signal: AbortSignal | undefined,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The component's handler: queues the event; resolves once it is taken or the stream ends. */
  readonly handler = (e: ConfigurationUpdateEvent): Promise<void> => {
    if (this.ended) return Promise.resolve();
    return new Promise<void>((taken) => {
      const value: SubscribeConfigurationResponse = { id: e.id, items: toItems(e) };
      const w = this.waiter;
      if (w !== undefined && this.started && this.queue.length === 0 && this.id !== '') {
        this.waiter = undefined;
        w.resolve({ value, done: false });
        taken();
        return;
      }
      this.queue.push({ value, taken });
    });
  };

  async next(): Promise<IteratorResult<SubscribeConfigurationResponse>> {
    if (!this.started) return this.start();
    const q = this.queue.shift();
    if (q !== undefined) {
      q.taken();
      return { value: q.value, done: false };
    }
    if (this.ended) return DONE;
    if (this.waiter !== undefined) throw new Error('concurrent next() calls on one subscription are not supported');
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  async return(): Promise<IteratorResult<SubscribeConfigurationResponse>> {
    await this.end(true);
    return DONE;
  }

  /** Ends the stream; with `unsubscribe`, the component subscription too. Idempotent. */
  end(unsubscribe: boolean): Promise<void> {
    if (this.closing) return this.closing;
    this.ended = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    for (const q of this.queue.splice(0)) q.taken();
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(DONE);
    this.closing = this.id === '' ? Promise.resolve() : this.host.closed(this, unsubscribe);
    return this.closing;
  }

  private async start(): Promise<IteratorResult<SubscribeConfigurationResponse>> {
    this.started = true;
    if (this.ended || this.signal?.aborted) {
      this.ended = true;
      return DONE;
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    let id: string;
    try {
      id = await this.host.open(this);
    } catch (e) {
      this.ended = true;
      this.signal?.removeEventListener('abort', this.onAbort);
      throw e;
    }
    this.id = id;
    if (this.ended) {
      // aborted while subscribing: the component subscription exists now, so end it too
      this.closing = undefined;
      await this.end(true);
      return DONE;
    }
    return { value: { id, items: {} }, done: false };
  }

  private readonly onAbort = (): void => {
    void this.end(true);
  };
}

function toItems(e: ConfigurationUpdateEvent): SubscribeConfigurationResponse['items'] {
  const out: SubscribeConfigurationResponse['items'] = {};
  for (const [k, v] of Object.entries(e.items)) out[k] = { value: v.value, version: v.version, metadata: { ...v.metadata } };
  return out;
}
