// One broker subscription as the AsyncIterator PubSubApi.subscribe() hands out. The first next()
// subscribes with the component and yields `{ subscriptionId }`; every later next() yields one
// broker message. The component's handler promise for a message stays open until settle()
// answers it (at-least-once: the broker is acked only then), so the component's own concurrency
// bounds how many messages are in flight and a slow app holds the broker back.
//
// The stream ends when the consumer returns (break), ctx.signal aborts or end() is called
// (shutdown). Every message not yet settled is then abandoned (PubSubAbandonError: the component
// leaves it to the broker's redelivery, it is never acked or dead-lettered), and the component
// subscription is closed.
import type { TopicDelivery } from '@tessera/contracts';
import { PubSubAbandonError } from '@tessera/spi';
import type { PubSubMessage, PubSubSubscription } from '@tessera/spi';

interface Waiter {
  resolve(r: IteratorResult<TopicDelivery>): void;
  reject(e: unknown): void;
}

export interface InFlight {
  readonly message: PubSubMessage;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

const DONE: IteratorResult<TopicDelivery> = Object.freeze({ value: undefined, done: true }) as IteratorResult<TopicDelivery>;
const NO_DATA = Buffer.alloc(0);

/** A Buffer view of the component's bytes (no copy). */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** What the stream needs from its owner (the block). */
export interface DeliveryStreamHost {
  /** Subscribes with the component; resolves with the component subscription. Throws the ApiError to report. */
  open(stream: DeliveryStream): Promise<PubSubSubscription>;
  /** The stream ended: forget it. */
  closed(stream: DeliveryStream): void;
}

export class DeliveryStream implements AsyncIterableIterator<TopicDelivery> {
  readonly id: string;
  private started = false;
  private ended = false;
  private seq = 0;
  private readonly queue: TopicDelivery[] = [];
  private readonly inFlight = new Map<string, InFlight>();
  private waiter: Waiter | undefined;
  private subscription: PubSubSubscription | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    id: string,
    private readonly host: DeliveryStreamHost,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.id = id;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Messages handed out (or queued) and not settled yet. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** The component's handler: queues the message; settles when settle() answers it. */
  readonly handler = (message: PubSubMessage): Promise<void> => {
    if (this.ended) return Promise.reject(new PubSubAbandonError('subscription is closing'));
    return new Promise<void>((resolve, reject) => {
      const deliveryId = String(++this.seq);
      this.inFlight.set(deliveryId, { message, resolve, reject });
      const value: TopicDelivery = {
        subscriptionId: this.id,
        deliveryId,
        topic: message.topic,
        data: asBuffer(message.data),
        contentType: message.contentType ?? '',
        metadata: message.metadata as Record<string, string>,
      };
      const w = this.waiter;
      if (w !== undefined && this.queue.length === 0) {
        this.waiter = undefined;
        w.resolve({ value, done: false });
        return;
      }
      this.queue.push(value);
    });
  };

  /** Takes the in-flight message `deliveryId` out of the stream (undefined if unknown / settled). */
  take(deliveryId: string): InFlight | undefined {
    const f = this.inFlight.get(deliveryId);
    if (f !== undefined) this.inFlight.delete(deliveryId);
    return f;
  }

  async next(): Promise<IteratorResult<TopicDelivery>> {
    if (!this.started) return this.start();
    const q = this.queue.shift();
    if (q !== undefined) return { value: q, done: false };
    if (this.ended) return DONE;
    if (this.waiter !== undefined) throw new Error('concurrent next() calls on one subscription are not supported');
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  async return(): Promise<IteratorResult<TopicDelivery>> {
    await this.end();
    return DONE;
  }

  /** Ends the stream: abandons unsettled messages, closes the component subscription. Idempotent. */
  end(): Promise<void> {
    if (this.closing) return this.closing;
    this.ended = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.queue.length = 0;
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(DONE);
    const abandoned = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const f of abandoned) f.reject(new PubSubAbandonError());
    this.host.closed(this);
    const sub = this.subscription;
    this.closing = sub === undefined ? Promise.resolve() : sub.close().catch(() => undefined);
    return this.closing;
  }

  private async start(): Promise<IteratorResult<TopicDelivery>> {
    this.started = true;
    if (this.ended || this.signal?.aborted) {
      this.ended = true;
      return DONE;
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    try {
      this.subscription = await this.host.open(this);
    } catch (e) {
      this.ended = true;
      this.signal?.removeEventListener('abort', this.onAbort);
      this.host.closed(this);
      throw e;
    }
    if (this.ended) {
      // aborted while subscribing: the component subscription exists now, so close it too
      const sub = this.subscription;
      this.closing = sub.close().catch(() => undefined);
      await this.closing;
      return DONE;
    }
    return { value: { subscriptionId: this.id, deliveryId: '', topic: '', data: NO_DATA, contentType: '', metadata: {} }, done: false };
  }

  private readonly onAbort = (): void => {
    void this.end();
  };
}
