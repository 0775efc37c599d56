// The calling side of one duplex call (client streaming or bidirectional; transport.proto duplex
// frames): the answer is read as for a server stream (ClientStream), and the caller's input
// iterable is pumped to the server as STREAM_ITEM frames, one item at a time while the call holds
// input credit (INPUT_WINDOW at the start, then what the server's STREAM_CREDIT frames grant) and
// the socket is not full, then STREAM_END (half-close) when the input completes.
//
// The call being over (the server's STREAM_END or ERROR, a cancel, the deadline, a dropped
// connection, the consumer stopping) stops the pump and calls the input's return(). An input that
// throws cancels the call: the answer fails with the thrown ApiError, or as cancelled.
import { isApiError } from '@tessera/contracts';
import type { ClientConnection } from './client-connection';
import { ClientStream } from './client-stream';
import { FrameEncoder } from './framing';
import type { MethodInfo } from './service';
import { CANCELLED, codecFailure, tooLarge } from './transport-errors';
import type { FailureMapper, TransportFailure } from './transport-errors';
import { FrameType, INPUT_WINDOW } from './wire';
import type { Codec } from './wire';

/** Encoding is synchronous, so one encoder serves every duplex call of the process. */
const INPUT_FRAMES = new FrameEncoder();

export class DuplexClientStream<In, Res> extends ClientStream<Res> {
  private inputCredit = INPUT_WINDOW;
  private parked: (() => void) | undefined;
  private over = false;
  private inputIt: AsyncIterator<In> | undefined;
  private inputDone = false;

  constructor(
    conn: ClientConnection,
    id: number,
    m: MethodInfo,
    response: Codec<Res>,
    req: unknown,
    signal: AbortSignal | undefined,
    map: FailureMapper,
    window: number,
    private readonly input: AsyncIterable<In>,
    private readonly inputCodec: Codec<In>,
    private readonly maxFrameBytes: number,
  ) {
    super(conn, id, m, response, req, signal, map, window);
  }

  /** Starts sending the input; call once, after the REQUEST frame was handed to the connection. */
  start(): void {
    void this.pump();
  }

  /** Input items that may be sent before the next STREAM_CREDIT. */
  get inputCreditLeft(): number {
    return this.inputCredit;
  }

  /** @internal STREAM_CREDIT from the server. */
  override grantInput(items: number): void {
    if (items <= 0) return;
    this.inputCredit += items;
    this.wake();
  }

  /** @internal Unparks the pump (credit, the socket drained, the call is over). */
  readonly wake = (): void => {
    const p = this.parked;
    this.parked = undefined;
    p?.();
  };

  protected override finished(): void {
    if (this.over) return;
    this.over = true;
    this.wake();
    this.stopInput();
  }

  private stopInput(): void {
    const it = this.inputIt;
    if (it === undefined || this.inputDone) return;
    this.inputDone = true;
    try {
      if (it.return !== undefined) void Promise.resolve(it.return()).catch(() => undefined);
    } catch {
      // the input's own cleanup failed; the call is over anyway
    }
  }

  private async pump(): Promise<void> {
    const conn = this.conn as ClientConnection;
    try {
      this.inputIt = this.input[Symbol.asyncIterator]();
      if (this.over) return this.stopInput();
      const it = this.inputIt;
      for (;;) {
        while (!this.over && (this.inputCredit <= 0 || conn.socket.writableNeedDrain)) {
          const parked = new Promise<void>((resolve) => (this.parked = resolve));
          if (conn.socket.writableNeedDrain) conn.onDrain(this.wake);
          await parked;
        }
        if (this.over) return;
        const r = await it.next();
        if (this.over) return;
        if (r.done === true) {
          this.inputDone = true;
          conn.halfClose(this.id);
          return;
        }
        let frame: Uint8Array;
        try {
          this.inputCodec.encode(r.value, INPUT_FRAMES.begin());
          frame = INPUT_FRAMES.end(this.id, FrameType.FRAME_TYPE_STREAM_ITEM);
        } catch (e) {
          INPUT_FRAMES.abort();
          return this.abortWith(codecFailure('encode an input item', e));
        }
        if (frame.length > this.maxFrameBytes) return this.abortWith(tooLarge('input item', frame.length, this.maxFrameBytes));
        conn.write(frame);
        this.inputCredit--;
      }
    } catch (e) {
      // the input threw: nobody can complete the call's request any more
      this.inputDone = true;
      if (this.over) return;
      const conn2 = this.conn as ClientConnection;
      if (conn2.forget(this)) conn2.cancel(this.id);
      this.setError(isApiError(e) ? e : this.mapFailure(CANCELLED));
    }
  }

  /** Cancels the call on the server and fails the answer with `f`. */
  private abortWith(f: TransportFailure): void {
    const conn = this.conn as ClientConnection;
    if (!conn.forget(this)) return;
    conn.cancel(this.id);
    this.fail(f);
  }
}
