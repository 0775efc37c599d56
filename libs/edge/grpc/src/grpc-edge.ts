// The Dapr gRPC API edge: `dapr.proto.runtime.v1.Dapr` served straight on a @grpc/grpc-js
// server (no Nest pipeline on the data plane). Implemented RPCs call the block APIs; every other
// RPC answers UNIMPLEMENTED naming its building block. Errors carry Dapr's code and message plus
// the rich google.rpc.Status details.
import * as grpc from '@grpc/grpc-js';
import { CommonErrors, DAPR_RPC_BLOCKS, DaprService, isApiError } from '@tessera/contracts';
import type { ApiError, CallContext, ConfigurationApi, EdgeOptions } from '@tessera/contracts';
import { metadataToGrpc } from './metadata.mapper';
import { encodeRichStatus } from './rich-status';
import { GrpcCallContext } from './call-context';
import type { CallLifetime } from './call-context';
import { installFallbackHandler, invokeServiceHandler, proxyHandler } from './invoke.handlers';
import { encodeInvokeResponse } from './invoke-response.codec';
import { OpenStreams, serverStreamHandler } from './stream.handlers';
import type { StreamHandlerDeps } from './stream.handlers';
import { subscribeTopicEventsHandler } from './subscribe-topic.handler';

export type GrpcEdgeOptions = EdgeOptions;

type Unary<Req, Res> = (req: Req, ctx: CallContext, md: grpc.Metadata) => Promise<Res>;
const EMPTY = {};

/** The Dapr service as served: InvokeService's answer encoded in one allocation (invoke-response.codec.ts). */
const SERVED_DAPR_SERVICE: typeof DaprService = {
  ...DaprService,
  invokeService: { ...DaprService.invokeService, responseSerialize: encodeInvokeResponse },
};

export function toServiceError(e: ApiError): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  if (e.details.length > 0) metadata.set('grpc-status-details-bin', encodeRichStatus(e));
  return { code: e.grpcCode as number as grpc.status, details: e.message, metadata };
}

export function toError(e: unknown): ApiError {
  if (isApiError(e)) return e;
  return CommonErrors.internal(e instanceof Error ? e.message : String(e));
}

export class GrpcEdge {
  readonly server: grpc.Server;
  /** Server streams open now (configuration subscriptions), ended by close(). */
  readonly streams = new OpenStreams();

  constructor(private readonly opts: GrpcEdgeOptions) {
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxBodySize,
      'grpc.max_send_message_length': opts.maxBodySize,
      // No channelz bookkeeping per call (nothing reads it; a few µs of every call's CPU).
      'grpc.enable_channelz': 0,
    });
    this.server.addService(SERVED_DAPR_SERVICE, this.handlers());
    const { invoke, apiToken } = opts;
    if (invoke) {
      const ctxOf = (md: grpc.Metadata): CallContext => this.ctxOf(md);
      installFallbackHandler(this.server, (path) => {
        const proxy = proxyHandler(path, invoke, ctxOf, toServiceError, toError);
        if (!apiToken) return proxy;
        return (call) => {
          if (call.metadata.get('dapr-api-token')[0] !== apiToken) {
            call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'authentication error: api token mismatch' });
            return;
          }
          call.metadata.remove('dapr-api-token');
          proxy(call);
        };
      });
    }
  }

  async listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      );
    });
  }

  async close(): Promise<void> {
    this.streams.endAll();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Identity and trace context; with `call`, a signal made on first use that fires when the call
   * ends (and the lazy-abort protocol); `deadline` when the handler passes the call's on.
   */
  private ctxOf(md: grpc.Metadata, call?: CallLifetime, deadline?: number): CallContext {
    const tp = md.get('traceparent')[0];
    if (typeof tp !== 'string') return new GrpcCallContext(this.opts.appId, this.opts.namespace, call, undefined, undefined, deadline);
    const ts = md.get('tracestate')[0];
    return new GrpcCallContext(this.opts.appId, this.opts.namespace, call, tp, typeof ts === 'string' ? ts : undefined, deadline);
  }

  /** The API-token check and API logging in front of a ready-made unary handler. */
  private guard<Req, Res>(name: string, handler: grpc.handleUnaryCall<Req, Res>): grpc.handleUnaryCall<Req, Res> {
    const { apiToken, enableApiLogging, logger } = this.opts;
    return (call, callback) => {
      if (apiToken && call.metadata.get('dapr-api-token')[0] !== apiToken) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: 'authentication error: api token mismatch' });
        return;
      }
      call.metadata.remove('dapr-api-token');
      if (enableApiLogging) logger.info('gRPC API Called', { method: name });
      handler(call, callback);
    };
  }

  private unary<Req, Res>(name: string, fn: Unary<Req, Res>): grpc.handleUnaryCall<Req, Res> {
    const { apiToken, enableApiLogging, logger } = this.opts;
    return (call, callback) => {
      if (apiToken && call.metadata.get('dapr-api-token')[0] !== apiToken) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: 'authentication error: api token mismatch' });
        return;
      }
      if (enableApiLogging) logger.info('gRPC API Called', { method: name });
      fn(call.request, this.ctxOf(call.metadata, call), call.metadata).then(
        (res) => callback(null, res),
        (e: unknown) => callback(toServiceError(toError(e))),
      );
    };
  }

  /** What every streaming handler needs: context, token, API logging, the open-stream registry. */
  private streamDeps(): StreamHandlerDeps {
    const { apiToken, enableApiLogging, logger } = this.opts;
    return {
      ctxOf: (md: grpc.Metadata) => this.ctxOf(md),
      apiToken,
      onCall: enableApiLogging ? (rpc: string) => logger.info('gRPC API Called', { method: rpc }) : undefined,
      streams: this.streams,
      toServiceError,
      toError,
    };
  }

  /** Get / Subscribe (server stream) / Unsubscribe Configuration, stable names and Alpha1 aliases. */
  private configurationHandlers(api: ConfigurationApi): grpc.UntypedServiceImplementation {
    const deps = this.streamDeps();
    const out: grpc.UntypedServiceImplementation = {};
    for (const suffix of ['', 'Alpha1']) {
      out[`getConfiguration${suffix}`] = this.unary(`GetConfiguration${suffix}`, (r, c) => api.get(r as never, c));
      out[`subscribeConfiguration${suffix}`] = serverStreamHandler(`SubscribeConfiguration${suffix}`, (r, c) => api.subscribe(r as never, c), deps) as never;
      out[`unsubscribeConfiguration${suffix}`] = this.unary(`UnsubscribeConfiguration${suffix}`, (r, c) => api.unsubscribe(r as never, c));
    }
    return out;
  }

  private handlers(): grpc.UntypedServiceImplementation {
    const { state, metadata, lifecycle, invoke, secrets, lock, configuration, pubsub, streamingSubscriptions, bindings } = this.opts;
    const implemented: grpc.UntypedServiceImplementation = {
      ...(invoke ? { invokeService: this.guard('InvokeService', invokeServiceHandler(invoke, (md, call, deadline) => this.ctxOf(md, call, deadline), toServiceError, toError)) } : {}),
      getState: this.unary('GetState', (r, c) => state.getState(r as never, c)),
      getBulkState: this.unary('GetBulkState', (r, c) => state.getBulkState(r as never, c)),
      saveState: this.unary('SaveState', async (r, c) => {
        await state.saveState(r as never, c);
        return EMPTY;
      }),
      deleteState: this.unary('DeleteState', async (r, c) => {
        await state.deleteState(r as never, c);
        return EMPTY;
      }),
      deleteBulkState: this.unary('DeleteBulkState', async (r, c) => {
        await state.deleteBulkState(r as never, c);
        return EMPTY;
      }),
      executeStateTransaction: this.unary('ExecuteStateTransaction', async (r, c) => {
        await state.executeStateTransaction(r as never, c);
        return EMPTY;
      }),
      queryStateAlpha1: this.unary('QueryStateAlpha1', (r, c) => state.queryState(r as never, c)),
      ...(secrets
        ? {
            getSecret: this.unary('GetSecret', (r, c) => secrets.getSecret(r as never, c)),
            getBulkSecret: this.unary('GetBulkSecret', (r, c) => secrets.getBulkSecret(r as never, c)),
          }
        : {}),
      ...(lock
        ? {
            tryLockAlpha1: this.unary('TryLockAlpha1', (r, c) => lock.tryLock(r as never, c)),
            unlockAlpha1: this.unary('UnlockAlpha1', (r, c) => lock.unlock(r as never, c)),
          }
        : {}),
      ...(configuration ? this.configurationHandlers(configuration) : {}),
      ...(pubsub
        ? {
            publishEvent: this.unary('PublishEvent', async (r, c) => {
              await pubsub.publish(r as never, c);
              return EMPTY;
            }),
            bulkPublishEventAlpha1: this.unary('BulkPublishEventAlpha1', (r, c) => pubsub.bulkPublish(r as never, c)),
            bulkPublishEvent: this.unary('BulkPublishEvent', (r, c) => pubsub.bulkPublish(r as never, c)),
          }
        : {}),
      ...(streamingSubscriptions ? { subscribeTopicEventsAlpha1: subscribeTopicEventsHandler(streamingSubscriptions, this.streamDeps()) as grpc.UntypedHandleCall } : {}),
      ...(bindings ? { invokeBinding: this.unary('InvokeBinding', (r, c) => bindings.invoke(r as never, c)) } : {}),
      getMetadata: this.unary('GetMetadata', async (_r, c) => metadataToGrpc(await metadata.getMetadata(c))),
      setMetadata: this.unary('SetMetadata', async (r: { key: string; value: string }, c) => {
        await metadata.setMetadata(r.key, r.value, c);
        return EMPTY;
      }),
      shutdown: this.unary('Shutdown', async (_r, _c, md) => {
        const force = String(md.get('dapr-force-shutdown')[0] ?? '').toLowerCase() === 'true';
        setImmediate(() => lifecycle.shutdown(force));
        return EMPTY;
      }),
    };
    const out: grpc.UntypedServiceImplementation = {};
    for (const [key, def] of Object.entries(DaprService)) {
      const impl = implemented[key];
      if (impl) {
        out[key] = impl;
        continue;
      }
      const rpc = def.path.slice(def.path.lastIndexOf('/') + 1);
      const err = toServiceError(CommonErrors.unimplemented(DAPR_RPC_BLOCKS[rpc] ?? 'an unknown', rpc));
      if (!def.requestStream && !def.responseStream) {
        out[key] = ((_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(err)) as grpc.handleUnaryCall<unknown, unknown>;
      } else {
        out[key] = ((call: grpc.ServerWritableStream<unknown, unknown>) => call.emit('error', err)) as never;
      }
    }
    return out;
  }
}
