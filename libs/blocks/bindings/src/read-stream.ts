// One input-binding reader as the AsyncIterator BindingsApi.read() hands out. The first next()
// starts the component reading and yields `{ readerId }`; every later next() yields one event.
// The component's handler promise for an event stays open until settle() answers it, so the
// component acknowledges its source (broker ack, ...) only once the app accepted the event, and
// the component's own pacing bounds how many events are in flight.
//
// The stream ends when the consumer returns (break), ctx.signal aborts, or end() is called
// (shutdown). Every event not yet settled is then failed back to the component (its handler
// rejects: nack / redelivery, as for an app failure), and the component reader is closed.
import type { BindingDelivery } from '@tessera/contracts';
import type { BindingReadEvent, BindingReader } from '@tessera/spi';

interface Waiter {
  resolve(r: IteratorResult<BindingDelivery>): void;
}

interface InFlight {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

const DONE: IteratorResult<BindingDelivery> = Object.freeze({ value: undefined, done: true }) as IteratorResult<BindingDelivery>;
const NO_DATA = Buffer.alloc(0);

/** A Buffer view of the component's bytes (no copy). */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** The error an unsettled event is failed back with when its reader ends. */
export class ReaderClosedError extends Error {
  readonly kind = 'tessera.binding-reader-closed' as const;
  constructor(message = 'the input binding reader ended before the app answered') {
    super(message);
    this.name = 'ReaderClosedError';
  }
}

/** What the stream needs from its owner (the block). */
export interface ReadStreamHost {
  /** Starts the component reading into stream.handler. Throws the ApiError to report. */
  open(stream: ReadStream): Promise<BindingReader>;
  /** The stream ended: forget it. */
  closed(stream: ReadStream): void;
}

export class ReadStream implements AsyncIterableIterator<BindingDelivery> {
  private started = false;
  private ended = false;
  private seq = 0;
  private readonly queue: BindingDelivery[] = [];
  private readonly inFlight = new Map<string, InFlight>();
  private waiter: Waiter | undefined;
  private reader: BindingReader | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly id: string,
    /** The binding read. */
    readonly name: string,
    /** The app this reader delivers to. */
    readonly appId: string,
    private readonly host: ReadStreamHost,
    private readonly signal: AbortSignal | undefined,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Events handed out (or queued) and not settled yet. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** The component's handler: queues the event; resolves or rejects when settle() answers it. */
  readonly handler = (event: BindingReadEvent): Promise<void> => {
    if (this.ended) return Promise.reject(new ReaderClosedError('the input binding reader is closing'));
    return new Promise<void>((resolve, reject) => {
      const deliveryId = String(++this.seq);
      this.inFlight.set(deliveryId, { resolve, reject });
      const value: BindingDelivery = {
        readerId: this.id,
        deliveryId,
        data: asBuffer(event.data),
        metadata: { ...event.metadata },
        contentType: event.contentType ?? '',
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

  /** Answers one event; false when it is unknown (already settled, or the reader ended). */
  settle(deliveryId: string, ok: boolean, error: string): boolean {
    const f = this.inFlight.get(deliveryId);
    if (f === undefined) return false;
    this.inFlight.delete(deliveryId);
    if (ok) f.resolve();
    else f.reject(new Error(error !== '' ? error : 'the app did not accept the event'));
    return true;
  }

  async next(): Promise<IteratorResult<BindingDelivery>> {
    if (!this.started) return this.start();
    const q = this.queue.shift();
    if (q !== undefined) return { value: q, done: false };
    if (this.ended) return DONE;
    if (this.waiter !== undefined) throw new Error('concurrent next() calls on one input binding reader are not supported');
    return new Promise((resolve) => (this.waiter = { resolve }));
  }

  async return(): Promise<IteratorResult<BindingDelivery>> {
    await this.end();
    return DONE;
  }

  /** Ends the stream: fails back every unsettled event, then closes the component reader. Idempotent. */
  end(): Promise<void> {
    if (this.closing) return this.closing;
    this.ended = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.queue.length = 0;
    const unsettled = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const f of unsettled) f.reject(new ReaderClosedError());
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(DONE);
    this.closing = (async () => {
      const r = this.reader;
      this.reader = undefined;
      // the handlers in flight were just rejected, so close() has nothing left to wait for
      if (r !== undefined) await r.close().catch(() => undefined);
      this.host.closed(this);
    })();
    return this.closing;
  }

  private async start(): Promise<IteratorResult<BindingDelivery>> {
    this.started = true;
    if (this.ended || this.signal?.aborted) {
      this.ended = true;
      return DONE;
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    let reader: BindingReader;
    try {
      reader = await this.host.open(this);
    } catch (e) {
      this.ended = true;
      this.signal?.removeEventListener('abort', this.onAbort);
      this.host.closed(this);
      throw e;
    }
    this.reader = reader;
    if (this.ended) {
      // ended while the component was starting: the reader exists now, so close it too
      this.closing = undefined;
      await this.end();
      return DONE;
    }
    return { value: { readerId: this.id, deliveryId: '', data: NO_DATA, metadata: {}, contentType: '' }, done: false };
  }

  private readonly onAbort = (): void => {
    void this.end();
  };
}
