import { parse } from 'yaml';
import type { RawResource } from '../resources/loader';
import { isResourceError } from '../resources/resource-error';
import { parseAccessControl } from './access-control-parser';

function configuration(yamlSpec: string, opts: { name?: string; file?: string; scopes?: string[] } = {}): RawResource {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    name: opts.name ?? 'appconfig',
    namespace: 'default',
    scopes: opts.scopes ?? [],
    spec: parse(yamlSpec) ?? {},
    raw: {},
    file: opts.file ?? 'config.yaml',
  };
}

const parseOne = (yamlSpec: string) => parseAccessControl([configuration(yamlSpec)], 'app1');

function parseError(yamlSpec: string): string {
  try {
    parseOne(yamlSpec);
  } catch (e) {
    if (isResourceError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a ResourceError');
}

const POLICY = '{ appId: app2, trustDomain: public, namespace: default }';

describe('parseAccessControl', () => {
  describe('step 1: access control is off', () => {
    it.each([
      ['no Configuration', undefined],
      ['no accessControl section', 'tracing: { samplingRate: "1" }'],
      ['an empty section', 'accessControl: {}'],
      ['a null section', 'accessControl:'],
      ['an explicitly empty policy list and nothing else', 'accessControl: { policies: [] }'],
    ])('%s -> undefined', (_what, yamlSpec) => {
      expect(parseAccessControl(yamlSpec === undefined ? [] : [configuration(yamlSpec)], 'app1')).toBeUndefined();
    });
  });

  describe('step 2: the global default action and trust domain', () => {
    it.each<[string, string, string, string]>([
      ['defaultAction as written', 'accessControl: { defaultAction: allow }', 'allow', 'public'],
      ['omitted with policies -> deny', `accessControl: { policies: [${POLICY}] }`, 'deny', 'public'],
      ['omitted with only a trust domain -> deny', 'accessControl: { trustDomain: corp }', 'deny', 'corp'],
      ['omitted with an explicitly empty policy list -> allow', 'accessControl: { trustDomain: corp, policies: [] }', 'allow', 'corp'],
      ['omitted with a null policy list -> deny', 'accessControl: { trustDomain: corp, policies: null }', 'deny', 'corp'],
      ['explicit deny with no policies', 'accessControl: { defaultAction: Deny }', 'Deny', 'public'],
    ])('%s', (_what, yamlSpec, action, trustDomain) => {
      const spec = parseOne(yamlSpec);
      expect(spec?.defaultAction).toBe(action);
      expect(spec?.trustDomain).toBe(trustDomain);
    });
  });

  it('reads policies and operations (field names case-insensitive) and indexes them by app id and namespace', () => {
    const spec = parseOne(`
AccessControl:
  defaultAction: deny
  policies:
  - appid: app2
    DefaultAction: allow
    trustDomain: public
    namespace: default
    operations:
    - { name: /op1, httpVerb: [GET, post], action: deny }
    - { Name: op2, action: allow }
  - { appId: app2, trustDomain: public, namespace: other }
`);
    expect(spec?.policies).toEqual([
      {
        appId: 'app2',
        defaultAction: 'allow',
        trustDomain: 'public',
        namespace: 'default',
        operations: [
          { name: '/op1', httpVerb: ['GET', 'post'], action: 'deny' },
          { name: 'op2', httpVerb: [], action: 'allow' },
        ],
      },
      { appId: 'app2', defaultAction: '', trustDomain: 'public', namespace: 'other', operations: [] },
    ]);
    expect([...(spec?.byCaller.keys() ?? [])]).toEqual(['app2||default', 'app2||other']);
    expect(spec?.byCaller.get('app2||default')?.http.search('/op2')?.action).toBe('allow');
  });

  it('a later policy for the same app and namespace replaces the earlier one', () => {
    const spec = parseOne(`accessControl: { policies: [${POLICY}, { appId: app2, trustDomain: public, namespace: default, defaultAction: allow }] }`);
    expect(spec?.byCaller.get('app2||default')?.policy.defaultAction).toBe('allow');
  });

  it('uses only Configurations that apply to the app', () => {
    const other = configuration('accessControl: { defaultAction: allow }', { name: 'other', scopes: ['app9'] });
    const mine = configuration('accessControl: { defaultAction: deny }', { name: 'mine', scopes: ['app1'] });
    expect(parseAccessControl([other, mine], 'app1')?.resource).toBe('Configuration "mine"');
    expect(parseAccessControl([other], 'app1')).toBeUndefined();
  });

  it('refuses two Configurations that both set access control', () => {
    const a = configuration('accessControl: { defaultAction: allow }', { name: 'a', file: 'a.yaml' });
    const b = configuration('accessControl: { defaultAction: deny }', { name: 'b', file: 'b.yaml' });
    expect(() => parseAccessControl([a, b], 'app1')).toThrow(
      'b.yaml: Configuration "b": spec.accessControl: access control is already set by Configuration "a" in a.yaml; only one Configuration may set it',
    );
  });

  const at = (f: string, problem: string): string => `config.yaml: Configuration "appconfig": ${f}: ${problem}`;

  it.each<[string, string, string]>([
    [
      'a policy without appId',
      'accessControl: { policies: [{ trustDomain: public, namespace: default }] }',
      at('spec.accessControl.policies[0]', 'every policy needs appId, trustDomain and namespace; missing appId'),
    ],
    [
      'a policy without trustDomain',
      `accessControl: { policies: [${POLICY}, { appId: app3, namespace: default }] }`,
      at('spec.accessControl.policies[1]', 'every policy needs appId, trustDomain and namespace; missing trustDomain (app "app3")'),
    ],
    [
      'a policy without namespace',
      'accessControl: { defaultAction: allow, policies: [{ appId: app3, trustDomain: public, namespace: "" }] }',
      at('spec.accessControl.policies[0]', 'every policy needs appId, trustDomain and namespace; missing namespace (app "app3")'),
    ],
    [
      'a policy missing all three',
      'accessControl: { policies: [{ defaultAction: allow }] }',
      at('spec.accessControl.policies[0]', 'every policy needs appId, trustDomain and namespace; missing appId, trustDomain, namespace'),
    ],
    ['a section that is not a mapping', 'accessControl: [a]', at('spec.accessControl', 'expected a mapping, got a list')],
    ['policies that are not a list', 'accessControl: { policies: { appId: a } }', at('spec.accessControl.policies', 'expected a list of policies, got a mapping')],
    [
      'a policy that is not a mapping',
      'accessControl: { policies: [app2] }',
      at('spec.accessControl.policies[0]', 'expected a mapping with appId, trustDomain, namespace and operations, got "app2"'),
    ],
    ['a defaultAction that is not a string', 'accessControl: { defaultAction: true }', at('spec.accessControl.defaultAction', 'expected a string, got true')],
    [
      'operations that are not a list',
      'accessControl: { policies: [{ appId: a, trustDomain: t, namespace: n, operations: /op1 }] }',
      at('spec.accessControl.policies[0].operations', 'expected a list of operations, got "/op1"'),
    ],
    [
      'an operation that is not a mapping',
      'accessControl: { policies: [{ appId: a, trustDomain: t, namespace: n, operations: [/op1] }] }',
      at('spec.accessControl.policies[0].operations[0]', 'expected a mapping with name, httpVerb and action, got "/op1"'),
    ],
    [
      'httpVerb that is not a list of strings',
      'accessControl: { policies: [{ appId: a, trustDomain: t, namespace: n, operations: [{ name: /op1, httpVerb: GET }] }] }',
      at('spec.accessControl.policies[0].operations[0].httpVerb', 'expected a list of HTTP verbs such as [GET, POST] or ["*"], got "GET"'),
    ],
    [
      'an operation name that is not a string',
      'accessControl: { policies: [{ appId: a, trustDomain: t, namespace: n, operations: [{ name: 5 }] }] }',
      at('spec.accessControl.policies[0].operations[0].name', 'expected a string, got 5'),
    ],
  ])('rejects %s', (_what, yamlSpec, message) => {
    expect(parseError(yamlSpec)).toBe(message);
  });
});
