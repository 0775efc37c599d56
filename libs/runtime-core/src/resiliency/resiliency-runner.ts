// Hands out the Policy for each target, resolved as daprd resolves it (pkg/resiliency/resiliency.go):
//  - a target listed under spec.targets uses exactly the policies it names (a kind it leaves
//    out gets none; defaults are not mixed in);
//  - a target not listed uses the default policies: per kind (timeout, retry, circuit breaker)
//    the most specific `Default<Level><Kind>Policy` that exists, else `Default<Kind>Policy`;
//  - nothing found: PASS_THROUGH.
// Policies are built once per target and cached; breakers live inside them, one per app id, per
// component and direction, per actor type or actor instance (LRU-bounded where the key space
// is open: app ids reached through defaults, actor instances).
//
// Built-in retries: daprd retries a sidecar-to-sidecar invocation that fails with Unavailable or
// Unauthenticated 3 times at 1 s (DaprBuiltInServiceRetries), unless the target app has a named
// policy. `builtInServiceRetry(appId)` is that policy; service invocation nests it inside the
// app's policy around the gateway-to-gateway call:
//   runner.forApp(id).run((s) => runner.builtInServiceRetry(id).run(callRemoteGateway, { signal: s }), { signal, isFailure })
import { GrpcCode, isApiError } from '@tessera/contracts';
import type { TargetBreaker } from './circuit-breaker';
import { ComposedPolicy, createBreaker, isEmptyPolicy, PASS_THROUGH, type Policy, type ResiliencyEventHandler } from './policy';
import { parseResiliency } from './resiliency-parser';
import {
  componentPolicyKind,
  DEFAULT_APP_BREAKER_CACHE_SIZE,
  type BuiltInRetryName,
  type PolicyNames,
  type ResiliencySpec,
} from './resiliency-spec';

export type ComponentDirection = 'outbound' | 'inbound';

export interface ResiliencyRunnerOptions {
  /** Sees every retry, timeout and breaker transition (metrics, tests). Must not throw. */
  readonly onEvent?: ResiliencyEventHandler;
  /** Exponential backoff jitter source, [0, 1); default Math.random. */
  readonly random?: () => number;
  /** Clock for breaker intervals; default Date.now. */
  readonly now?: () => number;
}

/** Least-recently-used map; Map keeps insertion order, so the first key is the oldest. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): V {
    this.map.set(key, v);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    return v;
  }
}

const UNAVAILABLE_OR_UNAUTHENTICATED = (e: unknown): boolean =>
  isApiError(e) && (e.grpcCode === GrpcCode.UNAVAILABLE || e.grpcCode === GrpcCode.UNAUTHENTICATED);

export class ResiliencyRunner {
  private readonly random: () => number;
  private readonly namedApps = new Map<string, Policy>();
  private readonly defaultApps = new Lru<Policy>(DEFAULT_APP_BREAKER_CACHE_SIZE);
  /** direction -> component name -> kind as passed -> policy. */
  private readonly components = { outbound: new Map<string, Map<string, Policy>>(), inbound: new Map<string, Map<string, Policy>>() };
  private readonly componentBreakers = new Map<string, TargetBreaker | undefined>();
  private readonly actorPreLock = new Map<string, Lru<Policy>>();
  private readonly actorPostLock = new Map<string, Policy>();
  private readonly builtIns = new Map<string, Policy>();
  private serviceRetry: Policy | undefined;
  private readonly appDefaults: PolicyNames;
  private readonly actorDefaults: PolicyNames;

  constructor(
    readonly spec: ResiliencySpec = parseResiliency([], ''),
    private readonly opts: ResiliencyRunnerOptions = {},
  ) {
    this.random = opts.random ?? Math.random;
    this.appDefaults = this.defaults(['App']);
    this.actorDefaults = this.defaults(['Actor']);
  }

  /** Service invocation to `appId` (outbound). */
  forApp(appId: string): Policy {
    const target = this.spec.apps.get(appId);
    if (target !== undefined) return cached(this.namedApps, appId, () => this.build(`app:${appId}`, target));
    if (isNone(this.appDefaults)) return PASS_THROUGH;
    const hit = this.defaultApps.get(appId);
    return hit ?? this.defaultApps.set(appId, this.build(`app:${appId}`, this.appDefaults));
  }

  /**
   * A component call: `outbound` = API -> component, `inbound` = component -> app (pub/sub
   * delivery, input bindings, configuration updates). `kind` (`state.redis`, `state`, or Dapr's
   * `Statestore`) selects the `Default<Kind>Component…` policies.
   */
  forComponent(name: string, direction: ComponentDirection, kind?: string): Policy {
    const byName = this.components[direction];
    let byKind = byName.get(name);
    if (byKind === undefined) {
      byKind = new Map<string, Policy>();
      byName.set(name, byKind);
    }
    return cached(byKind, kind ?? '', () => {
      const k = componentPolicyKind(kind);
      const target = this.spec.components.get(name);
      const dir = direction === 'outbound' ? 'Outbound' : 'Inbound';
      const names = target !== undefined ? target[direction] : this.defaults([...(k !== undefined ? [`${k}Component${dir}`] : []), `Component${dir}`, 'Component']);
      const label = `component:${name}:${direction}`;
      // One breaker per component and direction, whatever kind the caller names.
      const key = `${name}\0${direction}`;
      if (!this.componentBreakers.has(key)) this.componentBreakers.set(key, this.breakerFor(label, names.circuitBreaker));
      return this.build(label, { timeout: names.timeout, retry: names.retry }, this.componentBreakers.get(key));
    });
  }

  /**
   * An actor call before the actor lock is taken (placement lookup, the remote call): retry and
   * circuit breaker. The breaker is per actor type, or per instance with circuitBreakerScope id/both.
   */
  forActorPreLock(actorType: string, actorId: string): Policy {
    const target = this.spec.actors.get(actorType);
    const names = target ?? this.actorDefaults;
    if (names.retry === undefined && names.circuitBreaker === undefined) return PASS_THROUGH;
    const perInstance = target !== undefined && target.circuitBreaker !== undefined && target.circuitBreakerScope !== 'type';
    const key = perInstance ? `${actorType}-${actorId}` : actorType;
    let lru = this.actorPreLock.get(actorType);
    if (lru === undefined) {
      lru = new Lru<Policy>(target?.circuitBreakerCacheSize ?? DEFAULT_APP_BREAKER_CACHE_SIZE);
      this.actorPreLock.set(actorType, lru);
    }
    const hit = lru.get(key);
    if (hit !== undefined) return hit;
    const label = `actor:${key}`;
    return lru.set(key, this.build(label, { retry: names.retry }, this.breakerFor(label, names.circuitBreaker)));
  }

  /** An actor call after the lock is taken (the app call): the timeout only. */
  forActorPostLock(actorType: string): Policy {
    const names = this.spec.actors.get(actorType) ?? this.actorDefaults;
    if (names.timeout === undefined) return PASS_THROUGH;
    return cached(this.actorPostLock, actorType, () => this.build(`actor:${actorType}`, { timeout: names.timeout }));
  }

  /**
   * DaprBuiltInServiceRetries for a gateway-to-gateway invocation of `appId`: retries an ApiError
   * with gRPC code UNAVAILABLE (14) or UNAUTHENTICATED (16), 3 times at 1 s unless a Resiliency
   * resource overrides the built-in (with at least 3 retries). Other errors and all results pass
   * through. PASS_THROUGH when `appId` has a named target: its own policy decides.
   */
  builtInServiceRetry(appId: string): Policy {
    if (this.spec.apps.has(appId)) return PASS_THROUGH;
    if (this.serviceRetry === undefined) {
      const retry = this.spec.retries.get('DaprBuiltInServiceRetries');
      const init = { ...(retry !== undefined ? { retry } : {}), retryWhen: UNAVAILABLE_OR_UNAUTHENTICATED, retryResults: false };
      this.serviceRetry = isEmptyPolicy(init) ? PASS_THROUGH : this.composed('builtin:DaprBuiltInServiceRetries', init);
    }
    return this.serviceRetry;
  }

  /**
   * Another built-in retry, for the operation it is named after; retries rejections not marked
   * `retryable: false`. The caller narrows further by throwing non-retryable errors.
   */
  builtIn(name: BuiltInRetryName): Policy {
    return cached(this.builtIns, name, () => {
      const retry = this.spec.retries.get(name);
      return retry === undefined || isEmptyPolicy({ retry }) ? PASS_THROUGH : this.composed(`builtin:${name}`, { retry });
    });
  }

  /** The default policy names for a target type, most specific level first. */
  private defaults(levels: readonly string[]): PolicyNames {
    const pick = (kind: 'Timeout' | 'Retry' | 'CircuitBreaker', has: (name: string) => boolean): string | undefined =>
      [...levels, ''].map((level) => `Default${level}${kind}Policy`).find(has);
    const timeout = pick('Timeout', (n) => this.spec.timeouts.has(n));
    const retry = pick('Retry', (n) => this.spec.retries.has(n));
    const circuitBreaker = pick('CircuitBreaker', (n) => this.spec.circuitBreakers.has(n));
    return { ...(timeout !== undefined ? { timeout } : {}), ...(retry !== undefined ? { retry } : {}), ...(circuitBreaker !== undefined ? { circuitBreaker } : {}) };
  }

  private breakerFor(label: string, name: string | undefined): TargetBreaker | undefined {
    const spec = name !== undefined ? this.spec.circuitBreakers.get(name) : undefined;
    return spec === undefined ? undefined : createBreaker(label, spec, this.opts.onEvent, this.opts.now);
  }

  private build(label: string, names: PolicyNames, breaker: TargetBreaker | undefined = this.breakerFor(label, names.circuitBreaker)): Policy {
    const timeoutMs = names.timeout !== undefined ? this.spec.timeouts.get(names.timeout) : undefined;
    const retry = names.retry !== undefined ? this.spec.retries.get(names.retry) : undefined;
    const init = {
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(retry !== undefined ? { retry } : {}),
      ...(breaker !== undefined ? { breaker } : {}),
    };
    return isEmptyPolicy(init) ? PASS_THROUGH : this.composed(label, init);
  }

  private composed(label: string, init: Omit<ConstructorParameters<typeof ComposedPolicy>[0], 'target' | 'random' | 'onEvent'>): Policy {
    return new ComposedPolicy({ ...init, target: label, random: this.random, ...(this.opts.onEvent !== undefined ? { onEvent: this.opts.onEvent } : {}) });
  }
}

function cached(map: Map<string, Policy>, key: string, make: () => Policy): Policy {
  let p = map.get(key);
  if (p === undefined) {
    p = make();
    map.set(key, p);
  }
  return p;
}

function isNone(n: PolicyNames): boolean {
  return n.timeout === undefined && n.retry === undefined && n.circuitBreaker === undefined;
}
