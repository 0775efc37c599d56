// The InvokeService method table (tessera/internal/v1/invoke.proto): gateway -> gateway service
// invocation, daprd's CallLocal. The caller identity the callee's access control matches on is
// the RequestHeader's app_id / namespace / trust_domain, i.e. the CallContext's appId /
// namespace / trustDomain; an empty trust domain is Dapr's default, 'public'.
import { InternalInvokeRequest, InternalInvokeResponse, InvokeMethod } from '@tessera/contracts';
import type { CallContext, CallerIdentity, LocalInvokeApi } from '@tessera/contracts';
import { defineMethod, defineService } from '@tessera/transport-core';
import type { ServiceDef } from '@tessera/transport-core';

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

export const INVOKE_METHODS = {
  callLocal: defineMethod<LocalInvokeApi, InternalInvokeRequest, InternalInvokeResponse>({
    id: InvokeMethod.INVOKE_METHOD_CALL_LOCAL,
    name: 'CallLocal',
    errorCode: 'ERR_DIRECT_INVOKE',
    request: InternalInvokeRequest,
    response: InternalInvokeResponse,
    describe: (r) => `failed to invoke method ${r.message?.method ?? ''}`,
    invoke: (api, r, ctx) => api.callLocal(r, callerIdentityOf(ctx), ctx),
  }),
} as const;

/** InvokeService as the framed transport serves and calls it. */
export const INVOKE_SERVICE: ServiceDef<LocalInvokeApi> = defineService<LocalInvokeApi>({
  name: INVOKE_SERVICE_NAME,
  serverLabel: 'gateway',
  clientLabel: 'calling gateway',
  methods: INVOKE_METHODS,
});
