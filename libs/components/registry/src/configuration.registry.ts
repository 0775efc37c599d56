// Composition root for configuration stores: manifest `spec.type` + `spec.version` -> factory.
// The only file that imports every configuration implementation. Versions follow Dapr: an empty
// version, `v0` and `v1` all mean the initial version.
import type { ConfigurationStoreFactory } from '@tessera/spi';
import { createPostgresConfigurationStore } from '@tessera/configuration-postgresql';
import { createRedisConfigurationStore } from '@tessera/configuration-redis';

export type ConfigurationStoreType = 'configuration.redis' | 'configuration.postgresql' | 'configuration.postgres';

const REGISTRY: Readonly<Record<ConfigurationStoreType, Readonly<Record<string, ConfigurationStoreFactory>>>> = {
  'configuration.redis': { v1: createRedisConfigurationStore },
  'configuration.postgresql': { v1: createPostgresConfigurationStore },
  'configuration.postgres': { v1: createPostgresConfigurationStore },
};

export const KNOWN_CONFIGURATION_TYPES: readonly ConfigurationStoreType[] = Object.freeze(Object.keys(REGISTRY) as ConfigurationStoreType[]);

function normalizeVersion(version: string): string {
  const v = version.trim().toLowerCase();
  return v === '' || v === 'v0' ? 'v1' : v;
}

function byType(type: string): Readonly<Record<string, ConfigurationStoreFactory>> | undefined {
  return (REGISTRY as Readonly<Record<string, Readonly<Record<string, ConfigurationStoreFactory>> | undefined>>)[type.trim().toLowerCase()];
}

/** The factory for a Component's `spec.type` and `spec.version`, or undefined if unknown. */
export function configurationStoreFactory(type: string, version: string): ConfigurationStoreFactory | undefined {
  return byType(type)?.[normalizeVersion(version)];
}

/** The versions registered for a type, empty if the type is unknown. */
export function configurationStoreVersions(type: string): readonly string[] {
  const v = byType(type);
  return v ? Object.keys(v) : [];
}
