// Composition root for lock stores: manifest `spec.type` + `spec.version` -> factory. The only
// file that imports every lock implementation; add a store by adding one line to REGISTRY.
// Versions follow Dapr: an empty version, `v0` and `v1` all mean the initial version.
// `lock.redis` is Dapr's; `lock.sqlite` (the embedded default), `lock.postgresql` and
// `lock.in-memory` are Tessera's own.
import type { LockStoreFactory } from '@tessera/spi';
import { createInMemoryLockStore } from '@tessera/lock-in-memory';
import { createPostgresLockStore } from '@tessera/lock-postgresql';
import { createRedisLockStore } from '@tessera/lock-redis';
import { createSqliteLockStore } from '@tessera/lock-sqlite';

export type LockStoreType = 'lock.redis' | 'lock.sqlite' | 'lock.postgresql' | 'lock.postgres' | 'lock.in-memory';

const REGISTRY: Readonly<Record<LockStoreType, Readonly<Record<string, LockStoreFactory>>>> = {
  'lock.redis': { v1: createRedisLockStore },
  'lock.sqlite': { v1: createSqliteLockStore },
  'lock.postgresql': { v1: createPostgresLockStore },
  'lock.postgres': { v1: createPostgresLockStore },
  'lock.in-memory': { v1: createInMemoryLockStore },
};

export const KNOWN_LOCK_TYPES: readonly LockStoreType[] = Object.freeze(Object.keys(REGISTRY) as LockStoreType[]);

function byType(type: string): Readonly<Record<string, LockStoreFactory>> | undefined {
  return (REGISTRY as Readonly<Record<string, Readonly<Record<string, LockStoreFactory>> | undefined>>)[type.trim().toLowerCase()];
}

function normalizeVersion(version: string): string {
  const v = version.trim().toLowerCase();
  return v === '' || v === 'v0' ? 'v1' : v;
}

/** The factory for a Component's `spec.type` and `spec.version`, or undefined if unknown. */
export function lockStoreFactory(type: string, version: string): LockStoreFactory | undefined {
  return byType(type)?.[normalizeVersion(version)];
}

/** The versions registered for a type (for "unknown version" messages), empty if the type is unknown. */
export function lockStoreVersions(type: string): readonly string[] {
  const v = byType(type);
  return v ? Object.keys(v) : [];
}
