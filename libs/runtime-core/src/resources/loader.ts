// Loads Dapr resources from the --resources-path folders: every *.yaml / *.yml file directly in
// each folder (not recursive, as daprd), in name order, each possibly holding several YAML
// documents. Components are validated and resolved (component.ts); Subscription, Resiliency,
// Configuration and HTTPEndpoint keep their decoded spec for the parts of the runtime that
// consume them. Anything else (other kinds, non-Dapr YAML) is skipped with a debug line.
// Secret stores are resolved before every other component and handed to onSecretStore (the
// composition root starts them there), so the others' secretKeyRefs resolve through them; the
// returned list keeps file order. The first problem stops loading with a one-line ResourceError.
import { readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { noopLogger, type Logger } from '@tessera/observability';
import { parseComponent, parseScopes, resolveComponent, type ComponentSpec, type ParsedComponent, type SecretResolver } from './component';
import { describe, field, isMap, type YamlMap } from './fields';
import { ResourceError } from './resource-error';

/** A resource other than a Component, kept as decoded for its consumer. */
export interface RawResource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** metadata.namespace, or the runtime's namespace. */
  readonly namespace: string;
  readonly scopes: readonly string[];
  /** The decoded `spec` (field names as written; read them with case-insensitive lookups). */
  readonly spec: unknown;
  /** The whole decoded document. */
  readonly raw: YamlMap;
  readonly file: string;
}

export interface LoadedResources {
  readonly components: readonly ComponentSpec[];
  readonly subscriptions: readonly RawResource[];
  readonly resiliencies: readonly RawResource[];
  readonly configurations: readonly RawResource[];
  readonly httpEndpoints: readonly RawResource[];
}

export interface LoadResourcesOptions {
  /** This runtime's app id; '' for a shared building-block service (keeps every scoped resource). */
  readonly appId: string;
  readonly namespace: string;
  /** Source of envRef values and of the secretKeyRef fallback; also POD_NAME for `{podName}`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves secretKeyRef through the component's auth.secretStore. */
  readonly secretResolver?: SecretResolver;
  /**
   * Called with each secret store component (`secretstores.*`) once it is resolved, before any
   * other component is: the caller creates and initialises the store here, so `secretResolver`
   * can read through it for the components that follow. Secret stores are resolved first, in
   * dependency order (one whose auth.secretStore names another secret store of these resources
   * waits for it); a cycle stops loading. Errors thrown here stop loading as they are.
   */
  readonly onSecretStore?: (spec: ComponentSpec) => Promise<void>;
  readonly logger?: Logger;
  /** Files under this folder are shown relative to it in messages. */
  readonly cwd?: string;
  /** `{podName}` value; default env POD_NAME, else the host name. */
  readonly podName?: string;
}

const KINDS: Readonly<Record<string, { readonly versions: readonly string[]; readonly list: keyof LoadedResources }>> = {
  Component: { versions: ['dapr.io/v1alpha1'], list: 'components' },
  Subscription: { versions: ['dapr.io/v2alpha1', 'dapr.io/v1alpha1'], list: 'subscriptions' },
  Resiliency: { versions: ['dapr.io/v1alpha1'], list: 'resiliencies' },
  Configuration: { versions: ['dapr.io/v1alpha1'], list: 'configurations' },
  HTTPEndpoint: { versions: ['dapr.io/v1alpha1'], list: 'httpEndpoints' },
};

export async function loadResources(paths: readonly string[], opts: LoadResourcesOptions): Promise<LoadedResources> {
  const log = (opts.logger ?? noopLogger).child({ scope: 'runtime.resources' });
  const parsed: ParsedComponent[] = [];
  const others: Record<Exclude<keyof LoadedResources, 'components'>, RawResource[]> = {
    subscriptions: [],
    resiliencies: [],
    configurations: [],
    httpEndpoints: [],
  };

  for (const file of await listFiles(paths, opts.cwd)) {
    const shown = display(file, opts.cwd);
    const text = await readFile(file, 'utf8');
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
    let index = 0;
    for (const doc of docs) {
      index++;
      const line = lines.linePos(doc.contents?.range?.[0] ?? doc.range[0]).line;
      const at = docs.length > 1 ? `document ${index} (line ${line})` : `line ${line}`;
      const yamlError = doc.errors[0];
      if (yamlError !== undefined) {
        const pos = lines.linePos(yamlError.pos[0]);
        throw new ResourceError({ file: shown, resource: `line ${pos.line}, column ${pos.col}`, problem: `invalid YAML: ${yamlError.message}` });
      }
      const value: unknown = doc.toJS({ maxAliasCount: 100 });
      if (value === null || value === undefined) continue;
      if (!isMap(value)) {
        log.debug('skipping a YAML document that is not a resource', { file: shown, document: index });
        continue;
      }
      const kind = field(value, 'kind');
      const apiVersion = field(value, 'apiVersion');
      const known = typeof kind === 'string' ? KINDS[kind] : undefined;
      if (known === undefined || typeof apiVersion !== 'string' || !apiVersion.startsWith('dapr.io/')) {
        log.debug('skipping a resource of an unsupported kind', { file: shown, document: index, kind: String(kind), apiVersion: String(apiVersion) });
        continue;
      }
      const label = kind === 'Component' ? 'component' : (kind as string);
      if (!known.versions.includes(apiVersion)) {
        const name = resourceName(value);
        throw new ResourceError({
          file: shown,
          resource: name !== undefined ? `${label} "${name}"` : `${label} at ${at}`,
          field: 'apiVersion',
          problem: `expected ${known.versions.map((v) => `"${v}"`).join(' or ')}, got ${describe(apiVersion)}`,
        });
      }
      if (known.list === 'components') {
        try {
          parsed.push(parseComponent(value, shown, at));
        } catch (e) {
          // A component that asks for it is skipped even when its spec is malformed, as daprd
          // skips one that fails to initialise.
          if (!componentIgnoresErrors(value)) throw e;
          log.warn(`skipping a malformed component (spec.ignoreErrors is true): ${(e as Error).message}`);
        }
      } else others[known.list].push(parseRaw(value, kind as string, apiVersion, shown, at, opts.namespace));
    }
  }

  const podName = opts.podName ?? opts.env['POD_NAME'] ?? hostname();
  const selected: ParsedComponent[] = [];
  const seen = new Map<string, ParsedComponent>();
  for (const c of parsed) {
    if (!inNamespace(c.namespace, opts.namespace)) {
      log.debug('skipping a component of another namespace', { component: c.name, file: c.file, namespace: c.namespace });
      continue;
    }
    if (!inScope(c.scopes, opts.appId)) {
      log.debug('skipping a component not scoped to this app', { component: c.name, file: c.file });
      continue;
    }
    const first = seen.get(c.name);
    if (first !== undefined) {
      throw new ResourceError({
        file: c.file,
        resource: `component "${c.name}"`,
        field: 'metadata.name',
        problem: `a component with this name is already defined in ${first.file}; component names must be unique`,
      });
    }
    seen.set(c.name, c);
    selected.push(c);
  }

  const resolved = new Map<ParsedComponent, ComponentSpec>();
  const resolve = async (c: ParsedComponent): Promise<ComponentSpec | undefined> => {
    try {
      return await resolveComponent(c, {
        appId: opts.appId,
        namespace: opts.namespace,
        podName,
        env: opts.env,
        ...(opts.secretResolver !== undefined ? { secretResolver: opts.secretResolver } : {}),
        onMissingEnv: (component, item, envRef) =>
          log.warn('envRef names an environment variable that is not set; using an empty value', { component, metadata: item, envRef }),
      });
    } catch (e) {
      if (!c.ignoreErrors) throw e;
      log.warn('skipping a component whose metadata cannot be resolved (spec.ignoreErrors is true)', {
        component: c.name,
        error: e instanceof Error ? e.message : String(e),
      });
      return undefined;
    }
  };

  // Secret stores first, each after the secret store its own secretKeyRefs read from.
  const pending = selected.filter(isSecretStore);
  while (pending.length > 0) {
    const waiting = new Set(pending.map((c) => c.name));
    const ready = pending.filter((c) => {
      const dep = secretStoreDependency(c);
      return dep === undefined || dep === c.name || !waiting.has(dep);
    });
    if (ready.length === 0) {
      const c = pending[0] as ParsedComponent;
      throw new ResourceError({
        file: c.file,
        resource: `component "${c.name}"`,
        field: 'auth.secretStore',
        problem: `the secret stores ${pending.map((p) => `"${p.name}"`).join(', ')} read their secretKeyRefs from each other in a cycle; give one of them values or envRefs`,
      });
    }
    for (const c of ready) {
      pending.splice(pending.indexOf(c), 1);
      const spec = await resolve(c);
      if (spec === undefined) continue;
      resolved.set(c, spec);
      await opts.onSecretStore?.(spec);
    }
  }
  for (const c of selected) {
    if (isSecretStore(c)) continue;
    const spec = await resolve(c);
    if (spec !== undefined) resolved.set(c, spec);
  }
  const components = selected.flatMap((c) => {
    const spec = resolved.get(c);
    return spec === undefined ? [] : [spec];
  });

  const keep = (list: RawResource[]): readonly RawResource[] =>
    Object.freeze(list.filter((r) => inNamespace(r.namespace, opts.namespace) && inScope(r.scopes, opts.appId)));
  return Object.freeze({
    components: Object.freeze(components),
    subscriptions: keep(others.subscriptions),
    resiliencies: keep(others.resiliencies),
    configurations: keep(others.configurations),
    httpEndpoints: keep(others.httpEndpoints),
  });
}

/** `secretstores.local.file` and friends: resolved and handed to onSecretStore first. */
function isSecretStore(c: ParsedComponent): boolean {
  return c.type.toLowerCase().startsWith('secretstores.');
}

/** The secret store a component's secretKeyRefs read from, when it has any. */
function secretStoreDependency(c: ParsedComponent): string | undefined {
  return c.authSecretStore !== undefined && c.items.some((i) => i.source.kind === 'secret') ? c.authSecretStore : undefined;
}

function resourceName(doc: YamlMap): string | undefined {
  const meta = field(doc, 'metadata');
  const name = isMap(meta) ? field(meta, 'name') : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function parseRaw(doc: YamlMap, kind: string, apiVersion: string, file: string, at: string, namespace: string): RawResource {
  const name = resourceName(doc);
  if (name === undefined) {
    const meta = field(doc, 'metadata');
    throw new ResourceError({ file, resource: `${kind} at ${at}`, field: 'metadata.name', problem: `expected a non-empty string, got ${describe(isMap(meta) ? field(meta, 'name') : undefined)}` });
  }
  const fail = (f: string, problem: string): never => {
    throw new ResourceError({ file, resource: `${kind} "${name}"`, field: f, problem });
  };
  const meta = field(doc, 'metadata') as YamlMap;
  const ns = field(meta, 'namespace');
  const spec = field(doc, 'spec');
  if (spec !== undefined && spec !== null && !isMap(spec)) fail('spec', `expected a mapping, got ${describe(spec)}`);
  return Object.freeze({
    apiVersion,
    kind,
    name,
    namespace: typeof ns === 'string' && ns !== '' ? ns : namespace,
    scopes: Object.freeze(parseScopes(field(doc, 'scopes'), fail)),
    spec: spec ?? {},
    raw: doc,
    file,
  });
}

/** A resource with a namespace other than the runtime's is not for it; no namespace = any. */
function inNamespace(resourceNs: string | undefined, ns: string): boolean {
  return resourceNs === undefined || resourceNs === ns;
}

/** Empty scopes = every app; a shared service (appId '') keeps everything and checks per call. */
function inScope(scopes: readonly string[], appId: string): boolean {
  return appId === '' || scopes.length === 0 || scopes.includes(appId);
}

async function listFiles(paths: readonly string[], cwd: string | undefined): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new ResourceError({ file: display(p, cwd), problem: 'resources path does not exist; expected a folder of resource YAML files' });
    }
    if (info.isFile()) {
      files.push(p);
      continue;
    }
    const entries = await readdir(p, { withFileTypes: true });
    const names = entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && ['.yaml', '.yml'].includes(extname(e.name).toLowerCase()))
      .map((e) => e.name)
      .sort();
    for (const n of names) files.push(join(p, n));
  }
  return files;
}

function display(file: string, cwd: string | undefined): string {
  if (cwd === undefined || !isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel.split(sep).join('/');
}

/** spec.ignoreErrors of a decoded Component document that may be otherwise malformed. */
function componentIgnoresErrors(doc: YamlMap): boolean {
  const spec = field(doc, 'spec');
  const v = isMap(spec) ? field(spec, 'ignoreErrors') : undefined;
  return v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
}
