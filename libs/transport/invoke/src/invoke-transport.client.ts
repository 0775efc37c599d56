// The caller side of gateway -> gateway invocation: sends an InternalInvokeRequest to the gateway
// at `address` (host:port of its internal port, resolved from the target app id by the caller)
// and resolves with the callee's InternalInvokeResponse, whatever the app's status.
//
// A small pool keeps ONE framed connection per remote address (a FramedClient of
// @tessera/transport-core, which multiplexes every call to that gateway on one TCP socket,
// reconnects by itself with backoff, honours GOAWAY, deadlines and cancels). An address with no
// call for `idleTimeoutMs` (default 60 s) is dropped from the pool and its connection closed; the
// next call to it opens a new one. close() closes them all and fails what is in flight.
//
// proxyStream() runs ProxyStream (a duplex call) on the same pooled connection; CallLocal may
// resolve with a head that carries the rest of a streamed answer (proxyStreamOf).
//
// Errors: what the remote gateway threw arrives intact (ApiError fields cross the wire). The
// transport's own failures are ERR_DIRECT_INVOKE (InvokeErrors.failed) with the transport's gRPC
// code and retryable flag: a connection failure is UNAVAILABLE + retryable (see invoke-errors.ts).
import { InvokeErrors } from '@tessera/contracts';
import type { ApiError, CallContext, GrpcProxyFrame, InternalInvokeRequest, InternalInvokeResponse } from '@tessera/contracts';
import { FramedClient, unreachable } from '@tessera/transport-core';
import type { FramedClientOptions } from '@tessera/transport-core';
import { invokeFailure } from './invoke-errors';
import { INVOKE_METHODS, INVOKE_SERVICE } from './invoke-methods';

export interface InvokeTransportClientOptions extends FramedClientOptions {
  /**
   * A pooled connection with no call for this long is closed (checked lazily: it goes between
   * 1x and 2x this after its last call). Default 60 000 ms.
   */
  readonly idleTimeoutMs?: number;
}

interface PoolEntry {
  readonly client: FramedClient;
  /** Date.now() at the last call started (or seen in flight by the idle check). */
  lastUsed: number;
  timer: NodeJS.Timeout | undefined;
}

export class InvokeTransportClient {
  readonly idleTimeoutMs: number;
  private readonly pool = new Map<string, PoolEntry>();
  private closed = false;

  constructor(private readonly opts: InvokeTransportClientOptions = {}) {
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  }

  /** Remote addresses with a pooled connection. */
  get size(): number {
    return this.pool.size;
  }

  /** Connections opened so far to `address` by its pooled client (reconnects count); 0 if none pooled. */
  connectionsOpened(address: string): number {
    return this.pool.get(address)?.client.connectionsOpened ?? 0;
  }

  /**
   * Calls CallLocal on the gateway at `address`. `targetAppId` names the target in the transport's
   * own errors ("failed to invoke, id: <targetAppId>, err: ..."); default: the address. Rejects
   * with an ApiError: the remote gateway's as it was thrown, or ERR_DIRECT_INVOKE for a failure
   * of the transport (UNAVAILABLE + retryable when the gateway cannot be reached).
   */
  callLocal(address: string, req: InternalInvokeRequest, ctx: CallContext, targetAppId = address): Promise<InternalInvokeResponse> {
    const failure = invokeFailure(targetAppId);
    const m = INVOKE_METHODS.callLocal;
    if (this.closed) return Promise.reject(failure(m, req, unreachable(INVOKE_SERVICE.serverLabel, address, 'the client is closed')));
    let e = this.pool.get(address);
    if (e === undefined) {
      try {
        e = this.open(address);
      } catch (err) {
        return Promise.reject(InvokeErrors.failed(targetAppId, err instanceof Error ? err.message : String(err), false));
      }
    }
    e.lastUsed = Date.now();
    return e.client.call(m, req, ctx, failure);
  }

  /**
   * ProxyStream on the gateway at `address`: a proxied gRPC call that streams its request.
   * Yields the app's answer (GrpcProxyFrame: headers, messages, status); throws an ApiError (the
   * remote gateway's, or ERR_DIRECT_INVOKE for the transport's own failures) when the call could
   * not be made or broke. `input` is read as the callee takes it; leaving the loop early, or
   * aborting ctx.signal, cancels the call on the callee.
   */
  proxyStream(address: string, req: InternalInvokeRequest, input: AsyncIterable<Uint8Array>, ctx: CallContext, targetAppId = address): AsyncIterable<GrpcProxyFrame> {
    const failure = invokeFailure(targetAppId);
    const m = INVOKE_METHODS.proxyStream;
    let e = this.closed ? undefined : this.pool.get(address);
    if (e === undefined && !this.closed) {
      try {
        e = this.open(address);
      } catch (err) {
        return failedStream(InvokeErrors.failed(targetAppId, err instanceof Error ? err.message : String(err), false));
      }
    }
    if (e === undefined) return failedStream(failure(m, req, unreachable(INVOKE_SERVICE.serverLabel, address, 'the client is closed')));
    e.lastUsed = Date.now();
    return e.client.duplex(m, req, input, ctx, failure);
  }

  /** Closes every pooled connection, failing calls in flight; later calls fail at once. */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.pool.values()];
    this.pool.clear();
    await Promise.all(entries.map((e) => this.drop(e)));
  }

  private open(address: string): PoolEntry {
    const client = new FramedClient(address, INVOKE_SERVICE, this.opts);
    const e: PoolEntry = { client, lastUsed: Date.now(), timer: undefined };
    e.timer = setTimeout(this.checkIdle, this.idleTimeoutMs, address, e);
    e.timer.unref();
    this.pool.set(address, e);
    return e;
  }

  /** Runs once per idle period per address, not per call. */
  private readonly checkIdle = (address: string, e: PoolEntry): void => {
    if (this.pool.get(address) !== e) return;
    const now = Date.now();
    if (e.client.inFlight > 0) e.lastUsed = now;
    const idle = now - e.lastUsed;
    if (idle >= this.idleTimeoutMs) {
      this.pool.delete(address);
      void this.drop(e);
      return;
    }
    e.timer = setTimeout(this.checkIdle, this.idleTimeoutMs - idle, address, e);
    e.timer.unref();
  };

  private drop(e: PoolEntry): Promise<void> {
    clearTimeout(e.timer);
    return e.client.close();
  }
}

/** A stream that fails at its first next(). */
function failedStream<T>(e: ApiError): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(e) }) };
}
