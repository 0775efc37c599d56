import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isResourceError, loadResources } from '@tessera/runtime-core';
import type { RawResource, ResourceError } from '@tessera/runtime-core';
import {
  mergeSubscriptions,
  parseGrpcSubscriptions,
  parseHttpSubscriptions,
  streamingConflict,
  subscriptionsFromResources,
} from './subscriptions';
import type { SubscriptionSpec } from './subscriptions';

describe('parseHttpSubscriptions (GET /dapr/subscribe, spec 3.3)', () => {
  it('reads every field of the item schema', () => {
    const body = JSON.stringify([
      {
        pubsubname: 'ps',
        topic: 'orders',
        routes: { rules: [{ match: 'event.type == "a"', path: '/a' }, { match: 'event.type == "b"', path: '/b' }], default: '/orders' },
        metadata: { rawPayload: 'true', queueName: 'q' },
        deadLetterTopic: 'poison',
        bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 50 },
      },
    ]);
    const { subscriptions, skipped } = parseHttpSubscriptions(body);
    expect(skipped).toEqual([]);
    expect(subscriptions).toEqual([
      {
        pubsubName: 'ps',
        topic: 'orders',
        rules: [
          { match: 'event.type == "a"', path: '/a' },
          { match: 'event.type == "b"', path: '/b' },
        ],
        defaultPath: '/orders',
        metadata: { rawPayload: 'true', queueName: 'q' },
        deadLetterTopic: 'poison',
        bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 50 },
        source: 'programmatic',
      },
    ]);
  });
  it('v1 style: route is the default path', () => {
    const [s] = parseHttpSubscriptions('[{"pubsubname":"ps","topic":"t","route":"/t"}]').subscriptions;
    expect(s).toEqual({ pubsubName: 'ps', topic: 't', rules: [], defaultPath: '/t', metadata: {}, source: 'programmatic' });
  });
  it('routes.default takes precedence over route', () => {
    expect(parseHttpSubscriptions('[{"pubsubname":"ps","topic":"t","route":"/r","routes":{"default":"/d"}}]').subscriptions[0]?.defaultPath).toBe('/d');
  });
  it('rules without default keep no default (unmatched events are dropped)', () => {
    const [s] = parseHttpSubscriptions('[{"pubsubname":"ps","topic":"t","routes":{"rules":[{"match":"event.type == \\"x\\"","path":"/x"}]}}]').subscriptions;
    expect(s?.defaultPath).toBeUndefined();
    expect(s?.rules).toHaveLength(1);
  });
  it('bulkSubscribe zeros take the defaults 100 / 1000', () => {
    const [s] = parseHttpSubscriptions('[{"pubsubname":"ps","topic":"t","route":"/t","bulkSubscribe":{"enabled":true}}]').subscriptions;
    expect(s?.bulkSubscribe).toEqual({ enabled: true, maxMessagesCount: 100, maxAwaitDurationMs: 1000 });
  });
  it('stringifies scalar metadata values', () => {
    expect(parseHttpSubscriptions('[{"pubsubname":"ps","topic":"t","route":"/t","metadata":{"n":5,"b":true,"x":null}}]').subscriptions[0]?.metadata).toEqual({ n: '5', b: 'true' });
  });
  it.each([
    ['{"topic":"t","route":"/t"}', 'pubsubname is missing'],
    ['{"pubsubname":"","topic":"t","route":"/t"}', 'pubsubname is missing'],
    ['{"pubsubname":"ps","route":"/t"}', 'topic is missing'],
    ['{"pubsubname":"ps","topic":5,"route":"/t"}', 'topic must be a string'],
    ['{"pubsubname":"ps","topic":"t"}', 'no route'],
    ['{"pubsubname":"ps","topic":"t","routes":{}}', 'no route'],
    ['{"pubsubname":"ps","topic":"t","routes":{"rules":[]}}', 'no route'],
    ['{"PubSubName":"ps","Topic":"t","Route":"/t"}', 'pubsubname is missing'],
    ['{"pubsubname":"ps","topic":"t","routes":"x"}', 'routes must be an object'],
    ['{"pubsubname":"ps","topic":"t","routes":{"rules":{}}}', 'routes.rules must be an array'],
    ['{"pubsubname":"ps","topic":"t","routes":{"rules":[{"match":1,"path":"/x"}]}}', 'routes.rules[0].match must be a string'],
    ['{"pubsubname":"ps","topic":"t","route":"/t","metadata":{"a":{"b":1}}}', 'metadata.a must be a string'],
    ['{"pubsubname":"ps","topic":"t","route":"/t","bulkSubscribe":{"enabled":"yes"}}', 'bulkSubscribe.enabled must be a boolean'],
    ['{"pubsubname":"ps","topic":"t","route":"/t","bulkSubscribe":{"maxMessagesCount":1.5}}', 'bulkSubscribe.maxMessagesCount must be an integer'],
    ['{"pubsubname":"ps","topic":"t","route":"/t","deadLetterTopic":1}', 'deadLetterTopic must be a string'],
    ['"str"', 'not a JSON object'],
  ])('skips %s with a reason (%s) and keeps the others', (item, why) => {
    const { subscriptions, skipped } = parseHttpSubscriptions(`[{"pubsubname":"ok","topic":"ok","route":"/ok"},${item}]`);
    expect(subscriptions.map((s) => s.topic)).toEqual(['ok']);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toContain('subscription 1');
    expect(skipped[0]).toContain(why);
  });
  it.each([
    ['not json', 'not JSON'],
    ['{"pubsubname":"ps"}', 'not a JSON array'],
  ])('a body that is not an array (%s) gives nothing and says why', (body, why) => {
    const r = parseHttpSubscriptions(body);
    expect(r.subscriptions).toEqual([]);
    expect(r.skipped[0]).toContain(why);
  });
  it('null and [] give nothing silently', () => {
    expect(parseHttpSubscriptions('null')).toEqual({ subscriptions: [], skipped: [] });
    expect(parseHttpSubscriptions(Buffer.from('[]'))).toEqual({ subscriptions: [], skipped: [] });
  });
});

describe('parseGrpcSubscriptions (ListTopicSubscriptions)', () => {
  it('routes absent -> the single default route ""', () => {
    const { subscriptions } = parseGrpcSubscriptions({
      subscriptions: [{ pubsubName: 'ps', topic: 't', metadata: {}, routes: undefined, deadLetterTopic: '', bulkSubscribe: undefined }],
    });
    expect(subscriptions).toEqual([{ pubsubName: 'ps', topic: 't', rules: [], defaultPath: '', metadata: {}, source: 'programmatic' }]);
  });
  it('rules then routes.default; dead letter, metadata and bulk kept', () => {
    const { subscriptions } = parseGrpcSubscriptions({
      subscriptions: [
        {
          pubsubName: 'ps',
          topic: 't',
          metadata: { rawPayload: 'true' },
          routes: { rules: [{ match: 'event.type == "a"', path: 'a' }], default: 'fallback' },
          deadLetterTopic: 'dlq',
          bulkSubscribe: { enabled: true, maxMessagesCount: 0, maxAwaitDurationMs: 20 },
        },
      ],
    });
    expect(subscriptions[0]).toEqual({
      pubsubName: 'ps',
      topic: 't',
      rules: [{ match: 'event.type == "a"', path: 'a' }],
      defaultPath: 'fallback',
      metadata: { rawPayload: 'true' },
      deadLetterTopic: 'dlq',
      bulkSubscribe: { enabled: true, maxMessagesCount: 100, maxAwaitDurationMs: 20 },
      source: 'programmatic',
    });
  });
  it('skips entries without pubsub or topic', () => {
    const r = parseGrpcSubscriptions({
      subscriptions: [
        { pubsubName: '', topic: 't', metadata: {}, routes: undefined, deadLetterTopic: '', bulkSubscribe: undefined },
        { pubsubName: 'ps', topic: '', metadata: {}, routes: undefined, deadLetterTopic: '', bulkSubscribe: undefined },
      ],
    });
    expect(r.subscriptions).toEqual([]);
    expect(r.skipped).toEqual(['subscription 0 skipped: pubsub_name is empty', 'subscription 1 skipped: topic is empty']);
  });
  it('no response -> nothing', () => {
    expect(parseGrpcSubscriptions(undefined)).toEqual({ subscriptions: [], skipped: [] });
  });
});

function raw(spec: unknown, over: Partial<RawResource> = {}): RawResource {
  return { apiVersion: 'dapr.io/v2alpha1', kind: 'Subscription', name: 's1', namespace: 'default', scopes: [], spec, raw: {}, file: 'res/sub.yaml', ...over };
}

function resourceError(fn: () => unknown): ResourceError {
  try {
    fn();
  } catch (e) {
    if (isResourceError(e)) return e;
    throw e;
  }
  throw new Error('expected a ResourceError');
}

describe('subscriptionsFromResources (components.md 2)', () => {
  const v2 = {
    pubsubname: 'pubsub',
    topic: 'orders',
    routes: { rules: [{ match: 'event.type == "x"', path: '/x' }], default: '/orders' },
    metadata: { rawPayload: 'true', n: 3 },
    deadLetterTopic: 'poison',
    bulkSubscribe: { enabled: true, maxMessagesCount: 100, maxAwaitDurationMs: 1000 },
  };
  it('reads a v2alpha1 Subscription', () => {
    expect(subscriptionsFromResources([raw(v2)], 'app1')).toEqual([
      {
        pubsubName: 'pubsub',
        topic: 'orders',
        rules: [{ match: 'event.type == "x"', path: '/x' }],
        defaultPath: '/orders',
        metadata: { rawPayload: 'true', n: '3' },
        deadLetterTopic: 'poison',
        bulkSubscribe: { enabled: true, maxMessagesCount: 100, maxAwaitDurationMs: 1000 },
        source: 'declarative',
        name: 's1',
        file: 'res/sub.yaml',
      },
    ]);
  });
  it('reads a v1alpha1 Subscription: route becomes the default', () => {
    const [s] = subscriptionsFromResources([raw({ pubsubname: 'p', topic: 't', route: '/t', deadLetterTopic: 'd' }, { apiVersion: 'dapr.io/v1alpha1' })], 'app1');
    expect(s).toMatchObject({ pubsubName: 'p', topic: 't', rules: [], defaultPath: '/t', deadLetterTopic: 'd', source: 'declarative' });
  });
  it('matches field names case-insensitively, as daprd decodes YAML', () => {
    const [s] = subscriptionsFromResources([raw({ PubsubName: 'p', Topic: 't', Routes: { Default: '/d' }, deadlettertopic: 'x' })], 'app1');
    expect(s).toMatchObject({ pubsubName: 'p', topic: 't', defaultPath: '/d', deadLetterTopic: 'x' });
  });
  it('applies scopes: listed apps only, empty = all, appId "" keeps all', () => {
    const scoped = raw(v2, { scopes: ['app2'] });
    expect(subscriptionsFromResources([scoped], 'app1')).toEqual([]);
    expect(subscriptionsFromResources([scoped], 'app2')).toHaveLength(1);
    expect(subscriptionsFromResources([scoped], '')).toHaveLength(1);
    expect(subscriptionsFromResources([raw(v2)], 'anyone')).toHaveLength(1);
  });
  it('ignores other kinds', () => {
    expect(subscriptionsFromResources([raw(v2, { kind: 'Resiliency' })], 'app1')).toEqual([]);
  });
  it('keeps the first resource for a pubsub+topic and warns about the second', () => {
    const warnings: string[] = [];
    const out = subscriptionsFromResources([raw(v2, { name: 'a' }), raw({ ...v2, routes: { default: '/other' } }, { name: 'b', file: 'res/b.yaml' })], 'app1', {
      warn: (m) => warnings.push(m),
    });
    expect(out.map((s) => s.name)).toEqual(['a']);
    expect(warnings).toEqual(['res/b.yaml: Subscription "b" ignored: Subscription "a" (res/sub.yaml) already subscribes to pubsub/orders']);
  });
  it.each([
    [{ topic: 't', routes: { default: '/d' } }, 'spec.pubsubname', 'expected a non-empty string, got nothing'],
    [{ pubsubname: '', topic: 't', routes: { default: '/d' } }, 'spec.pubsubname', 'got ""'],
    [{ pubsubname: 'p', topic: 5, routes: { default: '/d' } }, 'spec.topic', 'expected a string, got 5'],
    [{ pubsubname: 'p', topic: 't' }, 'spec.routes', 'expected rules and/or default'],
    [{ pubsubname: 'p', topic: 't', routes: {} }, 'spec.routes', 'expected rules and/or default'],
    [{ pubsubname: 'p', topic: 't', routes: 'x' }, 'spec.routes', 'expected a mapping'],
    [{ pubsubname: 'p', topic: 't', routes: { rules: 'x' } }, 'spec.routes.rules', 'expected a list'],
    [{ pubsubname: 'p', topic: 't', routes: { rules: ['x'] } }, 'spec.routes.rules[0]', 'expected a mapping'],
    [{ pubsubname: 'p', topic: 't', routes: { rules: [{ match: 'true' }] } }, 'spec.routes.rules[0].path', 'expected a non-empty string'],
    [{ pubsubname: 'p', topic: 't', routes: { rules: [{ match: 'true', path: '/a' }, { match: 'event.type ==', path: '/b' }] } }, 'spec.routes.rules[1].match', 'invalid CEL'],
    [{ pubsubname: 'p', topic: 't', routes: { rules: [{ match: 'event.type + "x"', path: '/b' }] } }, 'spec.routes.rules[0].match', 'expected bool'],
    [{ pubsubname: 'p', topic: 't', route: '/t' }, 'spec.route', 'v2alpha1 has no spec.route'],
    [{ pubsubname: 'p', topic: 't', routes: { default: '/d' }, metadata: ['a'] }, 'spec.metadata', 'expected a mapping'],
    [{ pubsubname: 'p', topic: 't', routes: { default: '/d' }, metadata: { k: { x: 1 } } }, 'spec.metadata.k', 'expected a string'],
    [{ pubsubname: 'p', topic: 't', routes: { default: '/d' }, deadLetterTopic: ['x'] }, 'spec.deadLetterTopic', 'expected a string'],
    [{ pubsubname: 'p', topic: 't', routes: { default: '/d' }, bulkSubscribe: true }, 'spec.bulkSubscribe', 'expected a mapping'],
    [{ pubsubname: 'p', topic: 't', routes: { default: '/d' }, bulkSubscribe: { enabled: 'yes' } }, 'spec.bulkSubscribe.enabled', 'expected true or false'],
    [{ pubsubname: 'p', topic: 't', routes: { default: '/d' }, bulkSubscribe: { maxMessagesCount: -1 } }, 'spec.bulkSubscribe.maxMessagesCount', 'non-negative integer'],
    [{ pubsubname: 'p', topic: 't', routes: { default: '/d' }, bulkSubscribe: { maxAwaitDurationMs: 'soon' } }, 'spec.bulkSubscribe.maxAwaitDurationMs', 'non-negative integer'],
  ])('refuses %j naming the field %s', (spec, field, problem) => {
    const e = resourceError(() => subscriptionsFromResources([raw(spec)], 'app1'));
    expect(e.file).toBe('res/sub.yaml');
    expect(e.resource).toBe('Subscription "s1"');
    expect(e.field).toBe(field);
    expect(e.problem).toContain(problem);
  });
  it('a v1alpha1 Subscription without route names spec.route', () => {
    const e = resourceError(() => subscriptionsFromResources([raw({ pubsubname: 'p', topic: 't' }, { apiVersion: 'dapr.io/v1alpha1' })], 'app1'));
    expect(e.field).toBe('spec.route');
  });
  it('accepts string forms for bulkSubscribe values', () => {
    const [s] = subscriptionsFromResources([raw({ pubsubname: 'p', topic: 't', routes: { default: '/d' }, bulkSubscribe: { enabled: 'true', maxMessagesCount: '5' } })], 'a');
    expect(s?.bulkSubscribe).toEqual({ enabled: true, maxMessagesCount: 5, maxAwaitDurationMs: 1000 });
  });

  describe('through the resource loader (real YAML files)', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tessera-subs-'));
      await writeFile(
        join(dir, 'subs.yaml'),
        [
          'apiVersion: dapr.io/v2alpha1',
          'kind: Subscription',
          'metadata: {name: orders-sub}',
          'spec:',
          '  pubsubname: pubsub',
          '  topic: orders',
          '  routes:',
          '    rules:',
          '      - match: event.type == "big"',
          '        path: /big',
          '    default: /orders',
          '  metadata: {rawPayload: "true"}',
          'scopes: [app1]',
          '---',
          'apiVersion: dapr.io/v1alpha1',
          'kind: Subscription',
          'metadata: {name: legacy}',
          'spec: {pubsubname: pubsub, topic: legacy, route: /legacy}',
          '',
        ].join('\n'),
      );
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    it('loads both versions for the scoped app', async () => {
      const loaded = await loadResources([dir], { appId: 'app1', namespace: 'default', env: {} });
      const subs = subscriptionsFromResources(loaded.subscriptions, 'app1');
      expect(subs.map((s) => [s.name, s.topic, s.defaultPath, s.rules.length])).toEqual([
        ['orders-sub', 'orders', '/orders', 1],
        ['legacy', 'legacy', '/legacy', 0],
      ]);
      expect(subs[0]?.metadata).toEqual({ rawPayload: 'true' });
      expect(subs[0]?.file).toContain('subs.yaml');
    });
    it('another app only gets the unscoped one', async () => {
      const loaded = await loadResources([dir], { appId: 'app2', namespace: 'default', env: {} });
      expect(subscriptionsFromResources(loaded.subscriptions, 'app2').map((s) => s.name)).toEqual(['legacy']);
    });
  });
});

describe('mergeSubscriptions', () => {
  const spec = (source: SubscriptionSpec['source'], topic: string, path: string, name?: string): SubscriptionSpec => ({
    pubsubName: 'ps',
    topic,
    rules: [],
    defaultPath: path,
    metadata: {},
    source,
    ...(name !== undefined ? { name } : {}),
  });
  it('declarative wins over programmatic, which wins over streaming; distinct topics all kept', () => {
    const r = mergeSubscriptions(
      [spec('declarative', 'a', '/decl', 'sub-a')],
      [spec('programmatic', 'a', '/prog'), spec('programmatic', 'b', '/b')],
      [spec('streaming', 'b', ''), spec('streaming', 'c', '')],
    );
    expect(r.subscriptions.map((s) => [s.topic, s.source, s.defaultPath])).toEqual([
      ['a', 'declarative', '/decl'],
      ['b', 'programmatic', '/b'],
      ['c', 'streaming', ''],
    ]);
    expect(r.skipped).toEqual([
      'programmatic subscription to ps/a ignored: a declarative subscription "sub-a" to the same topic already exists',
      'streaming subscription to ps/b ignored: a programmatic subscription to the same topic already exists',
    ]);
  });
  it('a duplicate within one source keeps the first', () => {
    const r = mergeSubscriptions([], [spec('programmatic', 'a', '/1'), spec('programmatic', 'a', '/2')]);
    expect(r.subscriptions.map((s) => s.defaultPath)).toEqual(['/1']);
    expect(r.skipped).toHaveLength(1);
  });
  it('the same topic on another pubsub is another subscription', () => {
    const other = { ...spec('programmatic', 'a', '/x'), pubsubName: 'other' };
    expect(mergeSubscriptions([spec('declarative', 'a', '/d')], [other]).subscriptions).toHaveLength(2);
  });
  it('streamingConflict names the existing subscription', () => {
    const existing = [spec('declarative', 'a', '/d', 'sub-a')];
    expect(streamingConflict(existing, 'ps', 'a')).toBe('a declarative subscription "sub-a" to ps/a already exists');
    expect(streamingConflict(existing, 'ps', 'b')).toBeUndefined();
  });
});
