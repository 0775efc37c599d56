// Creates and initialises the bindings named by Component resources (`bindings.*`). The factory
// lookup is passed in by the composition root (it holds the registry), so this block never
// imports a concrete component. A binding that fails to start stops start-up with one line naming
// the file and the component, unless the component sets spec.ignoreErrors.
//
// Runtime metadata read here (spec/components.md): `direction` (`input`, `output` or both,
// comma-separated; absent = whichever sides the component has) and `route` (the app path of input
// events; default the component name). Both stay in the metadata the component sees.
import { ComponentConfigError, initWithTimeout } from '@tessera/spi';
import type { Binding, BindingFactory, ComponentHost, ComponentMetadata, LoadableComponentSpec } from '@tessera/spi';
import { BindingComponents } from './binding-components';

/** The fields of a loaded Component resource this loader reads. */
export type BindingComponentSpec = LoadableComponentSpec;

export interface BindingsLoaderLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error?(msg: string, fields?: Record<string, unknown>): void;
}

export class BindingLoadError extends Error {
  readonly kind = 'tessera.binding-load' as const;
}

/** A runtime metadata field by case-insensitive name. */
export function runtimeMetadata(metadata: Readonly<Record<string, string>>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(metadata)) if (k.toLowerCase() === want) return v;
  return undefined;
}

/** `direction` as daprd reads it; undefined when absent or empty (both sides the component has). */
export function parseDirection(value: string | undefined): { input: boolean; output: boolean } | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const out = { input: false, output: false };
  for (const raw of value.split(',')) {
    const word = raw.trim().toLowerCase();
    if (word === 'input') out.input = true;
    else if (word === 'output') out.output = true;
    else if (word !== '') throw new ComponentConfigError('direction', `input, output or "input, output", got "${value}"`);
  }
  return out;
}

export async function loadBindings(
  specs: readonly BindingComponentSpec[],
  factoryFor: (type: string, version: string) => BindingFactory | undefined,
  appId: string,
  logger: BindingsLoaderLogger,
  host?: ComponentHost,
): Promise<BindingComponents> {
  const bindings = new BindingComponents();
  const started: Binding[] = [];
  try {
    for (const spec of specs) {
      const where = `${spec.file}: component "${spec.name}"`;
      const factory = factoryFor(spec.type, spec.version);
      if (!factory) throw new BindingLoadError(`${where}: spec.type: no binding ${spec.type}/${spec.version} in this build`);
      const meta: ComponentMetadata = { name: spec.name, type: spec.type, version: spec.version, properties: spec.metadata, appId };
      let binding: Binding | undefined;
      let input = false;
      let output = false;
      try {
        const direction = parseDirection(runtimeMetadata(spec.metadata, 'direction'));
        binding = factory(meta, host);
        const canRead = typeof binding.read === 'function';
        const canInvoke = typeof binding.invoke === 'function';
        if (direction?.input === true && !canRead) throw new ComponentConfigError('direction', `no "input": ${spec.type} is not an input binding`);
        if (direction?.output === true && !canInvoke) throw new ComponentConfigError('direction', `no "output": ${spec.type} is not an output binding`);
        input = direction ? direction.input : canRead;
        output = direction ? direction.output : canInvoke;
        await initWithTimeout(binding.init(), spec.initTimeoutMs);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        if (binding) await binding.close().catch(() => undefined);
        if (spec.ignoreErrors) {
          logger.warn(`${where}: skipped (spec.ignoreErrors): ${reason}`);
          continue;
        }
        throw new BindingLoadError(`${where}: failed to initialise ${spec.type}: ${reason}`);
      }
      started.push(binding);
      const route = runtimeMetadata(spec.metadata, 'route');
      bindings.add({
        name: spec.name,
        type: spec.type,
        version: spec.version,
        binding,
        input,
        output,
        route: route !== undefined && route.trim() !== '' ? route.trim() : spec.name,
        scopes: spec.scopes,
      });
      logger.info(`component loaded: ${spec.name} (${spec.type}/${spec.version})`);
    }
  } catch (e) {
    await Promise.all(started.map((b) => b.close().catch(() => undefined)));
    throw e;
  }
  return bindings;
}

export async function closeBindings(bindings: BindingComponents): Promise<void> {
  await Promise.all(bindings.all().map((e) => e.binding.close().catch(() => undefined)));
}
