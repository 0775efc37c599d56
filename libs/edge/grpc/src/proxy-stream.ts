// Streaming gRPC proxying on the edge: the client's request messages as an AsyncIterable for the
// invoke route (ProxyInput, read with backpressure: the client's call is paused while
// HIGH_WATER messages wait, so a slow callee holds the client back through HTTP/2 flow control),
// and the callee app's answer (GrpcProxyFrame: headers, messages, status) written back to the
// client's call (pipeAnswer), waiting for 'drain' when the client reads slowly. The client
// cancelling (or its deadline) stops the answer (its return(), which cancels the app's call).
import * as grpc from '@grpc/grpc-js';
import { isApiError } from '@tessera/contracts';
import type { ApiError, GrpcProxyFrame, ListStringValue } from '@tessera/contracts';

const HIGH_WATER = 16;
const LOW_WATER = 4;
const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;

type ProxyCall = grpc.ServerDuplexStream<Buffer, Buffer>;

/** The client's request messages, from `buffered` (already received) on. One next() at a time. */
export class ProxyInput implements AsyncIterableIterator<Uint8Array> {
  private readonly queue: Buffer[];
  private head = 0;
  private waiter: ((r: IteratorResult<Uint8Array>) => void) | undefined;
  private ended: boolean;
  private closed = false;
  private paused = false;

  constructor(
    private readonly call: ProxyCall,
    buffered: Buffer[],
    endedAlready: boolean,
  ) {
    this.queue = buffered;
    this.ended = endedAlready;
    if (!endedAlready) {
      call.on('data', this.onData);
      call.once('end', this.onEnd);
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.head < this.queue.length) {
      const m = this.queue[this.head] as Buffer;
      this.head++;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      if (this.paused && this.queue.length - this.head <= LOW_WATER) {
        this.paused = false;
        this.call.resume();
      }
      return Promise.resolve({ value: m, done: false });
    }
    if (this.ended || this.closed) return Promise.resolve(DONE);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** The callee stopped reading (its call is over): later client messages are dropped. */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.closed) {
      this.closed = true;
      this.queue.length = 0;
      this.head = 0;
      this.call.off('data', this.onData);
      this.call.off('end', this.onEnd);
      if (this.paused) {
        this.paused = false;
        this.call.resume();
      }
      const w = this.waiter;
      this.waiter = undefined;
      w?.(DONE);
    }
    return Promise.resolve(DONE);
  }

  private readonly onData = (m: Buffer): void => {
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w({ value: m, done: false });
      return;
    }
    this.queue.push(m);
    if (!this.paused && this.queue.length - this.head >= HIGH_WATER) {
      this.paused = true;
      this.call.pause();
    }
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(DONE);
  };
}

/** A multi-map (ListStringValue, -bin base64) as gRPC metadata; keys gRPC owns are skipped. */
export function toGrpcMetadata(m: Record<string, ListStringValue>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(m)) {
    if (k.startsWith(':') || k.startsWith('grpc-') || k === 'content-type') continue;
    for (const value of v.values) {
      try {
        if (k.endsWith('-bin')) md.add(k, Buffer.from(value, 'base64'));
        else md.add(k, value);
      } catch {
        // a header name gRPC cannot carry
      }
    }
  }
  return md;
}

/** Resolves when the client's call can take more, or is gone. */
function writable(call: ProxyCall): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.once('drain', done);
    call.once('cancelled', done);
  });
}

/**
 * Writes the callee app's answer to the client's call: headers, messages, then the app's status
 * and trailers. An ApiError (the call could not be made, or broke) ends the call with its status.
 * The client cancelling returns the answer early (cancelling the app's call).
 */
export async function pipeAnswer(
  call: ProxyCall,
  answer: AsyncIterable<GrpcProxyFrame>,
  toServiceError: (e: ApiError) => Partial<grpc.ServiceError>,
  toError: (e: unknown) => ApiError,
): Promise<void> {
  const it = answer[Symbol.asyncIterator]();
  const onCancel = (): void => {
    if (it.return !== undefined) void Promise.resolve(it.return()).catch(() => undefined);
  };
  if (call.cancelled) return onCancel();
  call.once('cancelled', onCancel);
  let headersSent = false;
  try {
    for (;;) {
      const r = await it.next();
      if (call.cancelled) return;
      if (r.done === true) {
        call.end();
        return;
      }
      const k = r.value.kind;
      if (k === undefined) continue;
      if (k.$case === 'headers') {
        if (!headersSent) call.sendMetadata(toGrpcMetadata(k.value.metadata));
        headersSent = true;
      } else if (k.$case === 'message') {
        if (!call.write(k.value)) await writable(call);
      } else {
        const trailers = toGrpcMetadata(k.value.trailers);
        if (k.value.code === grpc.status.OK) call.end(trailers);
        else call.emit('error', { code: k.value.code, details: k.value.message, metadata: trailers });
        return;
      }
    }
  } catch (e) {
    if (!call.cancelled) call.emit('error', toServiceError(isApiError(e) ? e : toError(e)));
  } finally {
    call.off('cancelled', onCancel);
  }
}
