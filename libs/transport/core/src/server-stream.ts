// The serving side's state of one streaming call (server-streaming, duplex, or an upgraded unary
// call): its abort signal (CANCEL, deadline, connection closed, server shutting down), the
// caller's flow-control credit, the input of a duplex call, and a single parking spot the
// producer loop waits on while it has no credit or the socket is full. The loop itself lives in
// FramedServer's connection, which owns the socket.
import type { ServerInput } from './server-input';
import type { MethodInfo } from './service';
import { methodFailure } from './transport-errors';
import type { TransportFailure } from './transport-errors';
import type { Codec } from './wire';

/** What `whenAborted` resolves to. */
export const ABORTED: unique symbol = Symbol('aborted');

export class ServerStream {
  readonly controller = new AbortController();
  timer: NodeJS.Timeout | undefined = undefined;
  /** Items the caller may still receive; Infinity without flow control. */
  private credit: number;
  private parked: (() => void) | undefined;
  private onAbort: (() => void) | undefined;
  /** Resolves (never rejects) when the call is aborted. */
  readonly whenAborted: Promise<typeof ABORTED>;

  constructor(
    /** The method, for the wording of failures. */
    readonly def: MethodInfo,
    /** Codec of the items sent. */
    readonly item: Codec<unknown>,
    readonly req: unknown,
    readonly id: number,
    window: number,
    /** The caller's input items (duplex calls only). */
    readonly input?: ServerInput<unknown>,
  ) {
    this.credit = window > 0 ? window : Infinity;
    this.whenAborted = new Promise((resolve) => (this.onAbort = () => resolve(ABORTED)));
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  get hasCredit(): boolean {
    return this.credit > 0;
  }

  /** Aborts the producer's signal with the method's own wording of `f`. Idempotent. */
  abort(f: TransportFailure): void {
    clearTimeout(this.timer);
    if (!this.controller.signal.aborted) {
      const reason = methodFailure(this.def, this.req, f);
      this.controller.abort(reason);
      this.input?.fail(reason);
      this.onAbort?.();
    }
    this.wake();
  }

  /** STREAM_CREDIT from the caller. */
  grant(items: number): void {
    if (items <= 0) return;
    this.credit += items;
    this.wake();
  }

  /** One item was sent. */
  consume(): void {
    this.credit--;
  }

  /** Resolves at the next grant, wake or abort. */
  park(): Promise<void> {
    return new Promise((resolve) => (this.parked = resolve));
  }

  /** Unparks the producer (also used as the socket's drain callback). */
  readonly wake = (): void => {
    const p = this.parked;
    this.parked = undefined;
    p?.();
  };
}
