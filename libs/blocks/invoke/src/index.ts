// Public surface of @tessera/block-invoke.
export { InvokeBlock, isFailureResponse, failureVerdict } from './invoke.block';
export type {
  InvokeBlockOptions,
  AddressResolver,
  RemoteInvoker,
  UrlInvoker,
  InvokePolicy,
  InvokePolicies,
  FailureVerdict,
  AccessCheck,
  AccessDecision,
} from './invoke.block';
export { parseTarget } from './invoke-target';
export type { InvokeTarget, HttpEndpointDef } from './invoke-target';
