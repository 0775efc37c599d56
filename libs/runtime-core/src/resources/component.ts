// The Component resource (dapr.io/v1alpha1): structural validation of one decoded YAML document
// into a ParsedComponent, then resolution of its metadata values (envRef, secretKeyRef,
// templates) into the ComponentSpec the rest of the runtime uses. Whether the type is known to
// this build is component-validator.ts's job, not this file's.
import { randomUUID } from 'node:crypto';
import { tryParseGoDuration, durationExpectation } from '../util/duration';
import { describe, field, hasField, isMap, stringifyValue, type YamlMap } from './fields';
import { ResourceError } from './resource-error';

/** A Component, validated and with every metadata value resolved. */
export interface ComponentSpec {
  readonly name: string;
  /** metadata.namespace, or the runtime's namespace when the resource has none. */
  readonly namespace: string;
  /** spec.type, e.g. `state.redis`. */
  readonly type: string;
  readonly version: string;
  /** spec.initTimeout in ms (default 5 s). */
  readonly initTimeoutMs: number;
  /** spec.ignoreErrors: a failing component is skipped instead of stopping start-up. */
  readonly ignoreErrors: boolean;
  /** spec.metadata as name -> value, with envRef, secretKeyRef and templates resolved. */
  readonly metadata: Readonly<Record<string, string>>;
  /** App ids allowed to use it; empty = all. */
  readonly scopes: readonly string[];
  /** Path of the file it came from, as shown in messages. */
  readonly file: string;
  /** auth.secretStore: the store that resolved its secretKeyRefs. */
  readonly authSecretStore?: string;
  /** Some metadata value used the `{namespace}` template (namespace-scoped pub/sub). */
  readonly usesNamespaceTemplate: boolean;
}

export const DEFAULT_INIT_TIMEOUT_MS = 5000;

export type SecretResolver = (store: string, name: string, key: string) => Promise<string | undefined>;

type MetadataSource =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'env'; readonly envRef: string }
  | { readonly kind: 'secret'; readonly name: string; readonly key: string };

interface MetadataItem {
  readonly name: string;
  /** Field path for messages: `spec.metadata[1] "redisHost"`. */
  readonly where: string;
  readonly source: MetadataSource;
}

/** A structurally valid Component whose metadata is not resolved yet. */
export interface ParsedComponent {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly type: string;
  readonly version: string;
  readonly initTimeoutMs: number;
  readonly ignoreErrors: boolean;
  readonly items: readonly MetadataItem[];
  readonly scopes: readonly string[];
  readonly file: string;
  readonly authSecretStore: string | undefined;
}

/** `<building block>.<implementation>`, the implementation possibly dotted (`secretstores.local.file`). */
const TYPE_FORMAT = /^[A-Za-z0-9-]+(\.[A-Za-z0-9_-]+)+$/;

/**
 * Validates the shape of a Component document.
 * @param at how to name the document before its name is known, e.g. `document 2 (line 14)`.
 */
export function parseComponent(doc: YamlMap, file: string, at: string): ParsedComponent {
  const meta = field(doc, 'metadata');
  const rawName = isMap(meta) ? field(meta, 'name') : undefined;
  if (typeof rawName !== 'string' || rawName.trim() === '') {
    throw new ResourceError({ file, resource: `component at ${at}`, field: 'metadata.name', problem: `expected a non-empty string, got ${describe(rawName)}` });
  }
  const name = rawName;
  const fail = (f: string, problem: string): never => {
    throw new ResourceError({ file, resource: `component "${name}"`, field: f, problem });
  };

  const ns = isMap(meta) ? field(meta, 'namespace') : undefined;
  if (ns !== undefined && ns !== null && typeof ns !== 'string') fail('metadata.namespace', `expected a string, got ${describe(ns)}`);

  const spec = field(doc, 'spec');
  if (!isMap(spec)) return fail('spec', `expected a mapping with type, version and metadata, got ${describe(spec)}`);

  const type = field(spec, 'type');
  if (typeof type !== 'string' || !TYPE_FORMAT.test(type)) {
    fail('spec.type', `expected "<building block>.<implementation>" such as state.redis, got ${describe(type)}`);
  }
  const version = field(spec, 'version');
  if (typeof version !== 'string' || version.trim() === '') fail('spec.version', `expected a version such as "v1", got ${describe(version)}`);

  let initTimeoutMs = DEFAULT_INIT_TIMEOUT_MS;
  const initTimeout = field(spec, 'initTimeout');
  if (initTimeout !== undefined && initTimeout !== null && initTimeout !== '') {
    const ms = typeof initTimeout === 'string' ? tryParseGoDuration(initTimeout) : undefined;
    if (ms === undefined || ms <= 0) fail('spec.initTimeout', durationExpectation(typeof initTimeout === 'string' ? initTimeout : String(initTimeout)));
    initTimeoutMs = ms as number;
  }

  const ignoreErrors = parseBool(field(spec, 'ignoreErrors'), () => fail('spec.ignoreErrors', `expected true or false, got ${describe(field(spec, 'ignoreErrors'))}`));

  const rawItems = field(spec, 'metadata');
  if (rawItems !== undefined && rawItems !== null && !Array.isArray(rawItems)) {
    fail('spec.metadata', `expected a list of {name, value | secretKeyRef | envRef}, got ${describe(rawItems)}`);
  }
  const items = ((rawItems as unknown[] | null | undefined) ?? []).map((entry, i) => parseItem(entry, i, fail));

  const auth = field(doc, 'auth');
  let authSecretStore: string | undefined;
  if (auth !== undefined && auth !== null) {
    if (!isMap(auth)) fail('auth', `expected a mapping with secretStore, got ${describe(auth)}`);
    const store = field(auth as YamlMap, 'secretStore');
    if (store !== undefined && store !== null && typeof store !== 'string') fail('auth.secretStore', `expected a secret store name, got ${describe(store)}`);
    authSecretStore = typeof store === 'string' && store !== '' ? store : undefined;
  }

  const scopes = parseScopes(field(doc, 'scopes'), fail);

  return {
    name,
    namespace: typeof ns === 'string' && ns !== '' ? ns : undefined,
    type: type as string,
    version: version as string,
    initTimeoutMs,
    ignoreErrors,
    items,
    scopes,
    file,
    authSecretStore,
  };
}

function parseItem(entry: unknown, i: number, fail: (f: string, p: string) => never): MetadataItem {
  const at = `spec.metadata[${i}]`;
  if (!isMap(entry)) return fail(at, `expected a mapping {name, value | secretKeyRef | envRef}, got ${describe(entry)}`);
  const name = field(entry, 'name');
  if (typeof name !== 'string' || name === '') return fail(`${at}.name`, `expected a non-empty string, got ${describe(name)}`);
  const where = `${at} "${name}"`;

  const present = (['value', 'secretKeyRef', 'envRef'] as const).filter((k) => {
    const v = field(entry, k);
    return k === 'value' ? hasField(entry, k) : v !== undefined && v !== null && v !== '';
  });
  if (present.length === 0) return fail(where, 'expected one of value, secretKeyRef or envRef');
  if (present.length > 1) return fail(where, `expected only one of value, secretKeyRef or envRef, got ${present.join(' and ')}`);

  const kind = present[0];
  if (kind === 'envRef') {
    const envRef = field(entry, 'envRef');
    if (typeof envRef !== 'string') return fail(`${where}: envRef`, `expected the name of an environment variable, got ${describe(envRef)}`);
    return { name, where, source: { kind: 'env', envRef } };
  }
  if (kind === 'secretKeyRef') {
    const ref = field(entry, 'secretKeyRef');
    if (!isMap(ref)) return fail(`${where}: secretKeyRef`, `expected a mapping {name, key}, got ${describe(ref)}`);
    const secret = field(ref, 'name');
    if (typeof secret !== 'string' || secret === '') return fail(`${where}: secretKeyRef.name`, `expected a secret name, got ${describe(secret)}`);
    const key = field(ref, 'key');
    if (key !== undefined && key !== null && typeof key !== 'string') return fail(`${where}: secretKeyRef.key`, `expected a key within the secret, got ${describe(key)}`);
    return { name, where, source: { kind: 'secret', name: secret, key: typeof key === 'string' && key !== '' ? key : secret } };
  }
  return { name, where, source: { kind: 'value', value: stringifyValue(field(entry, 'value')) } };
}

function parseBool(v: unknown, onError: () => never): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True' || v === 'TRUE') return true;
  if (v === 'false' || v === 'False' || v === 'FALSE') return false;
  return onError();
}

/** `scopes`: a list of app ids (shared by every kind that has one). */
export function parseScopes(v: unknown, fail: (f: string, p: string) => never): readonly string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return fail('scopes', `expected a list of app ids, got ${describe(v)}`);
  return v.map((s, i) => {
    if (typeof s !== 'string' || s.trim() === '') return fail(`scopes[${i}]`, `expected an app id, got ${describe(s)}`);
    return s.trim();
  });
}

export interface ResolveContext {
  readonly appId: string;
  readonly namespace: string;
  readonly podName: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secretResolver?: SecretResolver;
  /** Called once per envRef whose variable is not set (its value becomes ""). */
  readonly onMissingEnv?: (component: string, item: string, envRef: string) => void;
}

/** Resolves every metadata value of a parsed component into a ComponentSpec. */
export async function resolveComponent(c: ParsedComponent, ctx: ResolveContext): Promise<ComponentSpec> {
  const metadata: Record<string, string> = {};
  let usesNamespaceTemplate = false;
  for (const item of c.items) {
    const raw = await resolveSource(c, item, ctx);
    if (raw.includes('{namespace}')) usesNamespaceTemplate = true;
    metadata[item.name] = applyTemplates(raw, ctx);
  }
  const spec: ComponentSpec = {
    name: c.name,
    namespace: c.namespace ?? ctx.namespace,
    type: c.type,
    version: c.version,
    initTimeoutMs: c.initTimeoutMs,
    ignoreErrors: c.ignoreErrors,
    metadata: Object.freeze(metadata),
    scopes: Object.freeze([...c.scopes]),
    file: c.file,
    usesNamespaceTemplate,
    ...(c.authSecretStore !== undefined ? { authSecretStore: c.authSecretStore } : {}),
  };
  return Object.freeze(spec);
}

async function resolveSource(c: ParsedComponent, item: MetadataItem, ctx: ResolveContext): Promise<string> {
  const src = item.source;
  if (src.kind === 'value') return src.value;
  if (src.kind === 'env') {
    const v = ctx.env[src.envRef];
    if (v === undefined) ctx.onMissingEnv?.(c.name, item.name, src.envRef);
    return v ?? '';
  }
  const fail = (problem: string): never => {
    throw new ResourceError({ file: c.file, resource: `component "${c.name}"`, field: item.where, problem });
  };
  const ref = `secretKeyRef {name: "${src.name}", key: "${src.key}"}`;
  if (ctx.secretResolver !== undefined && c.authSecretStore !== undefined) {
    let v: string | undefined;
    try {
      v = await ctx.secretResolver(c.authSecretStore, src.name, src.key);
    } catch (e) {
      return fail(`${ref} cannot be resolved from secret store "${c.authSecretStore}": ${e instanceof Error ? e.message : String(e)}`);
    }
    if (v === undefined) return fail(`${ref} was not found in secret store "${c.authSecretStore}"`);
    return v;
  }
  // No secret store to ask: read the environment, as the local.env secret store would.
  const envName = secretEnvName(src.name, src.key);
  const v = ctx.env[envName];
  if (v === undefined) {
    const why = ctx.secretResolver === undefined ? 'no secret store is loaded here' : 'the component has no auth.secretStore';
    return fail(`${ref} cannot be resolved: ${why}; set the environment variable ${envName} instead`);
  }
  return v;
}

/**
 * The environment variable that stands in for a secret when no secret store is used: the
 * secret's name when the key is the name (or omitted), else `<NAME>_<KEY>` upper-cased with
 * every other character than A-Z, 0-9 and _ turned into _ (redis-secret/password ->
 * REDIS_SECRET_PASSWORD).
 */
export function secretEnvName(name: string, key: string): string {
  return key === name ? name : `${name}_${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** `{uuid}` (a new v4 UUID per occurrence), `{appID}`, `{namespace}` (-> `<namespace>.<appId>`), `{podName}`. */
export function applyTemplates(v: string, ctx: Pick<ResolveContext, 'appId' | 'namespace' | 'podName'>): string {
  if (!v.includes('{')) return v;
  return v
    .replace(/\{uuid\}/g, () => randomUUID())
    .replaceAll('{podName}', () => ctx.podName)
    .replaceAll('{namespace}', () => `${ctx.namespace}.${ctx.appId}`)
    .replaceAll('{appID}', () => ctx.appId);
}
