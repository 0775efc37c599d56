// One TCP connection of a FramedClient and the calls waiting on it: Hello first, requests
// multiplexed by call id, answers matched back, CANCEL for an aborted call, GOAWAY honoured
// (finish what is in flight, end when drained). Calls still waiting when it closes fail as
// unreachable. Server-streaming calls (ClientStream) live in the same table until STREAM_END,
// ERROR or CANCEL; their items are routed by call id. A duplex call (DuplexClientStream) also
// writes its input items here and takes the server's input credit; an upgradable unary call
// answered with RESPONSE_STREAM turns into a ClientStream under the same id. Reconnecting and
// backoff are the owner's business (FramedClient).
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import type { ApiError, LazyAbortContext } from '@tessera/contracts';
import { ClientStream } from './client-stream';
import { MAX_TIMER_MS } from './call-context';
import { FrameEncoder, FrameError, FrameReader, FrameSink } from './framing';
import type { AnyMethodDef } from './service';
import { abortError, codecFailure, DEADLINE_EXCEEDED, fromErrorStatus, protocolFailure, unreachable } from './transport-errors';
import type { FailureMapper, TransportFailure } from './transport-errors';
import { ErrorStatus, FrameType, StreamCredit } from './wire';
import type { Codec } from './wire';

/** What a connection needs from the client that owns it. */
export interface ConnectionOwner {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly connectTimeoutMs: number;
  readonly keepAliveMs: number;
  readonly maxFrameBytes: number;
  /** How errors name the server ("state-svc"). */
  readonly serverLabel: string;
  /** The Hello frame of the service, sent first. */
  readonly helloFrame: Uint8Array;
  onOpen(c: ClientConnection): void;
  onGoAway(c: ClientConnection): void;
  onClosed(c: ClientConnection): void;
}

/** Encoder of the client's control frames (synchronous use, so one per process). */
const CONTROL_FRAMES = new FrameEncoder();

/** A call in a connection's table: unary (PendingCall) or streaming (ClientStream). */
export type ClientCall = PendingCall | ClientStream<unknown>;

export class ClientConnection {
  readonly socket: Socket;
  private readonly sink: FrameSink;
  private readonly reader: FrameReader;
  private readonly pending = new Map<number, ClientCall>();
  private lastId = 0;
  private draining = false;
  /** Duplex calls waiting for the socket to drain before sending more input. */
  private readonly drainWaiters = new Set<() => void>();
  wasOpen = false;
  /** The server answered Hello with an error: back off as after a failed connect. */
  refused = false;
  /** Why the connection failed or closed, for the error of the calls it fails. */
  reason = '';

  constructor(private readonly owner: ConnectionOwner) {
    const socket = netConnect({ host: owner.host, port: owner.port, noDelay: true });
    this.socket = socket;
    this.sink = new FrameSink(socket);
    this.reader = new FrameReader(owner.maxFrameBytes, (id, type, payload) => this.onFrame(id, type, payload));
    socket.setTimeout(owner.connectTimeoutMs, () => {
      this.reason ||= `connect timed out after ${owner.connectTimeoutMs} ms`;
      socket.destroy();
    });
    socket.once('connect', () => {
      this.wasOpen = true;
      socket.setTimeout(0);
      socket.setKeepAlive(true, owner.keepAliveMs);
      owner.onOpen(this);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk);
      } catch (e) {
        this.reason ||= e instanceof FrameError ? `protocol error: ${e.message}` : String(e);
        socket.destroy();
      }
    });
    socket.on('error', (e: Error) => {
      this.reason ||= e.message;
    });
    socket.on('drain', () => this.wakeDrainWaiters());
    socket.once('close', () => this.onClose());
    // written before 'connect': the socket buffers it, and requests queue up behind it
    this.sink.write(owner.helloFrame);
  }

  /** Calls waiting for their answer on this connection. */
  get inFlight(): number {
    return this.pending.size;
  }

  nextId(): number {
    let id = this.lastId;
    do id = (id + 1) >>> 0 || 1;
    while (this.pending.has(id));
    this.lastId = id;
    return id;
  }

  send(p: ClientCall, frame: Uint8Array, timeoutMs: number): void {
    this.pending.set(p.id, p);
    if (timeoutMs > 0) p.timer = setTimeout(onPendingDeadline, timeoutMs, p);
    if (p.signal !== undefined) p.signal.addEventListener('abort', p);
    else if (p instanceof PendingCall && p.lazy !== undefined) p.lazy.onAbort(p);
    this.sink.write(frame);
  }

  /** Whether `p` is still waiting on this connection. */
  isPending(p: ClientCall): boolean {
    return this.pending.get(p.id) === p;
  }

  /** Takes `p` off the books; false when it was settled already. */
  forget(p: ClientCall): boolean {
    if (this.pending.get(p.id) !== p) return false;
    this.pending.delete(p.id);
    clearTimeout(p.timer);
    if (p.signal !== undefined) p.signal.removeEventListener('abort', p);
    else if (p instanceof PendingCall && p.lazy !== undefined) p.lazy.offAbort(p);
    if (this.draining && this.pending.size === 0) this.socket.end();
    return true;
  }

  cancel(id: number): void {
    if (!this.socket.destroyed) this.sink.write(CONTROL_FRAMES.empty(id, FrameType.FRAME_TYPE_CANCEL));
  }

  /** A duplex call's input item (an encoded STREAM_ITEM frame). */
  write(frame: Uint8Array): void {
    if (!this.socket.destroyed) this.sink.write(frame);
  }

  /** STREAM_END from the client: the duplex call `id` has no more input. */
  halfClose(id: number): void {
    if (!this.socket.destroyed) this.sink.write(CONTROL_FRAMES.empty(id, FrameType.FRAME_TYPE_STREAM_END));
  }

  /** Runs `wake` once when the socket drains (or closes). */
  onDrain(wake: () => void): void {
    if (this.socket.destroyed) return wake();
    this.drainWaiters.add(wake);
  }

  /**
   * Puts `s` in the place of the upgraded call `p` (same id): `p`'s timer and abort listener go,
   * `s` gets its own until `deadline`. False when `p` was settled already.
   */
  replace(p: PendingCall, s: ClientStream<unknown>, deadline: number | undefined): boolean {
    if (this.pending.get(p.id) !== p) return false;
    clearTimeout(p.timer);
    if (p.signal !== undefined) p.signal.removeEventListener('abort', p);
    else if (p.lazy !== undefined) p.lazy.offAbort(p);
    this.pending.set(s.id, s);
    if (deadline !== undefined) s.timer = setTimeout(onPendingDeadline, Math.max(0, Math.min(deadline - Date.now(), MAX_TIMER_MS)), s);
    if (s.signal !== undefined) s.signal.addEventListener('abort', s);
    return true;
  }

  private wakeDrainWaiters(): void {
    if (this.drainWaiters.size === 0) return;
    const waiters = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const w of waiters) w();
  }

  /** STREAM_CREDIT: the consumer of stream `id` took `items` more. */
  credit(id: number, items: number): void {
    if (this.socket.destroyed) return;
    StreamCredit.encode({ items }, CONTROL_FRAMES.begin());
    this.sink.write(CONTROL_FRAMES.end(id, FrameType.FRAME_TYPE_STREAM_CREDIT));
  }

  /** Resolves when connected; rejects with the reason when the connect fails. */
  opened(): Promise<void> {
    if (this.wasOpen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('close', () => reject(this.reason || 'connection closed'));
    });
  }

  private onFrame(id: number, type: number, payload: Buffer): void {
    switch (type) {
      case FrameType.FRAME_TYPE_RESPONSE: {
        const p = this.pending.get(id);
        if (p === undefined || !this.forget(p)) return;
        if (p instanceof PendingCall) return p.succeed(payload);
        this.cancel(id);
        return p.fail(protocolFailure('a unary response to a streaming call'));
      }
      case FrameType.FRAME_TYPE_RESPONSE_STREAM: {
        const p = this.pending.get(id);
        if (p === undefined) return;
        if (p instanceof PendingCall && p.m.upgrade !== undefined) return p.upgradeTo(payload);
        if (this.forget(p)) {
          this.cancel(id);
          p.fail(protocolFailure('a streamed answer to a call that cannot take one'));
        }
        return;
      }
      case FrameType.FRAME_TYPE_STREAM_CREDIT: {
        const p = this.pending.get(id);
        if (p === undefined || p instanceof PendingCall) return;
        try {
          p.grantInput(StreamCredit.decode(payload).items);
        } catch {
          // a malformed credit grants nothing
        }
        return;
      }
      case FrameType.FRAME_TYPE_STREAM_ITEM: {
        const p = this.pending.get(id);
        if (p === undefined) return; // a stream cancelled a moment ago
        if (p instanceof ClientStream) return p.onItem(payload);
        if (this.forget(p)) p.fail(protocolFailure('a stream item for a unary call'));
        return;
      }
      case FrameType.FRAME_TYPE_STREAM_END: {
        const p = this.pending.get(id);
        if (p === undefined || !this.forget(p)) return;
        if (p instanceof ClientStream) return p.onEnd();
        return p.fail(protocolFailure('a stream end for a unary call'));
      }
      case FrameType.FRAME_TYPE_ERROR: {
        if (id === 0) {
          this.refused = true;
          this.reason ||= decodeReason(payload);
          this.socket.destroy();
          return;
        }
        const p = this.pending.get(id);
        if (p !== undefined && this.forget(p)) p.failWith(payload);
        return;
      }
      case FrameType.FRAME_TYPE_GOAWAY:
        this.draining = true;
        this.owner.onGoAway(this);
        if (this.pending.size === 0) this.socket.end();
        return;
      default:
        return;
    }
  }

  private onClose(): void {
    if (!this.reason) this.reason = this.wasOpen ? `connection closed by ${this.owner.serverLabel}` : 'connection closed';
    this.owner.onClosed(this);
    const f = unreachable(this.owner.serverLabel, this.owner.address, this.reason);
    for (const p of [...this.pending.values()]) {
      if (this.forget(p)) p.fail(f);
    }
    this.wakeDrainWaiters();
  }
}

function decodeReason(payload: Buffer): string {
  try {
    return ErrorStatus.decode(payload).message;
  } catch {
    return 'refused by the server';
  }
}

/**
 * A call waiting for its answer. It is its own abort listener (handleEvent), so registering on
 * ctx.signal allocates no closure.
 */
export class PendingCall {
  timer: NodeJS.Timeout | undefined = undefined;
  /** Upgradable calls: the flow-control window of the stream they may turn into. */
  window = 0;
  /** Upgradable calls: the caller's absolute deadline, kept by the stream they may turn into. */
  deadline: number | undefined = undefined;
  /** The caller's context when it is watched through the lazy-abort protocol (no signal made). */
  lazy: LazyAbortContext | undefined = undefined;

  constructor(
    readonly conn: ClientConnection,
    readonly id: number,
    readonly m: AnyMethodDef<never>,
    readonly req: unknown,
    private readonly resolve: (v: never) => void,
    private readonly reject: (e: ApiError) => void,
    readonly signal: AbortSignal | undefined,
    private readonly map: FailureMapper,
  ) {}

  succeed(payload: Buffer): void {
    const res = this.m.response;
    if (res === null) return this.resolve(undefined as never);
    let v: unknown;
    try {
      v = res.decode(payload);
    } catch (e) {
      return this.fail(codecFailure('decode the response', e));
    }
    this.resolve(v as never);
  }

  failWith(payload: Buffer): void {
    let e: ApiError;
    try {
      e = fromErrorStatus(ErrorStatus.decode(payload));
    } catch (err) {
      e = this.map(this.m, this.req, codecFailure('decode the error', err));
    }
    this.reject(e);
  }

  /** RESPONSE_STREAM: resolves with the head carrying the stream of the rest (MethodDef.upgrade). */
  upgradeTo(payload: Buffer): void {
    const up = this.m.upgrade as NonNullable<AnyMethodDef<never>['upgrade']>;
    let head: unknown;
    try {
      head = (this.m.response as Codec<unknown>).decode(payload);
    } catch (e) {
      if (!this.conn.forget(this)) return;
      this.conn.cancel(this.id);
      return this.fail(codecFailure('decode the response', e));
    }
    // a stream lives long enough for a cancel to matter: it watches a real signal
    const s = new ClientStream<unknown>(this.conn, this.id, this.m, up.item, this.req, this.signal ?? this.lazy?.signal, this.map, this.window);
    if (!this.conn.replace(this, s, this.deadline)) return;
    this.resolve(up.attach(head, s) as never);
  }

  fail(f: TransportFailure): void {
    this.reject(this.map(this.m, this.req, f));
  }

  /** ctx.signal aborted (or the context told us, lazy-abort protocol). */
  handleEvent(): void {
    if (!this.conn.forget(this)) return;
    this.conn.cancel(this.id);
    this.reject(abortError(this.m, this.req, (this.signal ?? this.lazy?.signal) as AbortSignal, this.map));
  }
}

/** The caller's deadline passed: the server has the same deadline and stops on its own. */
export function onPendingDeadline(p: ClientCall): void {
  if (p.conn !== null && p.conn.forget(p)) p.fail(DEADLINE_EXCEEDED);
}
