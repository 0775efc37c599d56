// Composition root for state stores: manifest `spec.type` + `spec.version` -> factory. The only
// file that imports every state implementation; add a store by adding one line to REGISTRY.
// Versions follow Dapr: an empty version, `v0` and `v1` all mean the initial version.
import type { StateStoreFactory } from '@tessera/spi';
import { createInMemoryStateStore } from '@tessera/state-in-memory';
import { createPostgresStateStore } from '@tessera/state-postgresql';
import { createRedisStateStore } from '@tessera/state-redis';
import { createSqliteStateStore } from '@tessera/state-sqlite';

export type StateStoreType =
  | 'state.in-memory'
  | 'state.sqlite'
  | 'state.sqlite3'
  | 'state.redis'
  | 'state.postgresql'
  | 'state.postgres';

const REGISTRY: Readonly<Record<StateStoreType, Readonly<Record<string, StateStoreFactory>>>> = {
  'state.in-memory': { v1: createInMemoryStateStore },
  'state.sqlite': { v1: createSqliteStateStore },
  'state.sqlite3': { v1: createSqliteStateStore },
  'state.redis': { v1: createRedisStateStore },
  'state.postgresql': { v1: createPostgresStateStore },
  'state.postgres': { v1: createPostgresStateStore },
};

export const KNOWN_STATE_TYPES: readonly StateStoreType[] = Object.freeze(Object.keys(REGISTRY) as StateStoreType[]);

function normalizeVersion(version: string): string {
  const v = version.trim().toLowerCase();
  return v === '' || v === 'v0' ? 'v1' : v;
}

/** The factory for a Component's `spec.type` and `spec.version`, or undefined if unknown. */
export function stateStoreFactory(type: string, version: string): StateStoreFactory | undefined {
  const byVersion = (REGISTRY as Readonly<Record<string, Readonly<Record<string, StateStoreFactory>> | undefined>>)[type.trim().toLowerCase()];
  return byVersion?.[normalizeVersion(version)];
}

/** The versions registered for a type (for "unknown version" messages), empty if the type is unknown. */
export function stateStoreVersions(type: string): readonly string[] {
  const byVersion = (REGISTRY as Readonly<Record<string, Readonly<Record<string, StateStoreFactory>> | undefined>>)[type.trim().toLowerCase()];
  return byVersion ? Object.keys(byVersion) : [];
}
