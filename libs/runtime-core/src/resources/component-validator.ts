// Checks loaded components against what this Tessera build can run: the building block must be
// built, the type known and the version supported. The caller (the composition root) passes
// the registry's table in; runtime-core knows no concrete component. A refused component stops
// start-up with a ResourceError, unless its spec.ignoreErrors is true: then it is skipped with a
// warning, as daprd skips a component that fails to initialise.
import { noopLogger, type Logger } from '@tessera/observability';
import type { ComponentSpec } from './component';
import { ResourceError } from './resource-error';

export interface ComponentValidationOptions {
  /** Component type -> supported versions, e.g. { 'state.redis': ['v1'], 'state.postgresql': ['v1', 'v2'] }. */
  readonly knownTypes: Readonly<Record<string, readonly string[]>>;
  /** Building blocks present in this build, e.g. ['state']. */
  readonly builtBlocks: readonly string[];
  readonly logger?: Logger;
}

/** Dapr's component categories (the part of spec.type before the first dot) and their names. */
export const BUILDING_BLOCK_NAMES: Readonly<Record<string, string>> = {
  state: 'state management',
  pubsub: 'publish and subscribe',
  bindings: 'bindings',
  secretstores: 'secrets',
  configuration: 'configuration',
  lock: 'distributed lock',
  middleware: 'middleware',
  nameresolution: 'name resolution',
  crypto: 'cryptography',
  conversation: 'conversation',
  workflowbackend: 'workflow backend',
};

/** `state` for `state.redis`, `secretstores` for `secretstores.local.file`. */
export function componentBlock(type: string): string {
  const dot = type.indexOf('.');
  return dot < 0 ? type : type.slice(0, dot);
}

/** The components this build can run, in input order; throws on the first refused one. */
export function validateComponents(components: readonly ComponentSpec[], opts: ComponentValidationOptions): ComponentSpec[] {
  const log = (opts.logger ?? noopLogger).child({ scope: 'runtime.resources' });
  const kept: ComponentSpec[] = [];
  for (const c of components) {
    const refusal = check(c, opts);
    if (refusal === undefined) {
      kept.push(c);
      continue;
    }
    const error = new ResourceError({ file: c.file, resource: `component "${c.name}"`, field: refusal.field, problem: refusal.problem });
    if (!c.ignoreErrors) throw error;
    log.warn('skipping a component this build cannot run (spec.ignoreErrors is true)', { component: c.name, type: c.type, error: error.message });
  }
  return kept;
}

function check(c: ComponentSpec, opts: ComponentValidationOptions): { field: string; problem: string } | undefined {
  const block = componentBlock(c.type);
  const blockName = BUILDING_BLOCK_NAMES[block];
  if (blockName === undefined) {
    return {
      field: 'spec.type',
      problem: `unknown component type "${c.type}"; known building blocks: ${Object.keys(BUILDING_BLOCK_NAMES).sort().join(', ')}`,
    };
  }
  if (!opts.builtBlocks.includes(block)) {
    return { field: 'spec.type', problem: `"${c.type}" needs the ${blockName} building block, which is not available in this Tessera build yet` };
  }
  const versions = Object.prototype.hasOwnProperty.call(opts.knownTypes, c.type) ? opts.knownTypes[c.type] : undefined;
  if (versions === undefined) {
    const same = Object.keys(opts.knownTypes)
      .filter((t) => componentBlock(t) === block)
      .sort();
    const known = same.length > 0 ? `known ${block} types: ${same.join(', ')}` : `no ${block} types are available in this build`;
    return { field: 'spec.type', problem: `unknown component type "${c.type}"; ${known}` };
  }
  if (!versions.includes(c.version)) {
    return { field: 'spec.version', problem: `${c.type} does not support version "${c.version}"; supported: ${versions.join(', ')}` };
  }
  return undefined;
}
