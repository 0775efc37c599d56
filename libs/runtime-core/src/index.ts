// Public surface of @tessera/runtime-core: process configuration, resource loading and the
// small parsing utilities they share. Framework-free.
export type { RuntimeConfig, AppProtocol, RuntimeMode, AppHealthCheckConfig, Env } from './config/runtime-config';
export { parseRuntimeArgs, runtimeHelp, ConfigError, isConfigError, APP_PROTOCOLS } from './config/runtime-config';

export type { ComponentSpec, SecretResolver } from './resources/component';
export { DEFAULT_INIT_TIMEOUT_MS, secretEnvName, applyTemplates } from './resources/component';
export type { RawResource, LoadedResources, LoadResourcesOptions } from './resources/loader';
export { loadResources } from './resources/loader';
export type { ComponentValidationOptions } from './resources/component-validator';
export { validateComponents, componentBlock, BUILDING_BLOCK_NAMES } from './resources/component-validator';
export type { ResourceErrorInit } from './resources/resource-error';
export { ResourceError, isResourceError } from './resources/resource-error';
export { field as getField, isMap as isYamlMap } from './resources/fields';
export type { YamlMap } from './resources/fields';

export { parseGoDuration, tryParseGoDuration } from './util/duration';
export { parseQuantity, tryParseQuantity } from './util/quantity';
export { PauseLatch, idleOrTimeout } from './util/pause-latch';
export type { InFlight } from './util/pause-latch';

export type { NameResolutionSpec } from './nameresolution/name-resolution';
export { nameResolutionSpec, NAME_RESOLUTION_DB_FILE } from './nameresolution/name-resolution';

export type {
  ResiliencySpec,
  RetrySpec,
  RetryMatching,
  RetryBackoffKind,
  CircuitBreakerSpec,
  PolicyNames,
  AppTarget,
  ActorTarget,
  ActorBreakerScope,
  ComponentTarget,
  BuiltInRetryName,
  ComponentPolicyKind,
} from './resiliency/resiliency-spec';
export { BUILT_IN_RETRIES } from './resiliency/resiliency-spec';
export type { CodeRange } from './resiliency/status-codes';
export type { BreakerCounts } from './resiliency/trip-expression';
export { parseResiliency } from './resiliency/resiliency-parser';
export type { Policy, RunOptions, FailureVerdict, ResiliencyEvent, ResiliencyEventKind, ResiliencyEventHandler } from './resiliency/policy';
export { PASS_THROUGH, failureForHttpStatus, failureForGrpcCode } from './resiliency/policy';
export type { ResiliencyRunnerOptions, ComponentDirection } from './resiliency/resiliency-runner';
export { ResiliencyRunner } from './resiliency/resiliency-runner';
export { ResiliencyTimeoutError, CircuitOpenError, isResiliencyTimeout, isCircuitOpen, isRetryableError } from './resiliency/resiliency-errors';

export type { AccessControlSpec, AccessPolicy, AccessOperation, CompiledAccessPolicy } from './access-control/access-control-parser';
export { parseAccessControl, DEFAULT_TRUST_DOMAIN } from './access-control/access-control-parser';
export type { OperationTrie, OperationEntry } from './access-control/operation-trie';
export type { CallerIdentity, AccessDecision } from './access-control/evaluate-access';
export { evaluateAccess, accessDeniedMessage, normalizeOperation } from './access-control/evaluate-access';
