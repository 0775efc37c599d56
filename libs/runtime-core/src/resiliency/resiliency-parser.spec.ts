import { parse } from 'yaml';
import type { RawResource } from '../resources/loader';
import { isResourceError } from '../resources/resource-error';
import { parseResiliency } from './resiliency-parser';
import { BUILT_IN_RETRIES } from './resiliency-spec';

const FILE = 'resources/resiliency.yaml';

function resiliency(yamlSpec: string, opts: { name?: string; scopes?: string[]; file?: string } = {}): RawResource {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Resiliency',
    name: opts.name ?? 'myresiliency',
    namespace: 'default',
    scopes: opts.scopes ?? [],
    spec: parse(yamlSpec) ?? {},
    raw: {},
    file: opts.file ?? FILE,
  };
}

function parseError(yamlSpec: string): string {
  try {
    parseResiliency([resiliency(yamlSpec)], 'app1');
  } catch (e) {
    if (isResourceError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a ResourceError');
}

describe('parseResiliency', () => {
  it('fills Dapr defaults for retries and circuit breakers', () => {
    const spec = parseResiliency(
      [
        resiliency(`
policies:
  timeouts: { general: 5s, fast: "250" }
  retries:
    plain: {}
    expo: { policy: exponential }
  circuitBreakers:
    cb: {}
    zeros: { maxRequests: 0, timeout: 0s }
`),
      ],
      'app1',
    );
    expect(spec.timeouts.get('general')).toBe(5000);
    expect(spec.timeouts.get('fast')).toBe(250); // bare integers are milliseconds, as daprd reads them
    expect(spec.retries.get('plain')).toEqual({ name: 'plain', policy: 'constant', durationMs: 5000, maxIntervalMs: 60000, maxRetries: -1 });
    expect(spec.retries.get('expo')).toMatchObject({ policy: 'exponential', maxIntervalMs: 60000, maxRetries: -1 });
    expect(spec.circuitBreakers.get('cb')).toMatchObject({ maxRequests: 1, intervalMs: 0, timeoutMs: 60000, trip: 'consecutiveFailures > 5' });
    expect(spec.circuitBreakers.get('zeros')).toMatchObject({ maxRequests: 1, timeoutMs: 60000 });
    expect(spec.resources).toEqual(['myresiliency']);
    expect(spec.warnings).toEqual([]);
  });

  it('reads every field, names matched case-insensitively', () => {
    const spec = parseResiliency(
      [
        resiliency(`
Policies:
  Retries:
    r1: { Policy: Exponential, duration: 10ms, MAXINTERVAL: 2s, maxretries: 7, matching: { httpstatuscodes: "500-599,429", grpcStatusCodes: "14, 4" } }
  circuitbreakers:
    cb1: { maxRequests: 3, interval: 10s, timeout: 30s, trip: "consecutiveFailures > 2 || totalFailures >= 10" }
  timeouts: { general: 1m30s }
Targets:
  apps: { appB: { timeout: general, retry: r1, circuitBreaker: cb1, circuitBreakerCacheSize: 7 } }
  actors: { Cart: { retry: r1, circuitBreaker: cb1, circuitBreakerScope: id } }
  components: { statestore: { outbound: { retry: r1 }, inbound: { timeout: general } } }
`),
      ],
      'app1',
    );
    expect(spec.retries.get('r1')).toEqual({
      name: 'r1',
      policy: 'exponential',
      durationMs: 10,
      maxIntervalMs: 2000,
      maxRetries: 7,
      matching: { httpStatusCodes: [{ start: 500, end: 599 }, { start: 429, end: 429 }], grpcStatusCodes: [{ start: 14, end: 14 }, { start: 4, end: 4 }] },
    });
    expect(spec.circuitBreakers.get('cb1')).toMatchObject({ maxRequests: 3, intervalMs: 10000, timeoutMs: 30000 });
    expect(spec.timeouts.get('general')).toBe(90000);
    expect(spec.apps.get('appB')).toEqual({ timeout: 'general', retry: 'r1', circuitBreaker: 'cb1', circuitBreakerCacheSize: 7 });
    expect(spec.actors.get('Cart')).toEqual({ retry: 'r1', circuitBreaker: 'cb1', circuitBreakerScope: 'id', circuitBreakerCacheSize: 5000 });
    expect(spec.components.get('statestore')).toEqual({ outbound: { retry: 'r1' }, inbound: { timeout: 'general' } });
  });

  it('always carries the built-in retries', () => {
    const spec = parseResiliency([], 'app1');
    expect(spec.retries.get('DaprBuiltInServiceRetries')).toEqual(BUILT_IN_RETRIES.DaprBuiltInServiceRetries);
    expect(spec.retries.get('DaprBuiltInServiceRetries')).toMatchObject({ policy: 'constant', durationMs: 1000, maxRetries: 3 });
    expect([...spec.retries.keys()].sort()).toEqual(Object.keys(BUILT_IN_RETRIES).sort());
  });

  it('lets built-ins be strengthened, not weakened, and keeps the protected one', () => {
    const spec = parseResiliency(
      [
        resiliency(`
policies:
  retries:
    DaprBuiltInServiceRetries: { duration: 2s, maxRetries: 1 }
    DaprBuiltInActorRetries: { maxRetries: -1 }
    DaprBuiltInActorNotFoundRetries: { maxRetries: 50 }
`),
      ],
      'app1',
    );
    expect(spec.retries.get('DaprBuiltInServiceRetries')).toMatchObject({ durationMs: 2000, maxRetries: 3 });
    expect(spec.retries.get('DaprBuiltInActorRetries')).toMatchObject({ maxRetries: -1 });
    expect(spec.retries.get('DaprBuiltInActorNotFoundRetries')).toEqual(BUILT_IN_RETRIES.DaprBuiltInActorNotFoundRetries);
    expect(spec.warnings).toEqual([
      `${FILE}: Resiliency "myresiliency": spec.policies.retries.DaprBuiltInServiceRetries.maxRetries: a built-in retry needs at least 3 retries; using 3`,
      `${FILE}: Resiliency "myresiliency": spec.policies.retries.DaprBuiltInActorNotFoundRetries: DaprBuiltInActorNotFoundRetries is protected and cannot be overridden; the built-in policy is kept`,
    ]);
  });

  it('applies scopes: a Resiliency scoped to other apps is ignored', () => {
    const mine = resiliency('policies: { timeouts: { mine: 1s } }', { name: 'mine', scopes: ['app1', 'app2'] });
    const theirs = resiliency('policies: { timeouts: { theirs: 1s } }', { name: 'theirs', scopes: ['app3'] });
    const everyone = resiliency('policies: { timeouts: { all: 1s } }', { name: 'all' });
    const spec = parseResiliency([mine, theirs, everyone], 'app1');
    expect([...spec.timeouts.keys()]).toEqual(['mine', 'all']);
    expect(spec.resources).toEqual(['mine', 'all']);
    // A shared building-block service (no app id) keeps everything, as the loader does.
    expect([...parseResiliency([mine, theirs, everyone], '').timeouts.keys()]).toEqual(['mine', 'theirs', 'all']);
  });

  it('a scoped-out resource is not validated', () => {
    expect(() => parseResiliency([resiliency('policies: { timeouts: { t: soon } }', { scopes: ['other'] })], 'app1')).not.toThrow();
  });

  it('merges resources in order: later policies and targets replace earlier ones; references resolve across them', () => {
    const a = resiliency('policies: { timeouts: { t: 1s } }\ntargets: { apps: { appB: { timeout: t } } }', { name: 'a' });
    const b = resiliency('policies: { timeouts: { t: 2s, u: 3s }, retries: { r: { maxRetries: 1 } } }\ntargets: { apps: { appB: { retry: r } } }', { name: 'b' });
    const spec = parseResiliency([a, b], 'app1');
    expect(spec.timeouts.get('t')).toBe(2000);
    expect(spec.apps.get('appB')).toEqual({ retry: 'r', circuitBreakerCacheSize: 100 });
    const c = resiliency('targets: { apps: { appC: { timeout: u } } }', { name: 'c' });
    expect(parseResiliency([c, b], 'app1').apps.get('appC')).toEqual({ timeout: 'u', circuitBreakerCacheSize: 100 });
  });

  it('accepts an empty spec and a target referencing a built-in retry', () => {
    expect(parseResiliency([resiliency('')], 'app1').resources).toEqual(['myresiliency']);
    expect(parseResiliency([resiliency('targets: { apps: { appB: { retry: DaprBuiltInServiceRetries } } }')], 'app1').apps.get('appB')?.retry).toBe(
      'DaprBuiltInServiceRetries',
    );
  });

  const at = (f: string, problem: string): string => `${FILE}: Resiliency "myresiliency": ${f}: ${problem}`;

  it.each<[string, string, string]>([
    ['spec.policies not a mapping', 'policies: [a]', at('spec.policies', 'expected a mapping, got a list')],
    ['a retry that is not a mapping', 'policies: { retries: { r1: 3 } }', at('spec.policies.retries.r1', 'expected a mapping, got 3')],
    [
      'a timeout that is not a duration',
      'policies: { timeouts: { general: 5x } }',
      at('spec.policies.timeouts.general', 'expected a Go duration such as 5s, 1m30s or 500ms, got "5x"'),
    ],
    ['a numeric timeout', 'policies: { timeouts: { general: 5 } }', at('spec.policies.timeouts.general', 'expected a Go duration such as 5s, 1m30s or 500ms, got 5')],
    ['a negative timeout', 'policies: { timeouts: { general: -5s } }', at('spec.policies.timeouts.general', 'expected a duration that is not negative, got "-5s"')],
    [
      'a bad retry duration',
      'policies: { retries: { r1: { duration: fast } } }',
      at('spec.policies.retries.r1.duration', 'expected a Go duration such as 5s, 1m30s or 500ms, got "fast"'),
    ],
    [
      'a bad maxInterval',
      'policies: { retries: { r1: { policy: exponential, maxInterval: 1 minute } } }',
      at('spec.policies.retries.r1.maxInterval', 'expected a Go duration such as 5s, 1m30s or 500ms, got "1 minute"'),
    ],
    ['an unknown retry policy', 'policies: { retries: { r1: { policy: linear } } }', at('spec.policies.retries.r1.policy', 'expected constant or exponential, got "linear"')],
    [
      'maxRetries below -1',
      'policies: { retries: { r1: { maxRetries: -2 } } }',
      at('spec.policies.retries.r1.maxRetries', 'expected an integer: -1 (unlimited), 0 (no retry) or a positive count, got -2'),
    ],
    [
      'maxRetries not a number',
      'policies: { retries: { r1: { maxRetries: many } } }',
      at('spec.policies.retries.r1.maxRetries', 'expected an integer: -1 (unlimited), 0 (no retry) or a positive count, got "many"'),
    ],
    [
      'an HTTP range with two dashes',
      'policies: { retries: { r1: { matching: { httpStatusCodes: "500,404-405-500" } } } }',
      at(
        'spec.policies.retries.r1.matching.httpStatusCodes',
        'invalid entry "404-405-500": more than one "-"; expected a comma-separated list of codes (100-599) and ranges such as "500,502-504"',
      ),
    ],
    [
      'an HTTP code out of range',
      'policies: { retries: { r1: { matching: { httpStatusCodes: "15" } } } }',
      at('spec.policies.retries.r1.matching.httpStatusCodes', 'invalid entry "15": 15 is outside 100-599; expected a comma-separated list of codes (100-599) and ranges such as "500,502-504"'),
    ],
    [
      'a reversed range',
      'policies: { retries: { r1: { matching: { httpStatusCodes: "504-502" } } } }',
      at(
        'spec.policies.retries.r1.matching.httpStatusCodes',
        'invalid entry "504-502": the range starts after it ends; expected a comma-separated list of codes (100-599) and ranges such as "500,502-504"',
      ),
    ],
    [
      'a gRPC code out of range',
      'policies: { retries: { r1: { matching: { gRPCStatusCodes: "14,17" } } } }',
      at('spec.policies.retries.r1.matching.gRPCStatusCodes', 'invalid entry "17": 17 is outside 0-16; expected a comma-separated list of codes (0-16) and ranges such as "14,2-4"'),
    ],
    [
      'a code that is not a number',
      'policies: { retries: { r1: { matching: { gRPCStatusCodes: "UNAVAILABLE" } } } }',
      at(
        'spec.policies.retries.r1.matching.gRPCStatusCodes',
        'invalid entry "UNAVAILABLE": "UNAVAILABLE" is not a number; expected a comma-separated list of codes (0-16) and ranges such as "14,2-4"',
      ),
    ],
    [
      'a matching list that is not a string',
      'policies: { retries: { r1: { matching: { httpStatusCodes: [500] } } } }',
      at('spec.policies.retries.r1.matching.httpStatusCodes', 'expected a comma-separated list of codes and ranges such as "500,502-504", got a list'),
    ],
    [
      'a bad trip expression',
      'policies: { circuitBreakers: { cb1: { trip: "consecutiveFailures >> 5" } } }',
      at(
        'spec.policies.circuitBreakers.cb1.trip',
        'invalid expression "consecutiveFailures >> 5": expected a counter name or an integer, got ">" at column 22; supported: comparisons (>, >=, <, <=, ==, !=) of consecutiveFailures, consecutiveSuccesses, totalFailures, totalSuccesses, requests with integers, joined by && and || (parentheses allowed)',
      ),
    ],
    [
      'a trip expression over an unknown name',
      'policies: { circuitBreakers: { cb1: { trip: "failures > 5" } } }',
      at(
        'spec.policies.circuitBreakers.cb1.trip',
        'invalid expression "failures > 5": unknown name "failures" at column 1; expected one of consecutiveFailures, consecutiveSuccesses, totalFailures, totalSuccesses, requests; supported: comparisons (>, >=, <, <=, ==, !=) of consecutiveFailures, consecutiveSuccesses, totalFailures, totalSuccesses, requests with integers, joined by && and || (parentheses allowed)',
      ),
    ],
    ['a non-string trip', 'policies: { circuitBreakers: { cb1: { trip: 5 } } }', at('spec.policies.circuitBreakers.cb1.trip', 'expected an expression such as "consecutiveFailures > 5", got 5')],
    ['negative maxRequests', 'policies: { circuitBreakers: { cb1: { maxRequests: -1 } } }', at('spec.policies.circuitBreakers.cb1.maxRequests', 'expected a non-negative integer, got -1')],
    [
      'a bad breaker interval',
      'policies: { circuitBreakers: { cb1: { interval: often } } }',
      at('spec.policies.circuitBreakers.cb1.interval', 'expected a Go duration such as 5s, 1m30s or 500ms, got "often"'),
    ],
    [
      'an app target naming an unknown retry',
      'policies: { retries: { r1: {} } }\ntargets: { apps: { appB: { retry: r2 } } }',
      at('spec.targets.apps.appB.retry', 'no retry policy named "r2"; define it under spec.policies.retries'),
    ],
    [
      'a component target naming an unknown timeout',
      'targets: { components: { statestore: { outbound: { timeout: general } } } }',
      at('spec.targets.components.statestore.outbound.timeout', 'no timeout policy named "general"; define it under spec.policies.timeouts'),
    ],
    [
      'an actor target naming an unknown circuit breaker',
      'targets: { actors: { Cart: { circuitBreaker: cb9, circuitBreakerScope: type } } }',
      at('spec.targets.actors.Cart.circuitBreaker', 'no circuit breaker policy named "cb9"; define it under spec.policies.circuitBreakers'),
    ],
    [
      'a policy name that is not a string',
      'targets: { apps: { appB: { retry: [r1] } } }',
      at('spec.targets.apps.appB.retry', 'expected the name of a policy under spec.policies.retries, got a list'),
    ],
    [
      'an actor breaker without scope',
      'policies: { circuitBreakers: { cb1: {} } }\ntargets: { actors: { Cart: { circuitBreaker: cb1 } } }',
      at('spec.targets.actors.Cart.circuitBreakerScope', 'expected type, id or both: an actor circuit breaker must say what it is scoped to'),
    ],
    [
      'an unknown actor breaker scope',
      'policies: { circuitBreakers: { cb1: {} } }\ntargets: { actors: { Cart: { circuitBreaker: cb1, circuitBreakerScope: instance } } }',
      at('spec.targets.actors.Cart.circuitBreakerScope', 'expected type, id or both, got "instance"'),
    ],
    ['a negative cache size', 'targets: { apps: { appB: { circuitBreakerCacheSize: -3 } } }', at('spec.targets.apps.appB.circuitBreakerCacheSize', 'expected a non-negative integer, got -3')],
    ['a component direction that is not a mapping', 'targets: { components: { statestore: { outbound: r1 } } }', at('spec.targets.components.statestore.outbound', 'expected a mapping, got "r1"')],
  ])('rejects %s', (_what, yamlSpec, message) => {
    expect(parseError(yamlSpec)).toBe(message);
  });

  it('names the file and resource of the target holding a dangling reference', () => {
    const policies = resiliency('policies: { retries: { r1: {} } }', { name: 'policies', file: 'a.yaml' });
    const targets = resiliency('targets: { apps: { appB: { retry: r1, timeout: nope } } }', { name: 'targets', file: 'b.yaml' });
    expect(() => parseResiliency([policies, targets], 'app1')).toThrow(
      'b.yaml: Resiliency "targets": spec.targets.apps.appB.timeout: no timeout policy named "nope"; define it under spec.policies.timeouts',
    );
  });
});
