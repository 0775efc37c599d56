// Composition root for secret stores: manifest `spec.type` + `spec.version` -> factory. The only
// file that imports every secret store implementation; add a store by adding one line to
// REGISTRY. Versions follow Dapr: an empty version, `v0` and `v1` all mean the initial version.
import type { SecretStoreFactory } from '@tessera/spi';
import { createEnvSecretStore } from '@tessera/secretstore-env';
import { createFileSecretStore } from '@tessera/secretstore-file';
import { createKubernetesSecretStore } from '@tessera/secretstore-kubernetes';

export type SecretStoreType = 'secretstores.local.env' | 'secretstores.local.file' | 'secretstores.kubernetes';

const REGISTRY: Readonly<Record<SecretStoreType, Readonly<Record<string, SecretStoreFactory>>>> = {
  'secretstores.local.env': { v1: createEnvSecretStore },
  'secretstores.local.file': { v1: createFileSecretStore },
  'secretstores.kubernetes': { v1: createKubernetesSecretStore },
};

export const KNOWN_SECRET_STORE_TYPES: readonly SecretStoreType[] = Object.freeze(Object.keys(REGISTRY) as SecretStoreType[]);

type ByType = Readonly<Record<string, Readonly<Record<string, SecretStoreFactory>> | undefined>>;

function normalizeVersion(version: string): string {
  const v = version.trim().toLowerCase();
  return v === '' || v === 'v0' ? 'v1' : v;
}

/** The factory for a Component's `spec.type` and `spec.version`, or undefined if unknown. */
export function secretStoreFactory(type: string, version: string): SecretStoreFactory | undefined {
  return (REGISTRY as ByType)[type.trim().toLowerCase()]?.[normalizeVersion(version)];
}

/** The versions registered for a type (for "unknown version" messages), empty if the type is unknown. */
export function secretStoreVersions(type: string): readonly string[] {
  const byVersion = (REGISTRY as ByType)[type.trim().toLowerCase()];
  return byVersion ? Object.keys(byVersion) : [];
}
