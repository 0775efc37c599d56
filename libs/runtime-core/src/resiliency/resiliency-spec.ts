// The parsed form of every Resiliency resource that applies to this app, merged (later resources
// override same-named policies and targets, as daprd decodes them in order). Plain data: the
// runner turns it into cockatiel policies. Durations are in ms.
import type { CodeRange } from './status-codes';
import type { TripPredicate } from './trip-expression';

export type RetryBackoffKind = 'constant' | 'exponential';

export interface RetryMatching {
  /** Only these HTTP status codes are retried; undefined = every HTTP failure. */
  readonly httpStatusCodes?: readonly CodeRange[];
  /** Only these gRPC codes are retried; undefined = every gRPC failure. */
  readonly grpcStatusCodes?: readonly CodeRange[];
}

export interface RetrySpec {
  readonly name: string;
  readonly policy: RetryBackoffKind;
  /** Constant interval (default 5 s). */
  readonly durationMs: number;
  /** Exponential cap (default 60 s). */
  readonly maxIntervalMs: number;
  /** -1 = unlimited, 0 = no retry. */
  readonly maxRetries: number;
  readonly matching?: RetryMatching;
  /** Exponential first interval; 500 ms unless a built-in says otherwise. */
  readonly initialIntervalMs?: number;
  /** Built-ins only: the first failure after this long since the call began ends the retries. */
  readonly maxElapsedMs?: number;
}

export interface CircuitBreakerSpec {
  readonly name: string;
  /** Probe requests allowed while half-open (default 1). */
  readonly maxRequests: number;
  /** Counter reset period in the closed state; 0 = never. */
  readonly intervalMs: number;
  /** Open -> half-open after this long (default 60 s). */
  readonly timeoutMs: number;
  /** The expression as written (default `consecutiveFailures > 5`). */
  readonly trip: string;
  readonly tripPredicate: TripPredicate;
}

/** Names of the policies a target uses; absent = none of that kind. */
export interface PolicyNames {
  readonly timeout?: string;
  readonly retry?: string;
  readonly circuitBreaker?: string;
}

export interface AppTarget extends PolicyNames {
  /** Accepted for compatibility; Tessera keeps one breaker per app id. */
  readonly circuitBreakerCacheSize: number;
}

export type ActorBreakerScope = 'type' | 'id' | 'both';

export interface ActorTarget extends PolicyNames {
  /** `type`: one breaker per actor type; `id` / `both`: one per actor instance. */
  readonly circuitBreakerScope?: ActorBreakerScope;
  /** How many per-instance breakers are kept (LRU, default 5000). */
  readonly circuitBreakerCacheSize: number;
}

export interface ComponentTarget {
  /** API -> component. */
  readonly outbound: PolicyNames;
  /** Component -> app: pub/sub delivery, input bindings, configuration updates. */
  readonly inbound: PolicyNames;
}

export interface ResiliencySpec {
  readonly timeouts: ReadonlyMap<string, number>;
  /** Includes the DaprBuiltIn* retries, with any override from the resources. */
  readonly retries: ReadonlyMap<string, RetrySpec>;
  readonly circuitBreakers: ReadonlyMap<string, CircuitBreakerSpec>;
  readonly apps: ReadonlyMap<string, AppTarget>;
  readonly actors: ReadonlyMap<string, ActorTarget>;
  readonly components: ReadonlyMap<string, ComponentTarget>;
  /** Names of the Resiliency resources applied, in order. */
  readonly resources: readonly string[];
  /** Things daprd logs as warnings and ignores (e.g. a weakened built-in retry); log them once. */
  readonly warnings: readonly string[];
}

export const DEFAULT_RETRY_DURATION_MS = 5_000;
export const DEFAULT_RETRY_MAX_INTERVAL_MS = 60_000;
export const DEFAULT_BREAKER_TIMEOUT_MS = 60_000;
export const DEFAULT_TRIP = 'consecutiveFailures > 5';
export const DEFAULT_APP_BREAKER_CACHE_SIZE = 100;
export const DEFAULT_ACTOR_BREAKER_CACHE_SIZE = 5_000;

export type BuiltInRetryName =
  | 'DaprBuiltInServiceRetries'
  | 'DaprBuiltInActorRetries'
  | 'DaprBuiltInActorReminderRetries'
  | 'DaprBuiltInActorNotFoundRetries'
  | 'DaprBuiltInInitializationRetries';

/** Dapr's built-in retries (resiliency.go addBuiltInPolicies). */
export const BUILT_IN_RETRIES: Readonly<Record<BuiltInRetryName, RetrySpec>> = {
  DaprBuiltInServiceRetries: { name: 'DaprBuiltInServiceRetries', policy: 'constant', durationMs: 1_000, maxIntervalMs: 60_000, maxRetries: 3 },
  DaprBuiltInActorRetries: { name: 'DaprBuiltInActorRetries', policy: 'constant', durationMs: 1_000, maxIntervalMs: 60_000, maxRetries: 3 },
  DaprBuiltInActorReminderRetries: {
    name: 'DaprBuiltInActorReminderRetries',
    policy: 'exponential',
    durationMs: DEFAULT_RETRY_DURATION_MS,
    maxIntervalMs: 60_000,
    maxRetries: -1,
    maxElapsedMs: 15 * 60_000,
  },
  DaprBuiltInActorNotFoundRetries: { name: 'DaprBuiltInActorNotFoundRetries', policy: 'constant', durationMs: 1_000, maxIntervalMs: 60_000, maxRetries: 5 },
  DaprBuiltInInitializationRetries: {
    name: 'DaprBuiltInInitializationRetries',
    policy: 'exponential',
    durationMs: 2_000,
    maxIntervalMs: 1_000,
    maxRetries: 3,
    maxElapsedMs: 10_000,
  },
};

/** A built-in may be overridden only with at least this many retries. */
export const BUILT_IN_MIN_RETRIES = 3;
/** Built-ins that cannot be overridden at all. */
export const PROTECTED_BUILT_INS: readonly BuiltInRetryName[] = ['DaprBuiltInActorNotFoundRetries'];

export function isBuiltInRetryName(name: string): name is BuiltInRetryName {
  return Object.prototype.hasOwnProperty.call(BUILT_IN_RETRIES, name);
}

/** Dapr component kinds as used in default policy names (`DefaultStatestoreComponentOutboundRetryPolicy`). */
export type ComponentPolicyKind = 'Statestore' | 'Pubsub' | 'Binding' | 'Secretstore' | 'Configuration' | 'Lock' | 'Crypto';

const KIND_BY_BLOCK: Readonly<Record<string, ComponentPolicyKind>> = {
  state: 'Statestore',
  statestore: 'Statestore',
  pubsub: 'Pubsub',
  bindings: 'Binding',
  binding: 'Binding',
  secretstores: 'Secretstore',
  secretstore: 'Secretstore',
  configuration: 'Configuration',
  lock: 'Lock',
  crypto: 'Crypto',
};

/**
 * The default-policy kind of a component: accepts a component type (`state.redis`), a building
 * block (`state`, `bindings`) or Dapr's word (`Statestore`); undefined when unknown.
 */
export function componentPolicyKind(kind: string | undefined): ComponentPolicyKind | undefined {
  if (kind === undefined || kind === '') return undefined;
  const block = kind.split('.')[0]?.toLowerCase() ?? '';
  return Object.prototype.hasOwnProperty.call(KIND_BY_BLOCK, block) ? KIND_BY_BLOCK[block] : undefined;
}
