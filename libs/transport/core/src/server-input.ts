// The serving side's view of a duplex call's input (transport.proto: client -> server STREAM_ITEM
// and STREAM_END, server -> client STREAM_CREDIT): an AsyncIterator over the caller's input items
// for the method's `open`. The caller may send INPUT_WINDOW items ahead; credit goes back as the
// consumer takes items (in batches of half the window), so at most INPUT_WINDOW items are ever
// buffered here and a caller that sends more breaks the protocol (the call fails).
//
// Ending: the caller's half-close completes the iteration after the buffered items; an abort of
// the call (CANCEL, deadline, disconnect, shutdown, a protocol error) rejects the pending and
// later next() with the abort reason, dropping what is buffered; the output finishing first
// (STREAM_END or ERROR sent) completes it at once. return() drops the rest; later input is
// ignored. One next() at a time.
import type { TransportFailure } from './transport-errors';
import { codecFailure, protocolFailure } from './transport-errors';
import type { Codec } from './wire';

interface Waiter<T> {
  resolve(r: IteratorResult<T>): void;
  reject(e: unknown): void;
}

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;

export class ServerInput<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private head = 0;
  private waiter: Waiter<T> | undefined;
  /** The caller half-closed. */
  private halfClosed = false;
  /** Nothing more is delivered: the consumer returned, or the call is over. */
  private closed = false;
  /** Rejects the next next() (the call was aborted). */
  private error: unknown = undefined;
  private failed = false;
  /** Items taken since credit was last returned. */
  private taken = 0;

  constructor(
    private readonly codec: Codec<T>,
    private readonly window: number,
    private readonly credit: (items: number) => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Items received and not yet taken. */
  get bufferedItems(): number {
    return this.buffered.length - this.head;
  }

  /** STREAM_ITEM from the caller; a failure means the caller broke the protocol (fail the call). */
  push(payload: Uint8Array): TransportFailure | undefined {
    if (this.closed) return undefined;
    if (this.halfClosed) return protocolFailure('an input item after the half-close');
    if (this.bufferedItems >= this.window) return protocolFailure(`more input items than the flow-control window of ${this.window}`);
    let v: T;
    try {
      v = this.codec.decode(payload);
    } catch (e) {
      return codecFailure('decode an input item', e);
    }
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      this.returnCredit();
      w.resolve({ value: v, done: false });
      return undefined;
    }
    this.buffered.push(v);
    return undefined;
  }

  /** STREAM_END from the caller (half-close). */
  end(): void {
    if (this.closed || this.halfClosed) return;
    this.halfClosed = true;
    if (this.waiter !== undefined && this.bufferedItems === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(DONE);
    }
  }

  /** The call was aborted: the consumer's pending or next next() rejects with `reason`. */
  fail(reason: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.drop();
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w.reject(reason);
      return;
    }
    this.failed = true;
    this.error = reason;
  }

  /** The call is over (the output ended): the iteration completes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.drop();
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(DONE);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.buffered.length) return Promise.resolve({ value: this.take(), done: false });
    if (this.failed) {
      this.failed = false;
      const e = this.error;
      this.error = undefined;
      return Promise.reject(e);
    }
    if (this.closed || this.halfClosed) return Promise.resolve(DONE);
    if (this.waiter !== undefined) return Promise.reject(new Error('concurrent next() calls on one input stream are not supported'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The consumer stops reading: what is buffered is dropped, later input ignored. */
  return(): Promise<IteratorResult<T>> {
    this.close();
    this.failed = false;
    this.error = undefined;
    return Promise.resolve(DONE);
  }

  private drop(): void {
    this.buffered.length = 0;
    this.head = 0;
  }

  private take(): T {
    const v = this.buffered[this.head] as T;
    this.head++;
    if (this.head === this.buffered.length) this.drop();
    this.returnCredit();
    return v;
  }

  /** Returns credit in batches of half the window while the caller may still send. */
  private returnCredit(): void {
    if (this.halfClosed || this.closed) return;
    this.taken++;
    if (this.taken >= Math.max(1, this.window >> 1)) {
      const n = this.taken;
      this.taken = 0;
      this.credit(n);
    }
  }
}
