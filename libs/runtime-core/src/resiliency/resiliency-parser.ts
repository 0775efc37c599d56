// Resiliency resources -> ResiliencySpec. Field names are read case-insensitively, as daprd's
// decoder does; unknown fields are ignored. Every malformed value stops start-up with a
// ResourceError naming file, resource, field and what was expected — including things daprd
// only logs (a target naming a policy that does not exist, a bad `matching` list), because a
// policy that silently does nothing is worse than a refused start.
import type { RawResource } from '../resources/loader';
import { describe, field, isMap, type YamlMap } from '../resources/fields';
import { ResourceError } from '../resources/resource-error';
import { durationExpectation, tryParseGoDuration } from '../util/duration';
import { GRPC_CODE_RANGE, HTTP_CODE_RANGE, parseCodeRanges } from './status-codes';
import { compileTripExpression, TRIP_GRAMMAR } from './trip-expression';
import {
  BUILT_IN_MIN_RETRIES,
  BUILT_IN_RETRIES,
  DEFAULT_ACTOR_BREAKER_CACHE_SIZE,
  DEFAULT_APP_BREAKER_CACHE_SIZE,
  DEFAULT_BREAKER_TIMEOUT_MS,
  DEFAULT_RETRY_DURATION_MS,
  DEFAULT_RETRY_MAX_INTERVAL_MS,
  DEFAULT_TRIP,
  PROTECTED_BUILT_INS,
  isBuiltInRetryName,
  type ActorBreakerScope,
  type ActorTarget,
  type AppTarget,
  type CircuitBreakerSpec,
  type ComponentTarget,
  type PolicyNames,
  type ResiliencySpec,
  type RetryMatching,
  type RetrySpec,
} from './resiliency-spec';

type Fail = (fieldPath: string, problem: string) => never;

interface Reference {
  readonly fail: Fail;
  readonly fieldPath: string;
  readonly kind: 'timeout' | 'retry' | 'circuitBreaker';
  readonly name: string;
}

const POLICY_LISTS = { timeout: 'timeouts', retry: 'retries', circuitBreaker: 'circuitBreakers' } as const;

/**
 * Merges the Resiliency resources that apply to `appId` (no scopes, or scopes listing it; appId ''
 * — a shared building-block service — keeps all, as the loader does).
 * @throws ResourceError for the first malformed value or dangling policy reference.
 */
export function parseResiliency(resources: readonly RawResource[], appId: string): ResiliencySpec {
  const timeouts = new Map<string, number>();
  const retries = new Map<string, RetrySpec>(Object.values(BUILT_IN_RETRIES).map((r) => [r.name, r]));
  const circuitBreakers = new Map<string, CircuitBreakerSpec>();
  const apps = new Map<string, AppTarget>();
  const actors = new Map<string, ActorTarget>();
  const components = new Map<string, ComponentTarget>();
  const applied: string[] = [];
  const warnings: string[] = [];
  const references: Reference[] = [];

  for (const res of resources) {
    if (res.kind !== 'Resiliency') continue;
    if (appId !== '' && res.scopes.length > 0 && !res.scopes.includes(appId)) continue;
    const fail: Fail = (fieldPath, problem) => {
      throw new ResourceError({ file: res.file, resource: `Resiliency "${res.name}"`, field: fieldPath, problem });
    };
    const spec = mapping(res.spec ?? {}, 'spec', fail);
    applied.push(res.name);

    const policies = optionalMapping(spec, 'policies', 'spec', fail);
    if (policies !== undefined) {
      for (const [name, value] of entries(policies, 'timeouts', 'spec.policies', fail)) {
        timeouts.set(name, duration(value, `spec.policies.timeouts.${name}`, fail));
      }
      for (const [name, value] of entries(policies, 'retries', 'spec.policies', fail)) {
        const path = `spec.policies.retries.${name}`;
        if (PROTECTED_BUILT_INS.some((p) => p === name)) {
          warnings.push(`${res.file}: Resiliency "${res.name}": ${path}: ${name} is protected and cannot be overridden; the built-in policy is kept`);
          continue;
        }
        let retry = parseRetry(name, mapping(value, path, fail), path, fail);
        if (isBuiltInRetryName(name) && retry.maxRetries !== -1 && retry.maxRetries < BUILT_IN_MIN_RETRIES) {
          warnings.push(`${res.file}: Resiliency "${res.name}": ${path}.maxRetries: a built-in retry needs at least ${BUILT_IN_MIN_RETRIES} retries; using ${BUILT_IN_MIN_RETRIES}`);
          retry = { ...retry, maxRetries: BUILT_IN_MIN_RETRIES };
        }
        retries.set(name, retry);
      }
      for (const [name, value] of entries(policies, 'circuitBreakers', 'spec.policies', fail)) {
        const path = `spec.policies.circuitBreakers.${name}`;
        circuitBreakers.set(name, parseBreaker(name, mapping(value, path, fail), path, fail));
      }
    }

    const targets = optionalMapping(spec, 'targets', 'spec', fail);
    if (targets === undefined) continue;
    for (const [name, value] of entries(targets, 'apps', 'spec.targets', fail)) {
      const path = `spec.targets.apps.${name}`;
      const m = mapping(value, path, fail);
      apps.set(name, {
        ...policyNames(m, path, fail, references),
        circuitBreakerCacheSize: cacheSize(m, path, fail) ?? DEFAULT_APP_BREAKER_CACHE_SIZE,
      });
    }
    for (const [name, value] of entries(targets, 'actors', 'spec.targets', fail)) {
      const path = `spec.targets.actors.${name}`;
      const m = mapping(value, path, fail);
      const names = policyNames(m, path, fail, references);
      const scope = breakerScope(m, path, fail);
      if (names.circuitBreaker !== undefined && scope === undefined) {
        fail(`${path}.circuitBreakerScope`, 'expected type, id or both: an actor circuit breaker must say what it is scoped to');
      }
      actors.set(name, {
        ...names,
        ...(scope !== undefined ? { circuitBreakerScope: scope } : {}),
        circuitBreakerCacheSize: cacheSize(m, path, fail) ?? DEFAULT_ACTOR_BREAKER_CACHE_SIZE,
      });
    }
    for (const [name, value] of entries(targets, 'components', 'spec.targets', fail)) {
      const path = `spec.targets.components.${name}`;
      const m = mapping(value, path, fail);
      const direction = (d: 'outbound' | 'inbound'): PolicyNames => {
        const v = optionalMapping(m, d, path, fail);
        return v === undefined ? {} : policyNames(v, `${path}.${d}`, fail, references);
      };
      components.set(name, { outbound: direction('outbound'), inbound: direction('inbound') });
    }
  }

  // References resolve against every applied resource, as daprd looks names up at call time.
  const lists = { timeout: timeouts, retry: retries, circuitBreaker: circuitBreakers };
  for (const ref of references) {
    if (!lists[ref.kind].has(ref.name)) {
      const list = POLICY_LISTS[ref.kind];
      ref.fail(ref.fieldPath, `no ${ref.kind === 'circuitBreaker' ? 'circuit breaker' : ref.kind} policy named "${ref.name}"; define it under spec.policies.${list}`);
    }
  }

  return Object.freeze({ timeouts, retries, circuitBreakers, apps, actors, components, resources: applied, warnings });
}

function parseRetry(name: string, m: YamlMap, path: string, fail: Fail): RetrySpec {
  const policyValue = field(m, 'policy');
  let policy: RetrySpec['policy'] = 'constant';
  if (policyValue !== undefined && policyValue !== null && policyValue !== '') {
    const p = typeof policyValue === 'string' ? policyValue.toLowerCase() : undefined;
    if (p !== 'constant' && p !== 'exponential') fail(`${path}.policy`, `expected constant or exponential, got ${describe(policyValue)}`);
    policy = p;
  }
  const maxRetriesValue = field(m, 'maxRetries');
  let maxRetries = -1;
  if (maxRetriesValue !== undefined && maxRetriesValue !== null) {
    const n = integer(maxRetriesValue);
    if (n === undefined || n < -1) fail(`${path}.maxRetries`, `expected an integer: -1 (unlimited), 0 (no retry) or a positive count, got ${describe(maxRetriesValue)}`);
    maxRetries = n;
  }
  const matching = parseMatching(m, path, fail);
  return {
    name,
    policy,
    durationMs: optionalDuration(m, 'duration', path, fail) ?? DEFAULT_RETRY_DURATION_MS,
    maxIntervalMs: optionalDuration(m, 'maxInterval', path, fail) ?? DEFAULT_RETRY_MAX_INTERVAL_MS,
    maxRetries,
    ...(matching !== undefined ? { matching } : {}),
  };
}

function parseMatching(m: YamlMap, path: string, fail: Fail): RetryMatching | undefined {
  const matching = optionalMapping(m, 'matching', path, fail);
  if (matching === undefined) return undefined;
  const codes = (name: string, valid: typeof HTTP_CODE_RANGE) => {
    const v = field(matching, name);
    if (v === undefined || v === null) return undefined;
    const text = typeof v === 'number' && Number.isInteger(v) ? String(v) : v;
    if (typeof text !== 'string') fail(`${path}.matching.${name}`, `expected a comma-separated list of codes and ranges such as "500,502-504", got ${describe(v)}`);
    try {
      return parseCodeRanges(text, valid);
    } catch (e) {
      return fail(`${path}.matching.${name}`, `${(e as Error).message}; expected a comma-separated list of codes (${valid.start}-${valid.end}) and ranges such as "${valid === HTTP_CODE_RANGE ? '500,502-504' : '14,2-4'}"`);
    }
  };
  const http = codes('httpStatusCodes', HTTP_CODE_RANGE);
  const grpc = codes('gRPCStatusCodes', GRPC_CODE_RANGE);
  if (http === undefined && grpc === undefined) return undefined;
  return { ...(http !== undefined ? { httpStatusCodes: http } : {}), ...(grpc !== undefined ? { grpcStatusCodes: grpc } : {}) };
}

function parseBreaker(name: string, m: YamlMap, path: string, fail: Fail): CircuitBreakerSpec {
  const maxRequestsValue = field(m, 'maxRequests');
  let maxRequests = 1;
  if (maxRequestsValue !== undefined && maxRequestsValue !== null) {
    const n = integer(maxRequestsValue);
    if (n === undefined || n < 0) fail(`${path}.maxRequests`, `expected a non-negative integer, got ${describe(maxRequestsValue)}`);
    maxRequests = n === 0 ? 1 : n; // gobreaker: 0 means 1
  }
  const tripValue = field(m, 'trip');
  let trip = DEFAULT_TRIP;
  if (tripValue !== undefined && tripValue !== null && tripValue !== '') {
    if (typeof tripValue !== 'string') fail(`${path}.trip`, `expected an expression such as "${DEFAULT_TRIP}", got ${describe(tripValue)}`);
    trip = tripValue;
  }
  let tripPredicate;
  try {
    tripPredicate = compileTripExpression(trip);
  } catch (e) {
    return fail(`${path}.trip`, `invalid expression "${trip}": ${(e as Error).message}; supported: ${TRIP_GRAMMAR}`);
  }
  const timeoutMs = optionalDuration(m, 'timeout', path, fail);
  return {
    name,
    maxRequests,
    intervalMs: optionalDuration(m, 'interval', path, fail) ?? 0,
    timeoutMs: timeoutMs === undefined || timeoutMs === 0 ? DEFAULT_BREAKER_TIMEOUT_MS : timeoutMs, // gobreaker: 0 means 60 s
    trip,
    tripPredicate,
  };
}

function policyNames(m: YamlMap, path: string, fail: Fail, references: Reference[]): PolicyNames {
  const out: { timeout?: string; retry?: string; circuitBreaker?: string } = {};
  for (const kind of ['timeout', 'retry', 'circuitBreaker'] as const) {
    const v = field(m, kind);
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') fail(`${path}.${kind}`, `expected the name of a policy under spec.policies.${POLICY_LISTS[kind]}, got ${describe(v)}`);
    out[kind] = v;
    references.push({ fail, fieldPath: `${path}.${kind}`, kind, name: v });
  }
  return out;
}

function breakerScope(m: YamlMap, path: string, fail: Fail): ActorBreakerScope | undefined {
  const v = field(m, 'circuitBreakerScope');
  if (v === undefined || v === null || v === '') return undefined;
  if (v !== 'type' && v !== 'id' && v !== 'both') fail(`${path}.circuitBreakerScope`, `expected type, id or both, got ${describe(v)}`);
  return v;
}

function cacheSize(m: YamlMap, path: string, fail: Fail): number | undefined {
  const v = field(m, 'circuitBreakerCacheSize');
  if (v === undefined || v === null) return undefined;
  const n = integer(v);
  if (n === undefined || n < 0) fail(`${path}.circuitBreakerCacheSize`, `expected a non-negative integer, got ${describe(v)}`);
  return n === 0 ? undefined : n;
}

/** Go duration, or a bare integer string meaning milliseconds (daprd's resiliency parseDuration). */
function duration(v: unknown, path: string, fail: Fail): number {
  if (typeof v !== 'string') return fail(path, `expected a Go duration such as 5s, 1m30s or 500ms, got ${describe(v)}`);
  const ms = /^\s*\d+\s*$/.test(v) ? Number(v) : tryParseGoDuration(v);
  if (ms === undefined) return fail(path, durationExpectation(v));
  if (ms < 0) return fail(path, `expected a duration that is not negative, got "${v}"`);
  return ms;
}

function optionalDuration(m: YamlMap, name: string, path: string, fail: Fail): number | undefined {
  const v = field(m, name);
  if (v === undefined || v === null || v === '') return undefined;
  return duration(v, `${path}.${name}`, fail);
}

function integer(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

function mapping(v: unknown, path: string, fail: Fail): YamlMap {
  if (!isMap(v)) return fail(path, `expected a mapping, got ${describe(v)}`);
  return v;
}

function optionalMapping(parent: YamlMap, name: string, path: string, fail: Fail): YamlMap | undefined {
  const v = field(parent, name);
  if (v === undefined || v === null) return undefined;
  return mapping(v, `${path}.${name}`, fail);
}

/** The entries of an optional name -> value mapping. */
function entries(parent: YamlMap, name: string, path: string, fail: Fail): [string, unknown][] {
  const m = optionalMapping(parent, name, path, fail);
  return m === undefined ? [] : Object.entries(m);
}
