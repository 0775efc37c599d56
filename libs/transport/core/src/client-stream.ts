// The calling side of one server-streaming call (transport.proto: STREAM_ITEM / STREAM_END /
// STREAM_CREDIT): an AsyncIterator over the response messages. Items that arrive before the
// consumer asks are buffered; with a flow-control window the server never sends more than the
// window ahead of the consumer, because credit is returned only as items are taken.
//
// Ending: STREAM_END completes the iteration after the buffered items; an ERROR frame, a dropped
// connection or the deadline fail it after the buffered items (the error is thrown by the next()
// that would have waited); an abort of ctx.signal fails it at once (nobody wants the rest). A
// consumer that stops early (`break` in for-await, or return()) sends CANCEL, so the server stops
// producing. One next() at a time: a second concurrent next() is a bug of the caller and rejects.
// The same class carries the answer of an upgraded unary call (RESPONSE_STREAM) and, extended by
// DuplexClientStream, the answer of a duplex call.
import type { ApiError } from '@tessera/contracts';
import type { ClientConnection } from './client-connection';
import type { MethodInfo } from './service';
import { abortError, codecFailure, fromErrorStatus } from './transport-errors';
import type { FailureMapper, TransportFailure } from './transport-errors';
import { ErrorStatus } from './wire';
import type { Codec } from './wire';

interface Waiter<T> {
  resolve(r: IteratorResult<T>): void;
  reject(e: unknown): void;
}

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;

export class ClientStream<Res> implements AsyncIterableIterator<Res> {
  timer: NodeJS.Timeout | undefined = undefined;
  private readonly buffered: Res[] = [];
  private head = 0;
  private waiter: Waiter<Res> | undefined;
  /** No more items will come (STREAM_END, or the consumer returned). */
  private ended = false;
  /** Thrown once the buffered items are taken. */
  private error: ApiError | undefined;
  /** Items taken since credit was last returned. */
  private taken = 0;

  constructor(
    readonly conn: ClientConnection | null,
    readonly id: number,
    readonly m: MethodInfo,
    private readonly response: Codec<Res> | null,
    readonly req: unknown,
    readonly signal: AbortSignal | undefined,
    private readonly map: FailureMapper,
    private readonly window: number,
  ) {}

  /** A stream that failed before it could start (client closed, unreachable, ...). */
  static failed<T>(m: MethodInfo, req: unknown, e: ApiError): ClientStream<T> {
    const s = new ClientStream<T>(null, 0, m, null, req, undefined, () => e, 0);
    s.error = e;
    return s;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Items received and not yet taken. */
  get bufferedItems(): number {
    return this.buffered.length - this.head;
  }

  next(): Promise<IteratorResult<Res>> {
    if (this.head < this.buffered.length) return Promise.resolve({ value: this.take(), done: false });
    if (this.error !== undefined) {
      const e = this.error;
      this.error = undefined;
      this.ended = true;
      return Promise.reject(e);
    }
    if (this.ended) return Promise.resolve(DONE);
    if (this.waiter !== undefined) return Promise.reject(new Error('concurrent next() calls on one stream are not supported'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The consumer stops: CANCEL to the server if the stream is still open; buffered items are dropped. */
  return(): Promise<IteratorResult<Res>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  throw(e?: unknown): Promise<IteratorResult<Res>> {
    this.stop();
    return Promise.reject(e);
  }

  /** @internal STREAM_ITEM. */
  onItem(payload: Buffer): void {
    if (this.ended) return;
    let v: Res;
    try {
      v = (this.response as Codec<Res>).decode(payload);
    } catch (e) {
      if (this.conn !== null && this.conn.forget(this)) this.conn.cancel(this.id);
      this.fail(codecFailure('decode a stream item', e));
      return;
    }
    const w = this.waiter;
    if (w !== undefined && this.head === this.buffered.length) {
      this.waiter = undefined;
      this.credit();
      w.resolve({ value: v, done: false });
      return;
    }
    this.buffered.push(v);
  }

  /** @internal STREAM_CREDIT from the server: only duplex calls take input credit. */
  grantInput(_items: number): void {
    // a server-streaming call has no input
  }

  /** The call is over, whichever way (end, error, cancel, the consumer stopped). May run twice. */
  protected finished(): void {
    // nothing to release here; DuplexClientStream stops its input
  }

  /** @internal STREAM_END (the connection has forgotten the call). */
  onEnd(): void {
    this.finished();
    this.ended = true;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w.resolve(DONE);
    }
  }

  /** @internal ERROR frame (the connection has forgotten the call). */
  failWith(payload: Buffer): void {
    let e: ApiError;
    try {
      e = fromErrorStatus(ErrorStatus.decode(payload));
    } catch (err) {
      e = this.map(this.m, this.req, codecFailure('decode the error', err));
    }
    this.setError(e);
  }

  /** @internal A failure of the transport (the connection has forgotten the call). */
  fail(f: TransportFailure): void {
    this.setError(this.map(this.m, this.req, f));
  }

  /** The caller's error for a failure of the transport. */
  protected mapFailure(f: TransportFailure): ApiError {
    return this.map(this.m, this.req, f);
  }

  /** @internal ctx.signal aborted: fail at once, dropping what is buffered. */
  handleEvent(): void {
    if (this.conn === null || !this.conn.forget(this)) return;
    this.conn.cancel(this.id);
    this.buffered.length = 0;
    this.head = 0;
    this.setError(abortError(this.m, this.req, this.signal as AbortSignal, this.map));
  }

  protected setError(e: ApiError): void {
    this.finished();
    if (this.ended) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      this.ended = true;
      w.reject(e);
      return;
    }
    this.error = e;
  }

  private stop(): void {
    if (this.conn !== null && this.conn.forget(this)) this.conn.cancel(this.id);
    this.finished();
    this.ended = true;
    this.error = undefined;
    this.buffered.length = 0;
    this.head = 0;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w.resolve(DONE);
    }
  }

  private take(): Res {
    const v = this.buffered[this.head] as Res;
    this.head++;
    if (this.head === this.buffered.length) {
      this.buffered.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.buffered.length) {
      this.buffered.splice(0, this.head);
      this.head = 0;
    }
    this.credit();
    return v;
  }

  /** Returns credit in batches of half the window, while the stream is open. */
  private credit(): void {
    if (this.window <= 0 || this.conn === null || !this.conn.isPending(this)) return;
    this.taken++;
    if (this.taken >= Math.max(1, this.window >> 1)) {
      this.conn.credit(this.id, this.taken);
      this.taken = 0;
    }
  }
}
