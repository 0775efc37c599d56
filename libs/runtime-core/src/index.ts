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

export type { NameResolutionSpec } from './nameresolution/name-resolution';
export { nameResolutionSpec, NAME_RESOLUTION_DB_FILE } from './nameresolution/name-resolution';
