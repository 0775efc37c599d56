// Composition root for name resolvers: Configuration `spec.nameResolution.component` + `version`
// -> factory. Dapr's Configuration names the component without a prefix (`sqlite`, `kubernetes`);
// the `nameresolution.` prefixed form (the component's type in components-contrib) is accepted
// too. Add a resolver by adding one line to REGISTRY. Versions follow Dapr: an empty version, `v0`
// and `v1` all mean the initial version.
import type { NameResolverFactory } from '@tessera/spi';
import { createKubernetesNameResolver } from '@tessera/nameresolution-kubernetes';
import { createSqliteNameResolver } from '@tessera/nameresolution-sqlite';

export type NameResolverComponent = 'sqlite' | 'kubernetes';

const REGISTRY: Readonly<Record<NameResolverComponent, Readonly<Record<string, NameResolverFactory>>>> = {
  sqlite: { v1: createSqliteNameResolver },
  kubernetes: { v1: createKubernetesNameResolver },
};

export const KNOWN_NAME_RESOLVERS: readonly NameResolverComponent[] = Object.freeze(Object.keys(REGISTRY) as NameResolverComponent[]);

const PREFIX = 'nameresolution.';

function byComponent(component: string): Readonly<Record<string, NameResolverFactory>> | undefined {
  let name = component.trim().toLowerCase();
  if (name.startsWith(PREFIX)) name = name.slice(PREFIX.length);
  return (REGISTRY as Readonly<Record<string, Readonly<Record<string, NameResolverFactory>> | undefined>>)[name];
}

function normalizeVersion(version: string | undefined): string {
  const v = (version ?? '').trim().toLowerCase();
  return v === '' || v === 'v0' ? 'v1' : v;
}

/** The factory for `spec.nameResolution.component` (with or without `nameresolution.`), or undefined if unknown. */
export function nameResolverFactory(component: string, version?: string): NameResolverFactory | undefined {
  return byComponent(component)?.[normalizeVersion(version)];
}

/** The versions registered for a component (for "unknown version" messages), empty if it is unknown. */
export function nameResolverVersions(component: string): readonly string[] {
  const versions = byComponent(component);
  return versions ? Object.keys(versions) : [];
}
