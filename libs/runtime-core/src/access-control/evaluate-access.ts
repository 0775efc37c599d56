// Access-control evaluation on the callee side, per invocation: semantics.md §11 steps 1-7
// (daprd pkg/acl IsOperationAllowedByAccessControlPolicy).
//
// Caller identity: daprd takes it from the SPIFFE ID (spiffe://<trustDomain>/ns/<namespace>/<appId>)
// of the caller's mTLS certificate. Tessera carries the caller's identity over its internal
// transport instead of mTLS, so that carried {appId, namespace, trustDomain} is treated as the
// caller's SPIFFE identity here; "no identity" (undefined, or an empty app id) is step 3.
//
// Before matching, the operation is normalised as daprd normalises it (purell): duplicate
// slashes, `.`/`..` segments and a trailing slash are removed; then step 6 prefixes `/` and, for
// HTTP callers, lower-cases it. HTTP verbs compare case-insensitively.
import { callerKey, type AccessControlSpec } from './access-control-parser';

export interface CallerIdentity {
  readonly appId: string;
  readonly namespace: string;
  readonly trustDomain: string;
}

export interface AccessDecision {
  readonly allowed: boolean;
  /** Why, for a debug log line; not for the caller (see accessDeniedMessage). */
  readonly reason: string;
}

const isAllow = (action: string): boolean => action.toLowerCase() === 'allow';

/**
 * @param httpVerb the caller's HTTP verb; undefined for gRPC callers (the operation's `action` applies).
 */
export function evaluateAccess(
  spec: AccessControlSpec | undefined,
  caller: CallerIdentity | undefined,
  operation: string,
  httpVerb: string | undefined,
): AccessDecision {
  // 1. No access control.
  if (spec === undefined) return { allowed: true, reason: 'no access control policy applies' };
  // 2. The global default.
  let action = spec.defaultAction;
  const decide = (why: string): AccessDecision => ({ allowed: isAllow(action), reason: `${why}; action "${action}"` });
  // 3. No caller identity.
  if (caller === undefined || caller.appId === '') return decide('the caller has no identity: global default action');
  // 4. The caller's policy.
  const compiled = spec.byCaller.get(callerKey(caller.appId, caller.namespace));
  if (compiled === undefined) return decide(`no policy for app "${caller.appId}" in namespace "${caller.namespace}": global default action`);
  const policy = compiled.policy;
  if (policy.trustDomain !== caller.trustDomain) {
    return decide(`caller trust domain "${caller.trustDomain}" is not the policy's "${policy.trustDomain}": global default action`);
  }
  if (policy.namespace !== caller.namespace) {
    return decide(`caller namespace "${caller.namespace}" is not the policy's "${policy.namespace}": global default action`);
  }
  // 5. The policy's default.
  let source = 'global default action';
  if (policy.defaultAction !== '') {
    action = policy.defaultAction;
    source = `default action of the policy for "${policy.appId}"`;
  }
  // 6. The operation.
  const normalised = normalizeOperation(operation);
  if (httpVerb !== undefined) {
    const op = normalised.toLowerCase();
    const entry = compiled.http.search(op);
    if (entry === undefined) return decide(`HTTP ${httpVerb} ${op} matches no operation: ${source}`);
    const verb = httpVerb.toUpperCase();
    const forVerb = entry.verbs.get(verb);
    if (forVerb !== undefined) {
      action = forVerb;
      return decide(`HTTP ${verb} ${op} matches operation ${entry.name} for verb ${verb}`);
    }
    const forAny = entry.verbs.get('*');
    if (forAny !== undefined) {
      action = forAny;
      return decide(`HTTP ${verb} ${op} matches operation ${entry.name} for verb *`);
    }
    return decide(`HTTP ${verb} ${op} matches operation ${entry.name}, which does not list ${verb} or *: ${source}`);
  }
  const entry = compiled.grpc.search(normalised);
  if (entry === undefined) return decide(`gRPC ${normalised} matches no operation: ${source}`);
  // 7 (for gRPC): the operation's action; an operation without one denies, as in daprd.
  action = entry.action;
  return decide(`gRPC ${normalised} matches operation ${entry.name}`);
}

/** daprd's message for a denied call (HTTP 403 / gRPC PermissionDenied). */
export function accessDeniedMessage(caller: CallerIdentity | undefined, operation: string, httpVerb: string | undefined): string {
  return `access control policy has denied access to appid: ${caller?.appId ?? ''} operation: ${normalizeOperation(operation)} verb: ${httpVerb?.toUpperCase() ?? 'NONE'}`;
}

/** `/`-prefixed, without empty, `.` or `..` segments and without a trailing slash; case kept. */
export function normalizeOperation(operation: string): string {
  const out: string[] = [];
  for (const segment of operation.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}
