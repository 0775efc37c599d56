// Configuration `spec.accessControl` -> AccessControlSpec (semantics.md §11 steps 1-2, daprd
// pkg/acl ParseAccessControlSpec). Returns undefined when access control is off (step 1). Only
// one Configuration may carry an accessControl section: daprd reads a single Configuration per
// app, so two would be ambiguous. Structural errors and policies lacking appId, trustDomain or
// namespace stop start-up with a ResourceError.
import type { RawResource } from '../resources/loader';
import { describe, field, isMap, type YamlMap } from '../resources/fields';
import { ResourceError } from '../resources/resource-error';
import { OperationTrie, type OperationEntry } from './operation-trie';

export const DEFAULT_TRUST_DOMAIN = 'public';

export interface AccessOperation {
  /** As written (e.g. `/invoke/*`, `Method1`). */
  readonly name: string;
  readonly httpVerb: readonly string[];
  /** `allow` / `deny` as written; '' when absent. */
  readonly action: string;
}

export interface AccessPolicy {
  readonly appId: string;
  /** '' when absent: the global default stays. */
  readonly defaultAction: string;
  readonly trustDomain: string;
  readonly namespace: string;
  readonly operations: readonly AccessOperation[];
}

/** A policy with its operations compiled for lookup. */
export interface CompiledAccessPolicy {
  readonly policy: AccessPolicy;
  /** Operations lower-cased, for HTTP callers. */
  readonly http: OperationTrie;
  /** Operations as written, for gRPC callers. */
  readonly grpc: OperationTrie;
}

export interface AccessControlSpec {
  /** The global default after step 2 (`deny` when omitted, `allow` with an explicitly empty policy list). */
  readonly defaultAction: string;
  /** This app's trust domain (default `public`). */
  readonly trustDomain: string;
  readonly policies: readonly AccessPolicy[];
  /** `appId||namespace` -> policy; a later policy for the same pair replaces an earlier one, as in daprd. */
  readonly byCaller: ReadonlyMap<string, CompiledAccessPolicy>;
  /** Where it was read from, for messages. */
  readonly file: string;
  readonly resource: string;
}

export function callerKey(appId: string, namespace: string): string {
  return `${appId}||${namespace}`;
}

type Fail = (fieldPath: string, problem: string) => never;

/**
 * Reads the accessControl section of the Configurations that apply to `appId` (no scopes, or
 * scopes listing it; appId '' keeps all, as the loader does).
 * @returns undefined when there is no section, or one with no trustDomain, no defaultAction and
 *   no policies (step 1: everything is allowed).
 * @throws ResourceError for a malformed section or a policy lacking appId, trustDomain or namespace.
 */
export function parseAccessControl(configurations: readonly RawResource[], appId: string): AccessControlSpec | undefined {
  let found: { res: RawResource; section: unknown } | undefined;
  for (const res of configurations) {
    if (res.kind !== 'Configuration') continue;
    if (appId !== '' && res.scopes.length > 0 && !res.scopes.includes(appId)) continue;
    const section = isMap(res.spec) ? field(res.spec, 'accessControl') : undefined;
    if (section === undefined || section === null) continue;
    if (found !== undefined) {
      throw new ResourceError({
        file: res.file,
        resource: `Configuration "${res.name}"`,
        field: 'spec.accessControl',
        problem: `access control is already set by Configuration "${found.res.name}" in ${found.res.file}; only one Configuration may set it`,
      });
    }
    found = { res, section };
  }
  if (found === undefined) return undefined;
  const { res, section } = found;
  const resource = `Configuration "${res.name}"`;
  const fail: Fail = (fieldPath, problem) => {
    throw new ResourceError({ file: res.file, resource, field: fieldPath, problem });
  };
  if (!isMap(section)) return fail('spec.accessControl', `expected a mapping, got ${describe(section)}`);

  const defaultAction = optionalString(section, 'defaultAction', 'spec.accessControl', fail);
  const trustDomain = optionalString(section, 'trustDomain', 'spec.accessControl', fail);
  const policiesValue = field(section, 'policies');
  if (policiesValue !== undefined && policiesValue !== null && !Array.isArray(policiesValue)) {
    fail('spec.accessControl.policies', `expected a list of policies, got ${describe(policiesValue)}`);
  }
  const list: unknown[] | undefined = Array.isArray(policiesValue) ? policiesValue : undefined;

  // Step 1: nothing set -> no access control.
  if (trustDomain === '' && defaultAction === '' && (list === undefined || list.length === 0)) return undefined;

  const policies = (list ?? []).map((p, i) => parsePolicy(p, `spec.accessControl.policies[${i}]`, fail));
  const byCaller = new Map<string, CompiledAccessPolicy>();
  for (const policy of policies) byCaller.set(callerKey(policy.appId, policy.namespace), compile(policy));

  return Object.freeze({
    // Step 2: an omitted default denies, unless the policy list is given and explicitly empty.
    defaultAction: defaultAction !== '' ? defaultAction : list !== undefined && list.length === 0 ? 'allow' : 'deny',
    trustDomain: trustDomain !== '' ? trustDomain : DEFAULT_TRUST_DOMAIN,
    policies,
    byCaller,
    file: res.file,
    resource,
  });
}

function parsePolicy(value: unknown, path: string, fail: Fail): AccessPolicy {
  if (!isMap(value)) return fail(path, `expected a mapping with appId, trustDomain, namespace and operations, got ${describe(value)}`);
  const appId = optionalString(value, 'appId', path, fail);
  const trustDomain = optionalString(value, 'trustDomain', path, fail);
  const namespace = optionalString(value, 'namespace', path, fail);
  const missing = [appId === '' ? 'appId' : '', trustDomain === '' ? 'trustDomain' : '', namespace === '' ? 'namespace' : ''].filter((m) => m !== '');
  if (missing.length > 0) {
    const who = appId !== '' ? ` (app "${appId}")` : '';
    fail(path, `every policy needs appId, trustDomain and namespace; missing ${missing.join(', ')}${who}`);
  }
  const opsValue = field(value, 'operations');
  if (opsValue !== undefined && opsValue !== null && !Array.isArray(opsValue)) {
    fail(`${path}.operations`, `expected a list of operations, got ${describe(opsValue)}`);
  }
  const operations = (Array.isArray(opsValue) ? opsValue : []).map((o: unknown, i) => parseOperation(o, `${path}.operations[${i}]`, fail));
  return { appId, defaultAction: optionalString(value, 'defaultAction', path, fail), trustDomain, namespace, operations };
}

function parseOperation(value: unknown, path: string, fail: Fail): AccessOperation {
  if (!isMap(value)) return fail(path, `expected a mapping with name, httpVerb and action, got ${describe(value)}`);
  const verbsValue = field(value, 'httpVerb');
  let httpVerb: string[] = [];
  if (verbsValue !== undefined && verbsValue !== null) {
    if (!Array.isArray(verbsValue) || !verbsValue.every((v): v is string => typeof v === 'string')) {
      return fail(`${path}.httpVerb`, `expected a list of HTTP verbs such as [GET, POST] or ["*"], got ${describe(verbsValue)}`);
    }
    httpVerb = verbsValue;
  }
  return { name: optionalString(value, 'name', path, fail), httpVerb, action: optionalString(value, 'action', path, fail) };
}

function compile(policy: AccessPolicy): CompiledAccessPolicy {
  const http = new OperationTrie();
  const grpc = new OperationTrie();
  for (const op of policy.operations) {
    const name = op.name.startsWith('/') ? op.name : `/${op.name}`;
    const verbs = new Map<string, string>();
    for (const v of op.httpVerb) verbs.set(v.toUpperCase(), op.action);
    const entry = (n: string): OperationEntry => ({ name: n, verbs, action: op.action });
    http.put(name.toLowerCase(), entry(name.toLowerCase()));
    grpc.put(name, entry(name));
  }
  return { policy, http, grpc };
}

function optionalString(m: YamlMap, name: string, path: string, fail: Fail): string {
  const v = field(m, name);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') return fail(`${path}.${name}`, `expected a string, got ${describe(v)}`);
  return v;
}
