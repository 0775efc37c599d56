import type { Logger, LogFields } from '@tessera/observability';
import type { ComponentSpec } from './component';
import { componentBlock, validateComponents, type ComponentValidationOptions } from './component-validator';
import { isResourceError } from './resource-error';

const spec = (name: string, type: string, version = 'v1', ignoreErrors = false): ComponentSpec => ({
  name,
  namespace: 'default',
  type,
  version,
  initTimeoutMs: 5000,
  ignoreErrors,
  metadata: {},
  scopes: [],
  file: `resources/${name}.yaml`,
  usesNamespaceTemplate: false,
});

const opts: ComponentValidationOptions = {
  knownTypes: {
    'state.in-memory': ['v1'],
    'state.redis': ['v1'],
    'state.postgresql': ['v1', 'v2'],
    'pubsub.redis': ['v1'],
  },
  builtBlocks: ['state'],
};

function errorOf(c: ComponentSpec): string {
  try {
    validateComponents([c], opts);
  } catch (e) {
    expect(isResourceError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a ResourceError');
}

describe('validateComponents', () => {
  it('keeps known types with supported versions', () => {
    const cs = [spec('a', 'state.redis'), spec('b', 'state.postgresql', 'v2')];
    expect(validateComponents(cs, opts)).toEqual(cs);
  });

  it('refuses an unknown type of a built block, listing the known ones', () => {
    expect(errorOf(spec('statestore', 'state.foo'))).toBe(
      'resources/statestore.yaml: component "statestore": spec.type: unknown component type "state.foo"; known state types: state.in-memory, state.postgresql, state.redis',
    );
  });

  it('refuses a type whose building block is not built yet', () => {
    expect(errorOf(spec('pubsub', 'pubsub.redis'))).toBe(
      'resources/pubsub.yaml: component "pubsub": spec.type: "pubsub.redis" needs the publish and subscribe building block, which is not available in this Tessera build yet',
    );
    expect(errorOf(spec('lock', 'lock.redis'))).toBe(
      'resources/lock.yaml: component "lock": spec.type: "lock.redis" needs the distributed lock building block, which is not available in this Tessera build yet',
    );
  });

  it('refuses a type of no Dapr building block', () => {
    expect(errorOf(spec('x', 'cache.redis'))).toBe(
      'resources/x.yaml: component "x": spec.type: unknown component type "cache.redis"; known building blocks: bindings, configuration, conversation, crypto, lock, middleware, nameresolution, pubsub, secretstores, state, workflowbackend',
    );
  });

  it('refuses an unsupported version', () => {
    expect(errorOf(spec('statestore', 'state.postgresql', 'v3'))).toBe(
      'resources/statestore.yaml: component "statestore": spec.version: state.postgresql does not support version "v3"; supported: v1, v2',
    );
  });

  it('does not treat inherited object keys as types', () => {
    expect(errorOf(spec('s', 'state.constructor'))).toContain('unknown component type "state.constructor"');
  });

  it('skips a refused component with ignoreErrors, with a warning', () => {
    const warnings: Array<{ msg: string; fields?: LogFields }> = [];
    const logger: Logger = {
      level: 'debug',
      debug: () => undefined,
      info: () => undefined,
      warn: (msg, fields) => warnings.push({ msg, fields }),
      error: () => undefined,
      child: () => logger,
    };
    const ok = spec('ok', 'state.redis');
    const kept = validateComponents([spec('p', 'pubsub.redis', 'v1', true), ok, spec('s', 'state.redis', 'v9', true)], { ...opts, logger });
    expect(kept).toEqual([ok]);
    expect(warnings.map((w) => w.fields?.['component'])).toEqual(['p', 's']);
    expect(String(warnings[0]?.fields?.['error'])).toContain('not available in this Tessera build yet');
  });

  it('componentBlock takes the part before the first dot', () => {
    expect(componentBlock('secretstores.local.file')).toBe('secretstores');
    expect(componentBlock('middleware.http.uppercase')).toBe('middleware');
  });
});
