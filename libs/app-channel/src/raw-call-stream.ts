// One proxied gRPC call to the app, as a stream of GrpcProxyFrame (headers, messages, status) for
// the gateway: a grpc-js client call with pass-through (de)serializers, read with backpressure
// (the call is paused while HIGH_WATER frames wait for the consumer, so a slow caller holds the
// app back through HTTP/2 flow control instead of filling memory). For a call that streams its
// request, the caller's input is written to the app as the app takes it (write() / 'drain'), then
// half-closed.
//
// The status frame comes last, once every message before it was read. Ending early: return()
// cancels the app's call; the watch (caller's signal, deadline) cancels it and fails the
// iteration with the watch's ApiError (grpc-js holds the same deadline: when its timer fires
// first, the call ends with a DEADLINE_EXCEEDED status frame instead); an input that throws
// cancels it too. Any of these, or the
// app's status, stops reading the input (its return()).
import type * as grpc from '@grpc/grpc-js';
import { isApiError } from '@tessera/contracts';
import type { ApiError, GrpcProxyFrame } from '@tessera/contracts';
import { callCancelled } from './call-watch';
import type { CallWatch } from './call-watch';
import { fromGrpcMetadata } from './headers';

/** Frames waiting for the consumer before the app's call is paused. */
const HIGH_WATER = 16;
/** Frames left when a paused call is resumed. */
const LOW_WATER = 4;

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;

export type RawCall = grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>;

/** What a call had received before it was handed over (a unary-looking call found streaming). */
export interface RawCallStart {
  readonly headers: grpc.Metadata | undefined;
  readonly messages: readonly Buffer[];
}

export function headersFrame(md: grpc.Metadata): GrpcProxyFrame {
  return { kind: { $case: 'headers', value: { metadata: fromGrpcMetadata(md.toJSON()) } } };
}

export function messageFrame(m: Buffer): GrpcProxyFrame {
  return { kind: { $case: 'message', value: m } };
}

export function statusFrame(s: grpc.StatusObject): GrpcProxyFrame {
  return { kind: { $case: 'status', value: { code: s.code, message: s.details, trailers: fromGrpcMetadata(s.metadata.toJSON()) } } };
}

export class RawCallStream implements AsyncIterableIterator<GrpcProxyFrame> {
  private readonly queue: GrpcProxyFrame[] = [];
  private head = 0;
  private waiter: { resolve(r: IteratorResult<GrpcProxyFrame>): void; reject(e: unknown): void } | undefined;
  private status: grpc.StatusObject | undefined;
  private readEnded = false;
  /** The status frame is queued: nothing more comes from the app. */
  private complete = false;
  /** return() was called or the call was aborted: nothing more is delivered. */
  private stopped = false;
  private error: ApiError | undefined;
  private paused = false;
  private inputIt: AsyncIterator<Uint8Array> | undefined;
  private inputDone = false;
  private drainWaiter: (() => void) | undefined;

  constructor(
    private readonly appId: string,
    private readonly call: RawCall,
    private readonly watch: CallWatch | undefined,
    start?: RawCallStart,
  ) {
    if (start !== undefined) {
      if (start.headers !== undefined) this.queue.push(headersFrame(start.headers));
      for (const m of start.messages) this.queue.push(messageFrame(m));
    }
    call.on('metadata', this.onMetadata);
    call.on('data', this.onData);
    call.on('end', this.onEnd);
    call.on('status', this.onStatus);
    call.on('error', noop); // a non-OK status is also emitted as 'error'; 'status' has it all
    watch?.onAbort((err) => this.abort(err));
    this.checkWater();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Writes `input` to the app's call (a duplex call), then half-closes it. Call once. */
  pump(input: AsyncIterable<Uint8Array>): void {
    void this.runPump(input);
  }

  next(): Promise<IteratorResult<GrpcProxyFrame>> {
    if (this.head < this.queue.length) return Promise.resolve({ value: this.take(), done: false });
    if (this.error !== undefined) {
      const e = this.error;
      this.error = undefined;
      this.stopped = true;
      return Promise.reject(e);
    }
    if (this.complete || this.stopped) return Promise.resolve(DONE);
    if (this.waiter !== undefined) return Promise.reject(new Error('concurrent next() calls on one proxied call are not supported'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The consumer stops: the app's call is cancelled unless it is over already. */
  return(): Promise<IteratorResult<GrpcProxyFrame>> {
    if (!this.complete && !this.stopped) this.call.cancel();
    this.stop();
    this.error = undefined;
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(DONE);
    return Promise.resolve(DONE);
  }

  private readonly onMetadata = (md: grpc.Metadata): void => {
    this.push(headersFrame(md));
  };

  private readonly onData = (m: Buffer): void => {
    this.push(messageFrame(m));
    this.checkWater();
  };

  private readonly onEnd = (): void => {
    this.onReadEnd();
  };

  private readonly onStatus = (s: grpc.StatusObject): void => {
    this.onStatusObject(s);
  };

  /** The call's readable side ended (also for a hand-over that had seen it already). */
  onReadEnd(): void {
    this.readEnded = true;
    this.finish();
  }

  /** The call's status (also for a hand-over that had seen it already). */
  onStatusObject(s: grpc.StatusObject): void {
    this.status = s;
    this.finish();
  }

  /** Queues the status once every message before it has been read. */
  private finish(): void {
    if (this.complete || this.stopped || this.status === undefined || !this.readEnded) return;
    this.complete = true;
    this.push(statusFrame(this.status));
    this.release();
  }

  private push(f: GrpcProxyFrame): void {
    if (this.stopped) return;
    const w = this.waiter;
    if (w !== undefined && this.head === this.queue.length) {
      this.waiter = undefined;
      w.resolve({ value: f, done: false });
      return;
    }
    this.queue.push(f);
  }

  private take(): GrpcProxyFrame {
    const f = this.queue[this.head] as GrpcProxyFrame;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    this.checkWater();
    return f;
  }

  private checkWater(): void {
    const waiting = this.queue.length - this.head;
    if (!this.paused && waiting >= HIGH_WATER && !this.complete) {
      this.paused = true;
      this.call.pause();
    } else if (this.paused && waiting <= LOW_WATER) {
      this.paused = false;
      this.call.resume();
    }
  }

  /** The caller went away (signal, deadline) or its input failed: cancel, fail the iteration. */
  private abort(err: ApiError): void {
    if (this.complete || this.stopped) return;
    this.call.cancel();
    this.stop();
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w.reject(err);
      return;
    }
    this.error = err;
  }

  private stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.head = 0;
    this.release();
  }

  /** The call is over for the app: no more input, no more watching. */
  private release(): void {
    this.watch?.dispose();
    const d = this.drainWaiter;
    this.drainWaiter = undefined;
    d?.();
    const it = this.inputIt;
    if (it !== undefined && !this.inputDone) {
      this.inputDone = true;
      try {
        if (it.return !== undefined) void Promise.resolve(it.return()).catch(noop);
      } catch {
        // the input's own cleanup failed; the call is over anyway
      }
    }
  }

  private get over(): boolean {
    return this.complete || this.stopped;
  }

  private async runPump(input: AsyncIterable<Uint8Array>): Promise<void> {
    const call = this.call as grpc.ClientDuplexStream<Buffer, Buffer>;
    try {
      const it = input[Symbol.asyncIterator]();
      this.inputIt = it;
      for (;;) {
        if (this.over) return this.release();
        const r = await it.next();
        if (this.over) return;
        if (r.done === true) {
          this.inputDone = true;
          call.end();
          return;
        }
        const v = r.value;
        const buf = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        if (!call.write(buf)) {
          await new Promise<void>((resolve) => {
            this.drainWaiter = resolve;
            call.once('drain', () => {
              if (this.drainWaiter === resolve) this.drainWaiter = undefined;
              resolve();
            });
          });
        }
      }
    } catch (e) {
      this.inputDone = true;
      this.abort(isApiError(e) ? e : callCancelled(this.appId));
    }
  }
}

function noop(): void {
  // ignored
}
