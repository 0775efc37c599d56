// The LockService method table: for each LockApi method, its wire id (LockMethod in
// tessera/internal/v1/lock.proto), its codecs, how the server invokes the API, and how an error
// raised by the transport itself (unreachable, deadline, cancel) is worded so that it reads like
// the lock block's own error for that operation (contracts errors/lock.errors.ts).
// Built once at load; the hot path only indexes into it.
import {
  ListComponentsRequest,
  ListComponentsResponse,
  LockMethod,
  TryLockRequest,
  TryLockResponse,
  UnlockRequest,
  UnlockResponse,
} from '@tessera/contracts';
import type { LockApi, RegisteredComponent } from '@tessera/contracts';
import { defineMethod, defineService } from '@tessera/transport-core';
import type { MethodDef, ServiceDef } from '@tessera/transport-core';

/** Fully qualified name sent in Hello; the server refuses a connection that expects another. */
export const LOCK_SERVICE_NAME = 'tessera.internal.v1.LockService';

function def<Req, Res>(d: MethodDef<LockApi, Req, Res>): MethodDef<LockApi, Req, Res> {
  return defineMethod(d);
}

export const LOCK_METHODS = {
  tryLock: def<TryLockRequest, TryLockResponse>({
    id: LockMethod.LOCK_METHOD_TRY_LOCK,
    name: 'TryLock',
    errorCode: 'ERR_TRY_LOCK',
    request: TryLockRequest,
    response: TryLockResponse,
    describe: () => 'failed to try acquiring lock',
    invoke: (api, r, ctx) => api.tryLock(r, ctx),
  }),
  unlock: def<UnlockRequest, UnlockResponse>({
    id: LockMethod.LOCK_METHOD_UNLOCK,
    name: 'Unlock',
    errorCode: 'ERR_UNLOCK',
    request: UnlockRequest,
    response: UnlockResponse,
    describe: () => 'failed to release lock',
    invoke: (api, r, ctx) => api.unlock(r, ctx),
  }),
  listComponents: def<ListComponentsRequest, ListComponentsResponse>({
    id: LockMethod.LOCK_METHOD_LIST_COMPONENTS,
    name: 'ListComponents',
    errorCode: 'ERR_INTERNAL',
    request: ListComponentsRequest,
    response: ListComponentsResponse,
    describe: () => 'failed listing lock stores',
    invoke: (api, _r, ctx) => api.listComponents(ctx).then(toListResponse),
  }),
} as const;

export const LIST_COMPONENTS_REQUEST: ListComponentsRequest = {};

function toListResponse(components: readonly RegisteredComponent[]): ListComponentsResponse {
  return { components: components.map((c) => ({ name: c.name, type: c.type, version: c.version, capabilities: [...c.capabilities] })) };
}

/** LockService as the framed transport serves and calls it. */
export const LOCK_SERVICE: ServiceDef<LockApi> = defineService<LockApi>({
  name: LOCK_SERVICE_NAME,
  serverLabel: 'lock-svc',
  clientLabel: 'gateway',
  methods: LOCK_METHODS,
});
