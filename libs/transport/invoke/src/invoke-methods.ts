// The InvokeService method table (tessera/internal/v1/invoke.proto): gateway -> gateway service
// invocation, daprd's CallLocal (upgradable: a proxied gRPC call whose app method streams its
// answer continues as a stream of GrpcProxyFrame), and ProxyStream for proxied gRPC calls that
// stream their request. The caller identity the callee's access control matches on is
// the RequestHeader's app_id / namespace / trust_domain, i.e. the CallContext's appId /
// namespace / trustDomain; an empty trust domain is Dapr's default, 'public'.
import { ApiError, GrpcCode, GrpcProxyFrame, InternalInvokeRequest, InternalInvokeResponse, InvokeMethod, proxyStreamOf, withProxyStream } from '@tessera/contracts';
import type { CallContext, CallerIdentity, LocalInvokeApi } from '@tessera/contracts';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import { defineDuplexMethod, defineMethod, defineService } from '@tessera/transport-core';
import type { Codec, ServiceDef } from '@tessera/transport-core';

/** Fully qualified name sent in Hello. */
export const INVOKE_SERVICE_NAME = 'tessera.internal.v1.InvokeService';

/** Access-control trust domain of a caller that sets none (Dapr's default). */
export const DEFAULT_TRUST_DOMAIN = 'public';

/** The identity a callee sees for a call that crossed the transport with this context. */
export function callerIdentityOf(ctx: CallContext): CallerIdentity {
  return {
    appId: ctx.appId,
    namespace: ctx.namespace,
    trustDomain: ctx.trustDomain || DEFAULT_TRUST_DOMAIN,
  };
}

/**
 * A raw message as an input item of ProxyStream: the item's payload is the message bytes, not a
 * protobuf wrapper (no copy into a message object on the way out; one copy out of the frame on
 * the way in).
 */
export const RAW_MESSAGE: Codec<Uint8Array> = {
  encode(m: Uint8Array, w?: BinaryWriter): BinaryWriter {
    if (w === undefined) throw new Error('RAW_MESSAGE encodes into a frame writer only');
    return w.raw(m);
  },
  decode(input: BinaryReader | Uint8Array, length?: number): Uint8Array {
    if (input instanceof BinaryReader) throw new Error('RAW_MESSAGE decodes a whole frame payload only');
    return Buffer.from(input.subarray(0, length ?? input.length));
  },
};

function streamsUnsupported(): ApiError {
  return new ApiError({
    code: 'ERR_DIRECT_INVOKE',
    message: 'this gateway does not proxy streaming gRPC calls',
    httpStatus: 501,
    grpcCode: GrpcCode.UNIMPLEMENTED,
    retryable: false,
  });
}

export const INVOKE_METHODS = {
  callLocal: defineMethod<LocalInvokeApi, InternalInvokeRequest, InternalInvokeResponse>({
    id: InvokeMethod.INVOKE_METHOD_CALL_LOCAL,
    name: 'CallLocal',
    errorCode: 'ERR_DIRECT_INVOKE',
    request: InternalInvokeRequest,
    response: InternalInvokeResponse,
    describe: (r) => `failed to invoke method ${r.message?.method ?? ''}`,
    invoke: (api, r, ctx) => api.callLocal(r, callerIdentityOf(ctx), ctx),
    // The invoke block hands ctx to the app channel as it is, whose CallWatch follows the
    // lazy-abort protocol: a cancellable call makes no AbortController unless it is cancelled.
    lazyAbort: true,
    upgrade: {
      item: GrpcProxyFrame as Codec<unknown>,
      split: (res) => proxyStreamOf(res),
      attach: (head, rest) => withProxyStream(head, rest as AsyncIterable<GrpcProxyFrame>),
    },
  }),
  proxyStream: defineDuplexMethod<LocalInvokeApi, InternalInvokeRequest, Uint8Array, GrpcProxyFrame>({
    id: InvokeMethod.INVOKE_METHOD_PROXY_STREAM,
    name: 'ProxyStream',
    errorCode: 'ERR_DIRECT_INVOKE',
    request: InternalInvokeRequest,
    input: RAW_MESSAGE,
    response: GrpcProxyFrame,
    describe: (r) => `failed to invoke method ${r.message?.method ?? ''}`,
    open: (api, r, input, ctx) => {
      if (api.callLocalStream === undefined) throw streamsUnsupported();
      return api.callLocalStream(r, callerIdentityOf(ctx), input, ctx);
    },
  }),
} as const;

/** InvokeService as the framed transport serves and calls it. */
export const INVOKE_SERVICE: ServiceDef<LocalInvokeApi> = defineService<LocalInvokeApi>({
  name: INVOKE_SERVICE_NAME,
  serverLabel: 'gateway',
  clientLabel: 'calling gateway',
  methods: INVOKE_METHODS,
});
