import { parse } from 'yaml';
import type { RawResource } from '../resources/loader';
import { parseAccessControl, type AccessControlSpec } from './access-control-parser';
import { accessDeniedMessage, evaluateAccess, normalizeOperation, type CallerIdentity } from './evaluate-access';

function spec(yamlSpec: string): AccessControlSpec | undefined {
  const res: RawResource = {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    name: 'appconfig',
    namespace: 'ns1',
    scopes: [],
    spec: parse(yamlSpec),
    raw: {},
    file: 'config.yaml',
  };
  return parseAccessControl([res], 'callee');
}

const ACL = spec(`
accessControl:
  defaultAction: deny
  trustDomain: public
  policies:
  - appId: app1
    defaultAction: allow
    trustDomain: public
    namespace: ns1
    operations:
    - { name: /op1, httpVerb: [POST, GET], action: deny }
    - { name: /op2/*, httpVerb: ["*"], action: deny }
    - { name: /op3/a/*, httpVerb: [PUT], action: deny }
    - { name: /op4/**, httpVerb: [GET], action: deny }
    - { name: /op5/*/x, httpVerb: [GET], action: deny }
    - { name: /img-*.png, httpVerb: [GET], action: deny }
    - { name: Method1, action: deny }
    - { name: /shadow/*, httpVerb: ["*"], action: deny }
    - { name: /shadow/open, httpVerb: ["*"], action: allow }
    - { name: /dup, httpVerb: [GET], action: deny }
    - { name: /dup, httpVerb: [GET], action: allow }
    - { name: /noaction, httpVerb: [GET] }
    - { name: /mixed/*, httpVerb: [DELETE], action: allow }
  - appId: app1
    defaultAction: deny
    trustDomain: public
    namespace: ns2
    operations:
    - { name: /op1, httpVerb: [GET], action: allow }
  - appId: app2
    trustDomain: corp
    namespace: ns1
    operations:
    - { name: /open, httpVerb: [GET], action: allow }
    - { name: /grpc.Svc/Call, action: allow }
  - appId: app3
    defaultAction: ALLOW
    trustDomain: public
    namespace: ns1
`);

const id = (appId: string, namespace = 'ns1', trustDomain = 'public'): CallerIdentity => ({ appId, namespace, trustDomain });
const app1 = id('app1');
const GRPC = undefined;

describe('evaluateAccess (semantics.md §11)', () => {
  it.each<[string, AccessControlSpec | undefined, CallerIdentity | undefined, string, string | undefined, boolean]>([
    // 1. no access control
    ['1: no accessControl -> allow', undefined, undefined, '/anything', 'GET', true],
    ['1: an empty section -> allow', spec('accessControl: {}'), id('x'), '/anything', 'GET', true],
    // 2. the global default
    ['2: omitted default with only a trust domain -> deny', spec('accessControl: { trustDomain: public }'), id('x'), '/op', 'GET', false],
    ['2: omitted default with an explicitly empty policy list -> allow', spec('accessControl: { trustDomain: public, policies: [] }'), id('x'), '/op', 'GET', true],
    ['2: explicit allow', spec('accessControl: { defaultAction: allow }'), id('x'), '/op', 'GET', true],
    // 3. no caller identity
    ['3: no identity -> global deny', ACL, undefined, '/op1', 'GET', false],
    ['3: an empty app id -> global deny', ACL, id(''), '/unlisted', 'GET', false],
    ['3: no identity -> global allow', spec('accessControl: { defaultAction: allow, policies: [{ appId: a, trustDomain: t, namespace: n }] }'), undefined, '/x', 'GET', true],
    // 4. the caller's policy
    ['4: no policy for the app -> global default', ACL, id('app9'), '/unlisted', 'GET', false],
    ['4: no policy for the app in that namespace -> global default', ACL, id('app1', 'ns9'), '/unlisted', 'GET', false],
    ['4: trust domain mismatch -> global default, even for an allowed operation', ACL, id('app2', 'ns1', 'public'), '/open', 'GET', false],
    ['4: trust domain match -> the policy applies', ACL, id('app2', 'ns1', 'corp'), '/open', 'GET', true],
    // 5. the policy default
    ['5: no policy default -> global default stays', ACL, id('app2', 'ns1', 'corp'), '/unlisted', 'GET', false],
    ['5: policy default allow replaces global deny', ACL, app1, '/unlisted', 'GET', true],
    ['5: same app, other namespace, policy default deny', ACL, id('app1', 'ns2'), '/unlisted', 'GET', false],
    ['5: its own operations in the other namespace', ACL, id('app1', 'ns2'), '/op1', 'GET', true],
    // 6. HTTP: the verb, then *, else the default stays
    ['6: listed verb', ACL, app1, '/op1', 'POST', false],
    ['6: verb compared case-insensitively', ACL, app1, '/op1', 'get', false],
    ['6: verb neither listed nor * -> policy default', ACL, app1, '/op1', 'PUT', true],
    ['6: verb * matches any verb', ACL, app1, '/op2/x', 'DELETE', false],
    ['6: an operation without action denies its verbs', ACL, app1, '/noaction', 'GET', false],
    ['6: a verb action may allow under a policy default', ACL, app1, '/mixed/thing', 'DELETE', true],
    // 6. HTTP: `/` prefix, lower-casing, normalisation
    ['6: operation lower-cased for HTTP', ACL, app1, '/OP1', 'GET', false],
    ['6: `/` prefixed', ACL, app1, 'op1', 'GET', false],
    ['6: a policy name written without `/` and in capitals', ACL, app1, '/method1', 'GET', true],
    ['6: duplicate and trailing slashes removed', ACL, app1, '//op1/', 'GET', false],
    ['6: dot segments resolved', ACL, app1, '/public/../op1', 'GET', false],
    // 6. matching rules
    ['6: literal', ACL, app1, '/op1', 'GET', false],
    ['6: a literal matches what is below it (daprd)', ACL, app1, '/op1/sub/path', 'GET', false],
    ['6: * matches one trailing segment', ACL, app1, '/op2/x', 'GET', false],
    ['6: * matches the bare parent', ACL, app1, '/op2', 'GET', false],
    ['6: * does not match two segments', ACL, app1, '/op2/x/y', 'GET', true],
    ['6: literal then *', ACL, app1, '/op3/a/b', 'PUT', false],
    ['6: literal then *, other literal', ACL, app1, '/op3/b/c', 'PUT', true],
    ['6: ** matches all remaining segments', ACL, app1, '/op4/a/b/c', 'GET', false],
    ['6: ** matches the bare parent', ACL, app1, '/op4', 'GET', false],
    ['6: * in the middle never matches (daprd)', ACL, app1, '/op5/y/x', 'GET', true],
    ['6: glob-like segment', ACL, app1, '/img-cat.png', 'GET', false],
    ['6: glob-like segment, no match', ACL, app1, '/img-cat.jpg', 'GET', true],
    ['6: definition order: an earlier wildcard shadows a later literal', ACL, app1, '/shadow/open', 'GET', false],
    ['6: definition order: the first duplicate wins', ACL, app1, '/dup', 'GET', false],
    ['6: no operation matches -> policy default', ACL, app1, '/nothing/here', 'GET', true],
    // 6. gRPC callers: the operation's action
    ['6: gRPC uses the action', ACL, app1, '/op1', GRPC, false],
    ['6: gRPC is case-sensitive', ACL, app1, 'Method1', GRPC, false],
    ['6: gRPC other case -> no match -> policy default', ACL, app1, 'method1', GRPC, true],
    ['6: gRPC operation without action -> deny', ACL, app1, '/noaction', GRPC, false],
    ['6: gRPC full method name', ACL, id('app2', 'ns1', 'corp'), '/grpc.Svc/Call', GRPC, true],
    ['6: gRPC unlisted -> global default', ACL, id('app2', 'ns1', 'corp'), '/grpc.Svc/Other', GRPC, false],
    // 7. allow compared case-insensitively
    ['7: ALLOW is allow', ACL, id('app3'), '/x', 'GET', true],
    ['7: an unknown action is not allow', spec('accessControl: { defaultAction: permit }'), id('x'), '/x', 'GET', false],
  ])('%s', (_what, acl, caller, operation, verb, allowed) => {
    expect(evaluateAccess(acl, caller, operation, verb).allowed).toBe(allowed);
  });

  it('explains the decision', () => {
    expect(evaluateAccess(ACL, id('app9'), '/x', 'GET').reason).toBe('no policy for app "app9" in namespace "ns1": global default action; action "deny"');
    expect(evaluateAccess(ACL, app1, '/OP1', 'post').reason).toBe('HTTP POST /op1 matches operation /op1 for verb POST; action "deny"');
    expect(evaluateAccess(ACL, app1, '/op1', 'PUT').reason).toBe(
      'HTTP PUT /op1 matches operation /op1, which does not list PUT or *: default action of the policy for "app1"; action "allow"',
    );
    expect(evaluateAccess(ACL, app1, 'Method1', undefined).reason).toBe('gRPC /Method1 matches operation /Method1; action "deny"');
  });

  it("builds daprd's denial message", () => {
    expect(accessDeniedMessage(app1, 'op1//x/', 'get')).toBe('access control policy has denied access to appid: app1 operation: /op1/x verb: GET');
    expect(accessDeniedMessage(undefined, '/M', undefined)).toBe('access control policy has denied access to appid:  operation: /M verb: NONE');
  });

  it.each([
    ['', '/'],
    ['/', '/'],
    ['a/b', '/a/b'],
    ['/a//b/', '/a/b'],
    ['/a/./b/../c', '/a/c'],
    ['/../a', '/a'],
    ['/A/B', '/A/B'],
  ])('normalizeOperation(%j) = %j', (input, output) => {
    expect(normalizeOperation(input)).toBe(output);
  });
});
