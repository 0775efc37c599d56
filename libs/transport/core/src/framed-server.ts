// Serves one typed API over the internal framed transport (tessera/internal/v1/transport.proto),
// for any service described by a ServiceDef. Per call: decode the header and the request, rebuild
// the CallContext (caller identity, trace context, deadline -> AbortSignal), call the API through
// the method table, send back the response or the complete ApiError. Calls on one connection run
// concurrently; the server never orders or queues them. Server-streaming methods send their items
// as STREAM_ITEM frames, pulled one at a time within the caller's flow-control window and while
// the socket is not full, then STREAM_END (or ERROR); the producer is stopped (iterator return()
// and ctx.signal) on CANCEL, deadline, disconnect or shutdown. Duplex methods get the caller's
// input items as an AsyncIterable (ServerInput, credit returned as they are taken) and answer as
// server-streaming ones. An upgradable unary method whose answer carries a stream is answered
// with RESPONSE_STREAM and continues as a server stream. No Nest, no RxJS: an owner (a svc's
// Nest module, the gateway) calls listen()/close() from its lifecycle hooks.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { AbortHandlers, ApiError, GrpcCode } from '@tessera/contracts';
import type { AbortHandler, CallContext } from '@tessera/contracts';
import { fromRequestHeader, MAX_TIMER_MS, ServerCallContext } from './call-context';
import type { AbortSource } from './call-context';
import { DEFAULT_MAX_FRAME_BYTES, FrameEncoder, FrameReader, FrameSink } from './framing';
import { ServerInput } from './server-input';
import { ABORTED, ServerStream } from './server-stream';
import { isDuplexMethod, isStreamMethod } from './service';
import type { AnyMethodDef, AnyServiceMethod, MethodInfo, ServiceDef } from './service';
import { asApiError, CANCELLED, codecFailure, DEADLINE_EXCEEDED, methodFailure, shuttingDown, toErrorStatus, tooLarge } from './transport-errors';
import type { TransportFailure } from './transport-errors';
import { ErrorStatus, FrameType, FRAMING_VERSION, Hello, INPUT_WINDOW, RequestHeader, StreamCredit } from './wire';
import type { Codec } from './wire';

export interface FramedServerOptions {
  /** Largest frame accepted or sent; keep equal to the clients'. Default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** TCP keep-alive probe delay, to notice vanished peers. Default 10 s. */
  readonly keepAliveMs?: number;
  /**
   * Told about each failure that was not an ApiError (a bug or an unmapped component error), with
   * the RPC name; the caller gets an ERR_INTERNAL without the stack. Log it here.
   */
  readonly onInternalError?: (err: unknown, method: string) => void;
}

export class FramedServer<Api> {
  private readonly server: Server;
  private readonly connections = new Set<ServerConnection<Api>>();
  private closing = false;
  private accepted = 0;
  readonly maxFrameBytes: number;
  readonly keepAliveMs: number;
  readonly onInternalError: ((err: unknown, method: string) => void) | undefined;

  constructor(
    readonly service: ServiceDef<Api>,
    readonly api: Api,
    opts: FramedServerOptions = {},
  ) {
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.keepAliveMs = opts.keepAliveMs ?? 10_000;
    this.onInternalError = opts.onInternalError;
    this.server = createServer({ noDelay: true }, (socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.accepted++;
      const c = new ServerConnection(this, socket);
      this.connections.add(c);
      socket.once('close', () => this.connections.delete(c));
    });
  }

  /** close() has been called: new streams are refused at once (they would never end). */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.connections.size;
  }

  /** Connections accepted since construction (the clients' reconnects, pool reuse). */
  get acceptedConnections(): number {
    return this.accepted;
  }

  /** Starts listening; port 0 picks a free port, returned. */
  listen(host = '127.0.0.1', port = 0): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve({ port: typeof addr === 'object' && addr !== null ? addr.port : port });
      });
    });
  }

  /**
   * Stops accepting connections and tells every client to go away (GOAWAY): calls in flight
   * finish, clients move new calls to a new connection; open streams end at once with an
   * UNAVAILABLE, retryable error ("<server> is shutting down") so their callers can reopen them
   * elsewhere. After `graceMs` whatever is left is aborted and its connection destroyed.
   * `close(0)` is a hard stop.
   */
  async close(graceMs = 5000): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.goAway();
    if (this.connections.size > 0) {
      const drained = Promise.all([...this.connections].map((c) => c.closed));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([drained, grace]);
      clearTimeout(timer);
      for (const c of this.connections) c.destroy();
    }
    await closed;
  }
}

/** One accepted connection: its framing state and the calls it has in flight. */
class ServerConnection<Api> {
  private readonly reader: FrameReader;
  private readonly sink: FrameSink;
  private readonly encoder = new FrameEncoder();
  private readonly service: ServiceDef<Api>;
  /** Calls the client may cancel or that carry a deadline, and every stream, by call id. */
  private readonly abortable = new Map<number, ServerCall<Api> | ServerStream>();
  /** Streams waiting for the socket to drain. */
  private readonly drainWaiters = new Set<() => void>();
  private hello = false;
  private refused = false;
  readonly closed: Promise<void>;

  constructor(
    private readonly owner: FramedServer<Api>,
    private readonly socket: Socket,
  ) {
    this.service = owner.service;
    this.sink = new FrameSink(socket);
    this.reader = new FrameReader(owner.maxFrameBytes, (id, type, payload) => this.onFrame(id, type, payload));
    socket.setKeepAlive(true, owner.keepAliveMs);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk);
      } catch {
        socket.destroy(); // FrameError: the stream is out of sync, nothing can be answered
      }
    });
    socket.on('error', () => undefined); // 'close' follows; nothing to answer to a dead peer
    socket.on('drain', () => this.wakeDrainWaiters());
    socket.once('close', () => {
      for (const call of this.abortable.values()) call.abort(CANCELLED);
      this.abortable.clear();
      this.wakeDrainWaiters();
    });
  }

  goAway(): void {
    if (this.socket.destroyed) return;
    this.sink.write(this.encoder.empty(0, FrameType.FRAME_TYPE_GOAWAY));
    const bye = shuttingDown(this.service.serverLabel);
    for (const call of [...this.abortable.values()]) {
      if (!(call instanceof ServerStream) || call.aborted) continue;
      call.abort(bye);
      this.abortable.delete(call.id);
      this.sendError(call.id, methodFailure(call.def, call.req, bye));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onFrame(id: number, type: number, payload: Buffer): void {
    if (!this.hello) return this.onHello(type, payload);
    switch (type) {
      case FrameType.FRAME_TYPE_REQUEST:
        return this.onRequest(id, payload);
      case FrameType.FRAME_TYPE_CANCEL: {
        const call = this.abortable.get(id);
        if (call) call.abort(CANCELLED);
        return;
      }
      case FrameType.FRAME_TYPE_STREAM_CREDIT: {
        const call = this.abortable.get(id);
        if (!(call instanceof ServerStream)) return;
        try {
          call.grant(StreamCredit.decode(payload).items);
        } catch {
          // a malformed credit grants nothing
        }
        return;
      }
      case FrameType.FRAME_TYPE_STREAM_ITEM: {
        // input of a duplex call; input of a call that is over already is dropped
        const call = this.abortable.get(id);
        if (!(call instanceof ServerStream) || call.input === undefined) return;
        const f = call.input.push(payload);
        if (f !== undefined) this.failStream(call, f);
        return;
      }
      case FrameType.FRAME_TYPE_STREAM_END: {
        const call = this.abortable.get(id);
        if (call instanceof ServerStream) call.input?.end();
        return;
      }
      default:
        return; // unknown frame types are ignored, so that newer clients can add hints
    }
  }

  private onHello(type: number, payload: Buffer): void {
    if (this.refused) return;
    let hello: Hello | undefined;
    try {
      if (type === FrameType.FRAME_TYPE_HELLO) hello = Hello.decode(payload);
    } catch {
      hello = undefined;
    }
    const name = this.service.name;
    if (hello && hello.service === name && hello.version === FRAMING_VERSION) {
      this.hello = true;
      return;
    }
    const err = new ApiError({
      code: 'ERR_INTERNAL',
      message: `this is ${name} (framing v${FRAMING_VERSION}), not ${hello ? `${hello.service} (framing v${hello.version})` : 'a Tessera internal client'}`,
      httpStatus: 500,
      grpcCode: GrpcCode.UNIMPLEMENTED,
      retryable: false,
    });
    this.refused = true;
    this.sendError(0, err);
    this.socket.end();
  }

  private onRequest(id: number, payload: Buffer): void {
    let header: RequestHeader;
    let req: unknown;
    let def: AnyServiceMethod<Api> | undefined;
    try {
      const reader = new BinaryReader(payload);
      header = RequestHeader.decode(reader, reader.uint32());
      def = this.service.methods[header.method];
      if (!def) {
        return this.sendError(id, this.unknownMethod(header.method));
      }
      req = def.request.decode(reader);
    } catch (e) {
      return this.sendError(id, this.malformed(def, e));
    }

    if (isDuplexMethod(def)) {
      const d = def;
      const input = new ServerInput(d.input, INPUT_WINDOW, (n) => this.sendCredit(id, n));
      return this.startStream(d, d.response, req, id, header, input, (ctx) => d.open(this.owner.api, req, input, ctx));
    }
    if (isStreamMethod(def)) {
      const d = def;
      return this.startStream(d, d.response, req, id, header, undefined, (ctx) => d.open(this.owner.api, req, ctx));
    }
    const timeoutMs = Math.min(header.timeoutMs, MAX_TIMER_MS);
    let call: ServerCall<Api> | undefined;
    if (timeoutMs > 0 || header.cancellable) {
      call = new ServerCall(def, req, id);
      this.abortable.set(id, call);
      if (timeoutMs > 0) {
        call.timer = setTimeout(onDeadline, timeoutMs, call);
        call.deadline = Date.now() + timeoutMs;
      }
    }
    let result: Promise<unknown>;
    try {
      const ctx = call === undefined ? fromRequestHeader(header, undefined) : def.lazyAbort === true ? new ServerCallContext(header, call) : fromRequestHeader(header, call.signal());
      result = def.invoke(this.owner.api, req, ctx);
    } catch (e) {
      result = Promise.reject(e);
    }
    const d = def;
    const r = req;
    const h = header;
    result.then(
      (res) => this.reply(d, r, id, call, res, h),
      (err: unknown) => this.fail(d, id, call, err),
    );
  }

  private startStream(
    def: MethodInfo,
    item: Codec<unknown>,
    req: unknown,
    id: number,
    header: RequestHeader,
    input: ServerInput<unknown> | undefined,
    open: (ctx: CallContext) => AsyncIterable<unknown>,
  ): void {
    if (this.owner.isClosing) return this.sendError(id, methodFailure(def, req, shuttingDown(this.service.serverLabel)));
    const s = new ServerStream(def, item, req, id, header.streamWindow ?? 0, input);
    this.abortable.set(id, s);
    const timeoutMs = Math.min(header.timeoutMs, MAX_TIMER_MS);
    if (timeoutMs > 0) s.timer = setTimeout(onDeadline, timeoutMs, s);
    const ctx = fromRequestHeader(header, s.controller.signal);
    void this.runStream(s, () => open(ctx));
  }

  /** Pulls the stream's items and sends them until it ends, fails or is aborted. */
  private async runStream(s: ServerStream, open: () => AsyncIterable<unknown>): Promise<void> {
    const { def } = s;
    let it: AsyncIterator<unknown> | undefined;
    let settled = false;
    try {
      it = open()[Symbol.asyncIterator]();
      for (;;) {
        while (!s.aborted && (!s.hasCredit || this.socket.writableNeedDrain)) {
          const parked = s.park();
          if (this.socket.writableNeedDrain) this.drainWaiters.add(s.wake);
          await parked;
        }
        if (s.aborted) return;
        const next = it.next();
        const r = await Promise.race([next, s.whenAborted]);
        if (r === ABORTED) {
          next.catch(() => undefined);
          return;
        }
        if (r.done === true) {
          settled = true;
          if (this.finishStream(s)) this.sink.write(this.encoder.empty(s.id, FrameType.FRAME_TYPE_STREAM_END));
          return;
        }
        if (!this.sendItem(s, r.value)) return;
        s.consume();
      }
    } catch (err) {
      settled = true;
      if (!this.finishStream(s)) return;
      const e = asApiError(this.service.serverLabel, def.name, err);
      if (e !== err) this.owner.onInternalError?.(err, def.name);
      this.sendError(s.id, e);
    } finally {
      this.finishStream(s);
      this.drainWaiters.delete(s.wake);
      if (!settled && it?.return !== undefined) {
        try {
          void Promise.resolve(it.return()).catch(() => undefined);
        } catch {
          // the producer's own cleanup failed; nothing left to tell anyone
        }
      }
    }
  }

  /** Sends one item; false (after sending the error) when it cannot be encoded or is too large. */
  private sendItem(s: ServerStream, value: unknown): boolean {
    if (s.aborted || this.socket.destroyed) return false;
    let frame: Uint8Array;
    try {
      s.item.encode(value, this.encoder.begin());
      frame = this.encoder.end(s.id, FrameType.FRAME_TYPE_STREAM_ITEM);
    } catch (e) {
      this.encoder.abort();
      if (this.finishStream(s)) this.sendError(s.id, methodFailure(s.def, s.req, codecFailure('encode a stream item', e)));
      return false;
    }
    if (frame.length > this.owner.maxFrameBytes) {
      if (this.finishStream(s)) this.sendError(s.id, methodFailure(s.def, s.req, tooLarge('stream item', frame.length, this.owner.maxFrameBytes)));
      return false;
    }
    this.sink.write(frame);
    return true;
  }

  /** Takes the stream off the books; true when its end may still be sent to the caller. */
  private finishStream(s: ServerStream): boolean {
    clearTimeout(s.timer);
    if (this.abortable.get(s.id) === s) this.abortable.delete(s.id);
    s.input?.close();
    return !s.aborted && !this.socket.destroyed;
  }

  /** Ends a stream whose caller broke the rules (duplex input): abort the producer, send ERROR. */
  private failStream(s: ServerStream, f: TransportFailure): void {
    if (s.aborted) return;
    s.abort(f);
    this.finishStream(s);
    this.sendError(s.id, methodFailure(s.def, s.req, f));
  }

  /** STREAM_CREDIT to the caller of duplex call `id`: its consumer took `items` more inputs. */
  private sendCredit(id: number, items: number): void {
    if (this.socket.destroyed) return;
    StreamCredit.encode({ items }, this.encoder.begin());
    this.sink.write(this.encoder.end(id, FrameType.FRAME_TYPE_STREAM_CREDIT));
  }

  private wakeDrainWaiters(): void {
    const waiters = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const w of waiters) w();
  }

  private finish(call: ServerCall<Api> | undefined): boolean {
    if (!call) return !this.socket.destroyed;
    clearTimeout(call.timer);
    this.abortable.delete(call.id);
    // the caller has stopped waiting (deadline or cancel): nothing to send
    return !call.aborted && !this.socket.destroyed;
  }

  private reply(def: AnyMethodDef<Api>, req: unknown, id: number, call: ServerCall<Api> | undefined, res: unknown, header: RequestHeader): void {
    if (def.upgrade !== undefined) {
      const rest = def.upgrade.split(res);
      if (rest !== undefined) return this.replyStreamed(def, def.upgrade.item, req, id, call, res, rest, header);
    }
    if (!this.finish(call)) return;
    let frame: Uint8Array;
    try {
      const w = this.encoder.begin();
      if (def.response) def.response.encode(res, w);
      frame = this.encoder.end(id, FrameType.FRAME_TYPE_RESPONSE);
    } catch (e) {
      this.encoder.abort();
      return this.sendError(id, methodFailure(def, req, codecFailure('encode the response', e)));
    }
    if (frame.length > this.owner.maxFrameBytes) {
      return this.sendError(id, methodFailure(def, req, tooLarge('response', frame.length, this.owner.maxFrameBytes)));
    }
    this.sink.write(frame);
  }

  /** An upgradable call answered with a stream: RESPONSE_STREAM with the head, then the items. */
  private replyStreamed(
    def: AnyMethodDef<Api>,
    item: Codec<unknown>,
    req: unknown,
    id: number,
    call: ServerCall<Api> | undefined,
    head: unknown,
    rest: AsyncIterable<unknown>,
    header: RequestHeader,
  ): void {
    const deadline = call?.deadline;
    if (!this.finish(call)) return closeQuietly(rest);
    let refusal: ApiError | undefined;
    if (header.streamWindow === undefined) {
      refusal = new ApiError({
        code: 'ERR_API_UNIMPLEMENTED',
        message: `${def.describe(req)}: the answer is a stream and the ${this.service.clientLabel} does not take streamed answers`,
        httpStatus: 501,
        grpcCode: GrpcCode.UNIMPLEMENTED,
        retryable: false,
      });
    } else if (this.owner.isClosing) {
      refusal = methodFailure(def, req, shuttingDown(this.service.serverLabel));
    } else if (deadline !== undefined && deadline <= Date.now()) {
      refusal = methodFailure(def, req, DEADLINE_EXCEEDED);
    }
    let frame: Uint8Array | undefined;
    if (refusal === undefined) {
      try {
        (def.response as Codec<unknown>).encode(head, this.encoder.begin());
        frame = this.encoder.end(id, FrameType.FRAME_TYPE_RESPONSE_STREAM);
      } catch (e) {
        this.encoder.abort();
        refusal = methodFailure(def, req, codecFailure('encode the response', e));
      }
      if (frame !== undefined && frame.length > this.owner.maxFrameBytes) {
        refusal = methodFailure(def, req, tooLarge('response', frame.length, this.owner.maxFrameBytes));
      }
    }
    if (refusal !== undefined || frame === undefined) {
      closeQuietly(rest);
      return this.sendError(id, refusal as ApiError);
    }
    const s = new ServerStream(def, item, req, id, header.streamWindow ?? 0);
    this.abortable.set(id, s);
    if (deadline !== undefined) s.timer = setTimeout(onDeadline, Math.min(deadline - Date.now(), MAX_TIMER_MS), s);
    this.sink.write(frame);
    void this.runStream(s, () => rest);
  }

  private fail(def: AnyMethodDef<Api>, id: number, call: ServerCall<Api> | undefined, err: unknown): void {
    if (!this.finish(call)) return;
    const e = asApiError(this.service.serverLabel, def.name, err);
    if (e !== err) this.owner.onInternalError?.(err, def.name);
    this.sendError(id, e);
  }

  private sendError(id: number, e: ApiError): void {
    if (this.socket.destroyed) return;
    const w = this.encoder.begin();
    ErrorStatus.encode(toErrorStatus(e), w);
    this.sink.write(this.encoder.end(id, FrameType.FRAME_TYPE_ERROR));
  }

  private unknownMethod(method: number): ApiError {
    const s = this.service;
    return new ApiError({
      code: 'ERR_API_UNIMPLEMENTED',
      message: `${s.serverLabel} does not serve method ${method} of ${s.name}; is it older than the ${s.clientLabel}?`,
      httpStatus: 501,
      grpcCode: GrpcCode.UNIMPLEMENTED,
      retryable: false,
    });
  }

  private malformed(def: AnyServiceMethod<Api> | undefined, e: unknown): ApiError {
    const reason = e instanceof Error ? e.message : String(e);
    const what = def ? `the ${def.name} request` : 'the request';
    return new ApiError({
      code: 'ERR_MALFORMED_REQUEST',
      message: `${this.service.serverLabel} could not decode ${what}: ${reason}`,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
    });
  }
}

/**
 * A call that can be aborted: by its deadline, a CANCEL frame, or its connection closing. Its
 * AbortController is made only when the API asks for the signal (ServerCallContext, or a plain
 * context for methods without `lazyAbort`); handlers registered through the lazy-abort protocol
 * are told without one.
 */
class ServerCall<Api> implements AbortSource {
  timer: NodeJS.Timeout | undefined = undefined;
  /** Date.now() + timeout, when the call has a deadline. */
  deadline: number | undefined = undefined;
  /** Why the call was aborted (the ApiError the method's own words make of the failure). */
  private reason: ApiError | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private handlers: AbortHandlers | undefined = undefined;

  constructor(
    readonly def: AnyMethodDef<Api>,
    readonly req: unknown,
    readonly id: number,
  ) {}

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  get signalIfMade(): AbortSignal | undefined {
    return this.controller?.signal;
  }

  signal(): AbortSignal {
    let c = this.controller;
    if (c === undefined) {
      c = new AbortController();
      this.controller = c;
      if (this.reason !== undefined) c.abort(this.reason);
    }
    return c.signal;
  }

  onAbort(h: AbortHandler): void {
    if (this.reason === undefined) (this.handlers ??= new AbortHandlers()).add(h);
  }

  offAbort(h: AbortHandler): void {
    this.handlers?.delete(h);
  }

  /** Aborts the call with the ApiError the method's own words make of `f`. */
  abort(f: TransportFailure): void {
    clearTimeout(this.timer);
    if (this.reason !== undefined) return;
    const reason = methodFailure(this.def, this.req, f);
    this.reason = reason;
    this.controller?.abort(reason);
    this.handlers?.fire();
  }
}

function onDeadline(call: { abort(f: TransportFailure): void }): void {
  call.abort(DEADLINE_EXCEEDED);
}

/** Stops a stream that will not be sent (its iterator's return(), errors ignored). */
function closeQuietly(rest: AsyncIterable<unknown>): void {
  try {
    const it = rest[Symbol.asyncIterator]();
    if (it.return !== undefined) void Promise.resolve(it.return()).catch(() => undefined);
  } catch {
    // nothing left to stop
  }
}
