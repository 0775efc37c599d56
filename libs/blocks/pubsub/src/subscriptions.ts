// What an app subscribes to, from every source, as one normalised SubscriptionSpec
// (spec/http-api.md 3.3, grpc-api.md ListTopicSubscriptions, components.md 2). Pure functions.
//
//   parseHttpSubscriptions(body): { subscriptions, skipped }
//     The app's `GET /dapr/subscribe` JSON array (keys case-sensitive). An item that is not
//     usable (no pubsubname/topic, wrong types, no resulting route) is skipped with a reason for
//     the caller to log; a body that is not a JSON array gives no subscriptions and one reason.
//   parseGrpcSubscriptions(response): { subscriptions, skipped }
//     ListTopicSubscriptionsResponse: `routes` absent -> the single default route ''; otherwise
//     the rules then `routes.default` (kept even when '': gRPC apps get every event).
//   subscriptionsFromResources(resources, appId, logger?): SubscriptionSpec[]
//     Subscription resources (dapr.io/v2alpha1, deprecated dapr.io/v1alpha1 whose `route` becomes
//     the default) as runtime-core's loader keeps them, for this app (`scopes` empty = every app;
//     appId '' keeps all). Throws a ResourceError naming the file, the resource and the field
//     for an invalid one, CEL `match` expressions included (start-up stops). A second resource
//     for a pubsub+topic already declared is ignored with a warning.
//   mergeSubscriptions(declarative, programmatic, streaming = []): { subscriptions, skipped }
//     One subscription per pubsub+topic. Precedence as in daprd: declarative first, then
//     programmatic, then streaming; on a duplicate the one already there wins and the later is
//     skipped with a reason (a streaming subscription is refused when any other exists).
//
// bulkSubscribe: a zero or missing maxMessagesCount / maxAwaitDurationMs takes the defaults
// 100 / 1000 (spec 3.5).
import { ResourceError, getField, isYamlMap } from '@tessera/runtime-core';
import type { RawResource } from '@tessera/runtime-core';
import type { ListTopicSubscriptionsResponse } from '@tessera/contracts';
import { compileRoutes, isRouteCompileError } from './routing';

export type SubscriptionSource = 'programmatic' | 'declarative' | 'streaming';

export interface SubscriptionRule {
  /** CEL over `event`; '' matches every event. */
  readonly match: string;
  readonly path: string;
}

export interface BulkSubscribeSpec {
  readonly enabled: boolean;
  readonly maxMessagesCount: number;
  readonly maxAwaitDurationMs: number;
}

export interface SubscriptionSpec {
  readonly pubsubName: string;
  readonly topic: string;
  /** Evaluated in order; the first match wins. */
  readonly rules: readonly SubscriptionRule[];
  /** Used when no rule matches (`routes.default`, else the v1 `route`); absent = drop. */
  readonly defaultPath?: string;
  /** Subscribe metadata handed to the component (e.g. rawPayload, queueName). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly deadLetterTopic?: string;
  readonly bulkSubscribe?: BulkSubscribeSpec;
  readonly source: SubscriptionSource;
  /** Declarative only: the resource's name and file, for messages. */
  readonly name?: string;
  readonly file?: string;
}

export interface ParsedSubscriptions {
  readonly subscriptions: SubscriptionSpec[];
  /** One line per item that was not used, for the caller to log. */
  readonly skipped: string[];
}

export const DEFAULT_BULK_MAX_MESSAGES = 100;
export const DEFAULT_BULK_MAX_AWAIT_MS = 1000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bulkDefaults(enabled: boolean, count: number, awaitMs: number): BulkSubscribeSpec {
  return {
    enabled,
    maxMessagesCount: count > 0 ? count : DEFAULT_BULK_MAX_MESSAGES,
    maxAwaitDurationMs: awaitMs > 0 ? awaitMs : DEFAULT_BULK_MAX_AWAIT_MS,
  };
}

// ------------------------------------------------------------------ GET /dapr/subscribe

class Skip extends Error {}

function optString(item: Record<string, unknown>, key: string, label = key): string {
  const v = item[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Skip(`${label} must be a string`);
  return v;
}

function optInt(obj: Record<string, unknown>, key: string, label: string): number {
  const v = obj[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Skip(`${label} must be an integer`);
  return v;
}

function httpItem(item: unknown): SubscriptionSpec {
  if (!isObject(item)) throw new Skip('not a JSON object');
  const pubsubName = optString(item, 'pubsubname');
  const topic = optString(item, 'topic');
  if (pubsubName === '') throw new Skip('pubsubname is missing');
  if (topic === '') throw new Skip('topic is missing');
  const rules: SubscriptionRule[] = [];
  let defaultPath = '';
  const routes = item['routes'];
  if (routes !== undefined && routes !== null) {
    if (!isObject(routes)) throw new Skip('routes must be an object');
    const list = routes['rules'];
    if (list !== undefined && list !== null) {
      if (!Array.isArray(list)) throw new Skip('routes.rules must be an array');
      list.forEach((r, i) => {
        if (!isObject(r)) throw new Skip(`routes.rules[${i}] must be an object`);
        rules.push({ match: optString(r, 'match', `routes.rules[${i}].match`), path: optString(r, 'path', `routes.rules[${i}].path`) });
      });
    }
    defaultPath = optString(routes, 'default', 'routes.default');
  }
  if (defaultPath === '') defaultPath = optString(item, 'route');
  if (rules.length === 0 && defaultPath === '') throw new Skip('it has no route (route, routes.rules or routes.default)');
  const metadata: Record<string, string> = {};
  const md = item['metadata'];
  if (md !== undefined && md !== null) {
    if (!isObject(md)) throw new Skip('metadata must be an object of strings');
    for (const [k, v] of Object.entries(md)) {
      if (v === null || v === undefined) continue;
      if (typeof v === 'string') metadata[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') metadata[k] = String(v);
      else throw new Skip(`metadata.${k} must be a string`);
    }
  }
  const deadLetterTopic = optString(item, 'deadLetterTopic');
  let bulkSubscribe: BulkSubscribeSpec | undefined;
  const bulk = item['bulkSubscribe'];
  if (bulk !== undefined && bulk !== null) {
    if (!isObject(bulk)) throw new Skip('bulkSubscribe must be an object');
    const enabled = bulk['enabled'];
    if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') throw new Skip('bulkSubscribe.enabled must be a boolean');
    bulkSubscribe = bulkDefaults(enabled === true, optInt(bulk, 'maxMessagesCount', 'bulkSubscribe.maxMessagesCount'), optInt(bulk, 'maxAwaitDurationMs', 'bulkSubscribe.maxAwaitDurationMs'));
  }
  return {
    pubsubName,
    topic,
    rules,
    ...(defaultPath !== '' ? { defaultPath } : {}),
    metadata,
    ...(deadLetterTopic !== '' ? { deadLetterTopic } : {}),
    ...(bulkSubscribe !== undefined ? { bulkSubscribe } : {}),
    source: 'programmatic',
  };
}

function describeItem(item: unknown, index: number): string {
  if (isObject(item) && typeof item['pubsubname'] === 'string' && typeof item['topic'] === 'string') {
    return `subscription ${index} (${item['pubsubname']}/${item['topic']})`;
  }
  return `subscription ${index}`;
}

/** The app's `GET /dapr/subscribe` answer. */
export function parseHttpSubscriptions(body: string | Uint8Array): ParsedSubscriptions {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { subscriptions: [], skipped: [`the answer to GET /dapr/subscribe is not JSON: ${(e as Error).message}`] };
  }
  if (parsed === null) return { subscriptions: [], skipped: [] };
  if (!Array.isArray(parsed)) return { subscriptions: [], skipped: ['the answer to GET /dapr/subscribe is not a JSON array'] };
  const subscriptions: SubscriptionSpec[] = [];
  const skipped: string[] = [];
  parsed.forEach((item, i) => {
    try {
      subscriptions.push(httpItem(item));
    } catch (e) {
      if (!(e instanceof Skip)) throw e;
      skipped.push(`${describeItem(item, i)} skipped: ${e.message}`);
    }
  });
  return { subscriptions, skipped };
}

// ------------------------------------------------------------------ ListTopicSubscriptions

/** A gRPC app's ListTopicSubscriptions answer. */
export function parseGrpcSubscriptions(res: ListTopicSubscriptionsResponse | undefined): ParsedSubscriptions {
  const subscriptions: SubscriptionSpec[] = [];
  const skipped: string[] = [];
  (res?.subscriptions ?? []).forEach((s, i) => {
    if (s.pubsubName === '' || s.topic === '') {
      skipped.push(`subscription ${i} skipped: ${s.pubsubName === '' ? 'pubsub_name' : 'topic'} is empty`);
      return;
    }
    const rules = (s.routes?.rules ?? []).map((r) => ({ match: r.match, path: r.path }));
    const bulk = s.bulkSubscribe;
    subscriptions.push({
      pubsubName: s.pubsubName,
      topic: s.topic,
      rules,
      defaultPath: s.routes?.default ?? '',
      metadata: { ...(s.metadata ?? {}) },
      ...(s.deadLetterTopic !== '' ? { deadLetterTopic: s.deadLetterTopic } : {}),
      ...(bulk !== undefined ? { bulkSubscribe: bulkDefaults(bulk.enabled, bulk.maxMessagesCount, bulk.maxAwaitDurationMs) } : {}),
      source: 'programmatic',
    });
  });
  return { subscriptions, skipped };
}

// ------------------------------------------------------------------ Subscription resources

export interface SubscriptionsLogger {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

type Fail = (field: string, problem: string) => never;

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (isYamlMap(v)) return 'a mapping';
  return String(v);
}

function resString(obj: Record<string, unknown>, key: string, path: string, fail: Fail, required: boolean): string {
  const v = getField(obj, key);
  if (v === undefined || v === null) {
    if (required) fail(path, 'expected a non-empty string, got nothing');
    return '';
  }
  if (typeof v !== 'string') fail(path, `expected a string, got ${describe(v)}`);
  if (required && v === '') fail(path, 'expected a non-empty string, got ""');
  return v as string;
}

function resInt(obj: Record<string, unknown>, key: string, path: string, fail: Fail): number {
  const v = getField(obj, key);
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(path, `expected a non-negative integer, got ${describe(v)}`);
  return n as number;
}

function resBool(obj: Record<string, unknown>, key: string, path: string, fail: Fail): boolean {
  const v = getField(obj, key);
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false'].includes(v.toLowerCase())) return v.toLowerCase() === 'true';
  return fail(path, `expected true or false, got ${describe(v)}`);
}

function resourceSpec(res: RawResource): SubscriptionSpec {
  const fail: Fail = (field, problem) => {
    throw new ResourceError({ file: res.file, resource: `Subscription "${res.name}"`, field, problem });
  };
  const spec = res.spec ?? {};
  if (!isYamlMap(spec)) return fail('spec', `expected a mapping, got ${describe(spec)}`);
  const v1 = res.apiVersion === 'dapr.io/v1alpha1';
  const pubsubName = resString(spec, 'pubsubname', 'spec.pubsubname', fail, true);
  const topic = resString(spec, 'topic', 'spec.topic', fail, true);

  const rules: SubscriptionRule[] = [];
  let defaultPath = '';
  const routes = getField(spec, 'routes');
  if (routes !== undefined && routes !== null) {
    if (!isYamlMap(routes)) fail('spec.routes', `expected a mapping with rules and/or default, got ${describe(routes)}`);
    const r = routes as Record<string, unknown>;
    const list = getField(r, 'rules');
    if (list !== undefined && list !== null) {
      if (!Array.isArray(list)) fail('spec.routes.rules', `expected a list of {match, path}, got ${describe(list)}`);
      (list as unknown[]).forEach((item, i) => {
        const at = `spec.routes.rules[${i}]`;
        if (!isYamlMap(item)) fail(at, `expected a mapping {match, path}, got ${describe(item)}`);
        const m = item as Record<string, unknown>;
        rules.push({ match: resString(m, 'match', `${at}.match`, fail, false), path: resString(m, 'path', `${at}.path`, fail, true) });
      });
    }
    defaultPath = resString(r, 'default', 'spec.routes.default', fail, false);
  }
  const route = getField(spec, 'route');
  if (route !== undefined && route !== null) {
    if (!v1) fail('spec.route', 'dapr.io/v2alpha1 has no spec.route; use spec.routes.default');
    const single = resString(spec, 'route', 'spec.route', fail, false);
    if (defaultPath === '') defaultPath = single;
  }
  if (rules.length === 0 && defaultPath === '') {
    if (v1) fail('spec.route', 'expected the path events are delivered to, got nothing');
    fail('spec.routes', 'expected rules and/or default, got nothing');
  }
  try {
    compileRoutes({ rules, default: defaultPath });
  } catch (e) {
    if (isRouteCompileError(e)) fail(`spec.routes.rules[${e.index}].match`, e.problem);
    throw e;
  }

  const metadata: Record<string, string> = {};
  const md = getField(spec, 'metadata');
  if (md !== undefined && md !== null) {
    if (!isYamlMap(md)) fail('spec.metadata', `expected a mapping of strings, got ${describe(md)}`);
    for (const [k, v] of Object.entries(md as Record<string, unknown>)) {
      if (v === null || v === undefined) metadata[k] = '';
      else if (typeof v === 'string') metadata[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') metadata[k] = String(v);
      else fail(`spec.metadata.${k}`, `expected a string, got ${describe(v)}`);
    }
  }
  const deadLetterTopic = resString(spec, 'deadLetterTopic', 'spec.deadLetterTopic', fail, false);
  let bulkSubscribe: BulkSubscribeSpec | undefined;
  const bulk = getField(spec, 'bulkSubscribe');
  if (bulk !== undefined && bulk !== null) {
    if (!isYamlMap(bulk)) fail('spec.bulkSubscribe', `expected a mapping {enabled, maxMessagesCount, maxAwaitDurationMs}, got ${describe(bulk)}`);
    const b = bulk as Record<string, unknown>;
    bulkSubscribe = bulkDefaults(
      resBool(b, 'enabled', 'spec.bulkSubscribe.enabled', fail),
      resInt(b, 'maxMessagesCount', 'spec.bulkSubscribe.maxMessagesCount', fail),
      resInt(b, 'maxAwaitDurationMs', 'spec.bulkSubscribe.maxAwaitDurationMs', fail),
    );
  }
  return {
    pubsubName,
    topic,
    rules,
    ...(defaultPath !== '' ? { defaultPath } : {}),
    metadata,
    ...(deadLetterTopic !== '' ? { deadLetterTopic } : {}),
    ...(bulkSubscribe !== undefined ? { bulkSubscribe } : {}),
    source: 'declarative',
    name: res.name,
    file: res.file,
  };
}

/** The Subscription resources that apply to `appId`, validated. */
export function subscriptionsFromResources(resources: readonly RawResource[], appId: string, logger?: SubscriptionsLogger): SubscriptionSpec[] {
  const out: SubscriptionSpec[] = [];
  const seen = new Map<string, SubscriptionSpec>();
  for (const res of resources) {
    if (res.kind !== 'Subscription') continue;
    if (appId !== '' && res.scopes.length > 0 && !res.scopes.includes(appId)) continue;
    const s = resourceSpec(res);
    const key = keyOf(s);
    const first = seen.get(key);
    if (first !== undefined) {
      logger?.warn(
        `${res.file}: Subscription "${res.name}" ignored: Subscription "${first.name ?? ''}" (${first.file ?? ''}) already subscribes to ${s.pubsubName}/${s.topic}`,
      );
      continue;
    }
    seen.set(key, s);
    out.push(s);
  }
  return out;
}

// ------------------------------------------------------------------ merge

function keyOf(s: Pick<SubscriptionSpec, 'pubsubName' | 'topic'>): string {
  return `${s.pubsubName}\u0000${s.topic}`;
}

function label(s: SubscriptionSpec): string {
  return s.name !== undefined ? `${s.source} subscription "${s.name}"` : `${s.source} subscription`;
}

/** One subscription per pubsub+topic: declarative, then programmatic, then streaming; first wins. */
export function mergeSubscriptions(
  declarative: readonly SubscriptionSpec[],
  programmatic: readonly SubscriptionSpec[],
  streaming: readonly SubscriptionSpec[] = [],
): ParsedSubscriptions {
  const subscriptions: SubscriptionSpec[] = [];
  const skipped: string[] = [];
  const byKey = new Map<string, SubscriptionSpec>();
  for (const s of [...declarative, ...programmatic, ...streaming]) {
    const existing = byKey.get(keyOf(s));
    if (existing !== undefined) {
      skipped.push(`${label(s)} to ${s.pubsubName}/${s.topic} ignored: a ${label(existing)} to the same topic already exists`);
      continue;
    }
    byKey.set(keyOf(s), s);
    subscriptions.push(s);
  }
  return { subscriptions, skipped };
}

/** Why a streaming subscription to pubsub/topic cannot be opened next to `existing`, or undefined. */
export function streamingConflict(existing: readonly SubscriptionSpec[], pubsubName: string, topic: string): string | undefined {
  const k = keyOf({ pubsubName, topic });
  const s = existing.find((e) => keyOf(e) === k);
  return s === undefined ? undefined : `a ${label(s)} to ${pubsubName}/${topic} already exists`;
}
