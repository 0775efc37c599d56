import { parse } from 'yaml';
import { ApiError, GrpcCode } from '@tessera/contracts';
import type { RawResource } from '../resources/loader';
import { CircuitOpenError, isCircuitOpen, isResiliencyTimeout } from './resiliency-errors';
import { parseResiliency } from './resiliency-parser';
import { ResiliencyRunner } from './resiliency-runner';
import { failureForGrpcCode, failureForHttpStatus, PASS_THROUGH, type ResiliencyEvent } from './policy';

function resource(yamlSpec: string): RawResource {
  return { apiVersion: 'dapr.io/v1alpha1', kind: 'Resiliency', name: 'r', namespace: 'default', scopes: [], spec: parse(yamlSpec) ?? {}, raw: {}, file: 'r.yaml' };
}

function setup(yamlSpec: string): { runner: ResiliencyRunner; events: ResiliencyEvent[] } {
  const events: ResiliencyEvent[] = [];
  const runner = new ResiliencyRunner(parseResiliency([resource(yamlSpec)], 'app1'), { onEvent: (e) => events.push(e), random: () => 0.5 });
  return { runner, events };
}

/** A fake operation: counts calls, records signals, behaves as `script(callNumber, signal)` says. */
function fakeOp<T>(script: (n: number, signal: AbortSignal) => Promise<T>) {
  const op = {
    calls: 0,
    signals: [] as AbortSignal[],
    fn: (signal: AbortSignal): Promise<T> => {
      op.calls++;
      op.signals.push(signal);
      return script(op.calls, signal);
    },
  };
  return op;
}

const transient = (): ApiError => new ApiError({ code: 'ERR_STATE_GET', message: 'backend down', httpStatus: 500, grpcCode: GrpcCode.INTERNAL });
const terminal = (): ApiError => new ApiError({ code: 'ERR_MALFORMED_REQUEST', message: 'bad', httpStatus: 400, grpcCode: GrpcCode.INVALID_ARGUMENT });
const hang = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('attempt aborted')), { once: true }));
const kinds = (events: ResiliencyEvent[]): string[] => events.map((e) => (e.attempt !== undefined ? `${e.kind}#${e.attempt}` : e.kind));

describe('ResiliencyRunner: no policy', () => {
  it('is a pass-through: run() returns exactly what fn returns, called with the caller signal', () => {
    const runner = new ResiliencyRunner();
    const policy = runner.forApp('appB');
    expect(policy).toBe(PASS_THROUGH);
    expect(policy.passThrough).toBe(true);
    const caller = new AbortController();
    const promise = Promise.resolve(42);
    let seen: AbortSignal | undefined;
    const result = policy.run((s) => {
      seen = s;
      return promise;
    }, { signal: caller.signal });
    expect(result).toBe(promise);
    expect(seen).toBe(caller.signal);
  });

  it('components, actors and app ids without policies all get PASS_THROUGH', () => {
    const { runner } = setup('policies: { retries: { r1: { duration: 10ms } } }\ntargets: { apps: { other: { retry: r1 } } }');
    expect(runner.forComponent('statestore', 'outbound', 'state.redis')).toBe(PASS_THROUGH);
    expect(runner.forComponent('statestore', 'inbound')).toBe(PASS_THROUGH);
    expect(runner.forActorPreLock('Cart', '1')).toBe(PASS_THROUGH);
    expect(runner.forActorPostLock('Cart')).toBe(PASS_THROUGH);
    expect(runner.forApp('appB')).toBe(PASS_THROUGH);
  });

  it('maxRetries 0 is no retry policy at all', async () => {
    const { runner } = setup('policies: { retries: { none: { maxRetries: 0 } } }\ntargets: { apps: { appB: { retry: none } } }');
    expect(runner.forApp('appB')).toBe(PASS_THROUGH);
    const op = fakeOp(() => Promise.reject(transient()));
    await expect(runner.forApp('appB').run(op.fn)).rejects.toMatchObject({ code: 'ERR_STATE_GET' });
    expect(op.calls).toBe(1);
  });
});

describe('ResiliencyRunner: retries', () => {
  it('constant: retries a failing call maxRetries times, then rethrows the last error', async () => {
    const { runner, events } = setup('policies: { retries: { r: { policy: constant, duration: 10ms, maxRetries: 3 } } }\ntargets: { apps: { appB: { retry: r } } }');
    const op = fakeOp(() => Promise.reject(transient()));
    await expect(runner.forApp('appB').run(op.fn)).rejects.toMatchObject({ code: 'ERR_STATE_GET' });
    expect(op.calls).toBe(4);
    expect(kinds(events)).toEqual(['retry#1', 'retry#2', 'retry#3']);
    expect(events.every((e) => e.target === 'app:appB')).toBe(true);
  });

  it('stops retrying once the call succeeds', async () => {
    const { runner } = setup('policies: { retries: { r: { duration: 10ms, maxRetries: 5 } } }\ntargets: { apps: { appB: { retry: r } } }');
    const op = fakeOp((n) => (n < 3 ? Promise.reject(transient()) : Promise.resolve('ok')));
    await expect(runner.forApp('appB').run(op.fn)).resolves.toBe('ok');
    expect(op.calls).toBe(3);
  });

  it('exponential: retries maxRetries times', async () => {
    const { runner, events } = setup('policies: { retries: { r: { policy: exponential, maxInterval: 10ms, maxRetries: 2 } } }\ntargets: { apps: { appB: { retry: r } } }');
    const op = fakeOp(() => Promise.reject(new Error('socket hang up')));
    await expect(runner.forApp('appB').run(op.fn)).rejects.toThrow('socket hang up');
    expect(op.calls).toBe(3);
    expect(kinds(events)).toEqual(['retry#1', 'retry#2']);
  });

  it('never retries an error marked retryable: false', async () => {
    const { runner } = setup('policies: { retries: { r: { duration: 10ms, maxRetries: 3 } } }\ntargets: { apps: { appB: { retry: r } } }');
    const op = fakeOp(() => Promise.reject(terminal()));
    await expect(runner.forApp('appB').run(op.fn)).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
    expect(op.calls).toBe(1);
  });

  it('maxRetries -1 retries until the call succeeds', async () => {
    const { runner } = setup('policies: { retries: { forever: { duration: 1ms } } }\ntargets: { apps: { appB: { retry: forever } } }');
    const op = fakeOp((n) => (n <= 12 ? Promise.reject(transient()) : Promise.resolve(n)));
    await expect(runner.forApp('appB').run(op.fn)).resolves.toBe(13);
  });

  it('maxRetries -1 stops when the caller aborts, without another attempt', async () => {
    const { runner } = setup('policies: { retries: { forever: { duration: 1ms, maxRetries: -1 } } }\ntargets: { apps: { appB: { retry: forever } } }');
    const caller = new AbortController();
    const op = fakeOp((n) => {
      if (n === 5) caller.abort();
      return Promise.reject(transient());
    });
    await expect(runner.forApp('appB').run(op.fn, { signal: caller.signal })).rejects.toMatchObject({ code: 'ERR_STATE_GET' });
    expect(op.calls).toBe(5);
  });

  describe('failed results (service invocation answers)', () => {
    const yaml = (matching: string) => `
policies: { retries: { r: { duration: 1ms, maxRetries: 2 ${matching} } } }
targets: { apps: { appB: { retry: r } } }`;

    it('retries a non-2xx/3xx answer and returns the last answer when retries run out', async () => {
      const { runner } = setup(yaml(''));
      const op = fakeOp((n) => Promise.resolve({ status: 503, n }));
      await expect(runner.forApp('appB').run(op.fn, { isFailure: (r) => failureForHttpStatus(r.status) })).resolves.toEqual({ status: 503, n: 3 });
      expect(op.calls).toBe(3);
    });

    it('does not retry 2xx/3xx answers', async () => {
      const { runner } = setup(yaml(''));
      const op = fakeOp(() => Promise.resolve({ status: 302 }));
      await runner.forApp('appB').run(op.fn, { isFailure: (r) => failureForHttpStatus(r.status) });
      expect(op.calls).toBe(1);
    });

    it.each<[string, number, number]>([
      ['500-599,429', 503, 3],
      ['500-599,429', 429, 3],
      ['500-599,429', 404, 1],
      ['500', 502, 1],
    ])('matching.httpStatusCodes %s: status %i -> %i attempts', async (codes, status, attempts) => {
      const { runner } = setup(yaml(`, matching: { httpStatusCodes: "${codes}" }`));
      const op = fakeOp(() => Promise.resolve({ status }));
      await expect(runner.forApp('appB').run(op.fn, { isFailure: (r) => failureForHttpStatus(r.status) })).resolves.toEqual({ status });
      expect(op.calls).toBe(attempts);
    });

    it.each<[string, number, number]>([
      ['14,4', 14, 3],
      ['14,4', 4, 3],
      ['14,4', 5, 1],
      ['1-3', 2, 3],
    ])('matching.gRPCStatusCodes %s: code %i -> %i attempts', async (codes, code, attempts) => {
      const { runner } = setup(yaml(`, matching: { gRPCStatusCodes: "${codes}" }`));
      const op = fakeOp(() => Promise.resolve({ code }));
      await runner.forApp('appB').run(op.fn, { isFailure: (r) => failureForGrpcCode(r.code) });
      expect(op.calls).toBe(attempts);
    });

    it('an HTTP-only matching list leaves gRPC failures and plain failures retried', async () => {
      const { runner } = setup(yaml(', matching: { httpStatusCodes: "503" }'));
      const grpc = fakeOp(() => Promise.resolve({ code: 13 }));
      await runner.forApp('appB').run(grpc.fn, { isFailure: (r) => failureForGrpcCode(r.code) });
      expect(grpc.calls).toBe(3);
      const plain = fakeOp(() => Promise.resolve('bad'));
      await runner.forApp('appB').run(plain.fn, { isFailure: () => true });
      expect(plain.calls).toBe(3);
    });
  });
});

describe('ResiliencyRunner: timeouts', () => {
  it('aborts the attempt signal and rejects with a ResiliencyTimeoutError carrying the timeout', async () => {
    const { runner, events } = setup('policies: { timeouts: { quick: 10ms } }\ntargets: { components: { statestore: { outbound: { timeout: quick } } } }');
    const op = fakeOp((_n, signal) => hang(signal));
    const err: unknown = await runner.forComponent('statestore', 'outbound').run(op.fn).catch((e: unknown) => e);
    expect(isResiliencyTimeout(err)).toBe(true);
    expect(err).toMatchObject({ timeoutMs: 10, target: 'component:statestore:outbound' });
    expect(op.signals[0]?.aborted).toBe(true);
    expect(kinds(events)).toEqual(['timeout']);
  });

  it('does not abort the signal of an attempt that finished in time', async () => {
    const { runner } = setup('policies: { timeouts: { slow: 1m } }\ntargets: { apps: { appB: { timeout: slow } } }');
    const op = fakeOp(() => Promise.resolve('ok'));
    await expect(runner.forApp('appB').run(op.fn)).resolves.toBe('ok');
    expect(op.signals[0]?.aborted).toBe(false);
  });

  it('bounds each attempt: maxRetries N with a timeout makes N+1 timed-out attempts', async () => {
    const { runner, events } = setup(`
policies: { timeouts: { quick: 10ms }, retries: { r: { duration: 1ms, maxRetries: 2 } } }
targets: { apps: { appB: { timeout: quick, retry: r } } }`);
    const op = fakeOp((_n, signal) => hang(signal));
    await expect(runner.forApp('appB').run(op.fn)).rejects.toMatchObject({ kind: 'tessera.resiliency-timeout' });
    expect(op.calls).toBe(3);
    expect(op.signals.every((s) => s.aborted)).toBe(true);
    expect(kinds(events)).toEqual(['timeout', 'retry#1', 'timeout', 'retry#2', 'timeout']);
  });

  it('maxRetries -1 with a timeout keeps retrying timed-out attempts until one succeeds', async () => {
    const { runner } = setup(`
policies: { timeouts: { quick: 5ms }, retries: { r: { duration: 1ms, maxRetries: -1 } } }
targets: { apps: { appB: { timeout: quick, retry: r } } }`);
    const op = fakeOp((n, signal) => (n < 4 ? hang(signal) : Promise.resolve('finally')));
    await expect(runner.forApp('appB').run(op.fn)).resolves.toBe('finally');
    expect(op.calls).toBe(4);
  });

  it('a caller abort is not a timeout and is not retried', async () => {
    const { runner, events } = setup(`
policies: { timeouts: { slow: 1m }, retries: { r: { duration: 1ms, maxRetries: 3 } } }
targets: { apps: { appB: { timeout: slow, retry: r } } }`);
    const caller = new AbortController();
    const op = fakeOp((_n, signal) => {
      setTimeout(() => caller.abort(new Error('client went away')), 1);
      return hang(signal);
    });
    const err: unknown = await runner.forApp('appB').run(op.fn, { signal: caller.signal }).catch((e: unknown) => e);
    expect(isResiliencyTimeout(err)).toBe(false);
    expect(op.calls).toBe(1);
    expect(op.signals[0]?.aborted).toBe(true);
    expect(events).toEqual([]);
  });
});

describe('ResiliencyRunner: circuit breakers', () => {
  let clock = 1_000_000;
  beforeEach(() => {
    clock = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => clock);
  });
  afterEach(() => jest.restoreAllMocks());

  const fail = () => Promise.reject(transient());
  const ok = () => Promise.resolve('ok');

  it('opens when the trip expression holds, fails fast, half-opens after timeout, closes on a good probe', async () => {
    const { runner, events } = setup(`
policies: { circuitBreakers: { cb: { trip: consecutiveFailures >= 3, timeout: 30s } } }
targets: { apps: { appB: { circuitBreaker: cb } } }`);
    const policy = runner.forApp('appB');
    const op = fakeOp(fail);
    for (let i = 0; i < 3; i++) await expect(policy.run(op.fn)).rejects.toMatchObject({ code: 'ERR_STATE_GET' });
    expect(kinds(events)).toEqual(['breaker-open']);

    const fast = fakeOp(ok);
    const err: unknown = await policy.run(fast.fn).catch((e: unknown) => e);
    expect(isCircuitOpen(err)).toBe(true);
    expect(err).toMatchObject({ target: 'app:appB', state: 'open' });
    expect(fast.calls).toBe(0);

    clock += 29_999;
    await expect(policy.run(fast.fn)).rejects.toBeInstanceOf(CircuitOpenError);
    clock += 1;
    await expect(policy.run(fast.fn)).resolves.toBe('ok');
    expect(fast.calls).toBe(1);
    expect(kinds(events)).toEqual(['breaker-open', 'breaker-half-open', 'breaker-closed']);
    await expect(policy.run(fast.fn)).resolves.toBe('ok');
    expect(fast.calls).toBe(2);
  });

  it('a failed probe reopens the breaker', async () => {
    const { runner, events } = setup(`
policies: { circuitBreakers: { cb: { trip: consecutiveFailures > 0, timeout: 10s } } }
targets: { apps: { appB: { circuitBreaker: cb } } }`);
    const policy = runner.forApp('appB');
    await expect(policy.run(fail)).rejects.toBeDefined();
    clock += 10_000;
    await expect(policy.run(fail)).rejects.toMatchObject({ code: 'ERR_STATE_GET' });
    expect(kinds(events)).toEqual(['breaker-open', 'breaker-half-open', 'breaker-open']);
    await expect(policy.run(ok)).rejects.toMatchObject({ kind: 'tessera.circuit-open' });
  });

  it('while the probe is in flight, other calls fail fast', async () => {
    const { runner } = setup(`
policies: { circuitBreakers: { cb: { trip: consecutiveFailures > 0, timeout: 10s } } }
targets: { apps: { appB: { circuitBreaker: cb } } }`);
    const policy = runner.forApp('appB');
    await expect(policy.run(fail)).rejects.toBeDefined();
    clock += 10_000;
    let release: (v: string) => void = () => undefined;
    const probe = policy.run(() => new Promise<string>((r) => (release = r)));
    await expect(policy.run(ok)).rejects.toMatchObject({ kind: 'tessera.circuit-open', state: 'half-open' });
    release('probe');
    await expect(probe).resolves.toBe('probe');
    await expect(policy.run(ok)).resolves.toBe('ok');
  });

  it('maxRequests: closes only after that many good probes; extra calls meanwhile fail fast', async () => {
    const { runner, events } = setup(`
policies: { circuitBreakers: { cb: { maxRequests: 3, trip: consecutiveFailures > 0, timeout: 10s } } }
targets: { apps: { appB: { circuitBreaker: cb } } }`);
    const policy = runner.forApp('appB');
    await expect(policy.run(fail)).rejects.toBeDefined();
    clock += 10_000;
    await expect(policy.run(ok)).resolves.toBe('ok'); // probe 1
    expect(kinds(events)).toEqual(['breaker-open', 'breaker-half-open']);
    let release: (v: string) => void = () => undefined;
    const probe2 = policy.run(() => new Promise<string>((r) => (release = r)));
    const probe3 = policy.run(ok);
    await expect(policy.run(ok)).rejects.toMatchObject({ kind: 'tessera.circuit-open', state: 'half-open' }); // a 4th request
    await expect(probe3).resolves.toBe('ok');
    expect(kinds(events)).toEqual(['breaker-open', 'breaker-half-open']);
    release('p2');
    await probe2;
    expect(kinds(events)).toEqual(['breaker-open', 'breaker-half-open', 'breaker-closed']);
    await expect(policy.run(ok)).resolves.toBe('ok');
  });

  it('maxRequests: a failure among the probes reopens', async () => {
    const { runner, events } = setup(`
policies: { circuitBreakers: { cb: { maxRequests: 2, trip: consecutiveFailures > 0, timeout: 10s } } }
targets: { apps: { appB: { circuitBreaker: cb } } }`);
    const policy = runner.forApp('appB');
    await expect(policy.run(fail)).rejects.toBeDefined();
    clock += 10_000;
    await expect(policy.run(ok)).resolves.toBe('ok');
    await expect(policy.run(fail)).rejects.toMatchObject({ code: 'ERR_STATE_GET' });
    expect(kinds(events)).toEqual(['breaker-open', 'breaker-half-open', 'breaker-open']);
    await expect(policy.run(ok)).rejects.toMatchObject({ kind: 'tessera.circuit-open' });
  });

  it('maxRequests: a probe ending in an error that does not count is a good probe', async () => {
    const { runner, events } = setup(`
policies: { circuitBreakers: { cb: { maxRequests: 2, trip: consecutiveFailures > 0, timeout: 10s } } }
targets: { apps: { appB: { circuitBreaker: cb } } }`);
    const policy = runner.forApp('appB');
    await expect(policy.run(fail)).rejects.toBeDefined();
    clock += 10_000;
    await expect(policy.run(ok)).resolves.toBe('ok');
    await expect(policy.run(() => Promise.reject(terminal()))).rejects.toMatchObject({ code: 'ERR_MALFORMED_REQUEST' });
    expect(kinds(events)).toEqual(['breaker-open', 'breaker-half-open', 'breaker-closed']);
    await expect(policy.run(ok)).resolves.toBe('ok');
  });

  it('interval resets the counters while closed; interval 0 never does', async () => {
    const yaml = (interval: string) => `
policies: { circuitBreakers: { cb: { trip: totalFailures >= 3, interval: ${interval} } } }
targets: { apps: { appB: { circuitBreaker: cb } } }`;
    const withInterval = setup(yaml('10s'));
    const p = withInterval.runner.forApp('appB');
    await expect(p.run(fail)).rejects.toBeDefined();
    await expect(p.run(fail)).rejects.toBeDefined();
    clock += 10_000; // counts reset: 2 failures forgotten
    await expect(p.run(fail)).rejects.toBeDefined();
    await expect(p.run(ok)).resolves.toBe('ok');
    await expect(p.run(fail)).rejects.toBeDefined();
    expect(withInterval.events).toEqual([]);
    await expect(p.run(fail)).rejects.toBeDefined();
    expect(kinds(withInterval.events)).toEqual(['breaker-open']);

    const never = setup(yaml('0s'));
    const q = never.runner.forApp('appB');
    await expect(q.run(fail)).rejects.toBeDefined();
    await expect(q.run(fail)).rejects.toBeDefined();
    clock += 10_000_000;
    await expect(q.run(fail)).rejects.toBeDefined();
    expect(kinds(never.events)).toEqual(['breaker-open']);
  });

  it.each<[string, Array<'ok' | 'fail'>, boolean]>([
    ['consecutiveFailures > 5', ['fail', 'fail', 'fail', 'fail', 'fail', 'fail'], true],
    ['consecutiveFailures > 5', ['fail', 'fail', 'fail', 'ok', 'fail', 'fail', 'fail'], false],
    ['totalFailures > 2', ['fail', 'ok', 'fail', 'ok', 'fail'], true],
    ['requests >= 4 && totalFailures >= 2', ['fail', 'fail', 'ok'], false],
    ['requests >= 4 && totalFailures >= 2', ['ok', 'fail', 'ok', 'fail'], true],
    ['totalSuccesses > 1 || consecutiveFailures == 3', ['fail', 'fail', 'fail'], true],
    ['consecutiveSuccesses == 1 && totalFailures == 0', ['ok', 'ok', 'fail'], false],
  ])('trip %s after %j -> open: %s', async (trip, calls, opens) => {
    const { runner, events } = setup(`
policies: { circuitBreakers: { cb: { trip: "${trip}" } } }
targets: { apps: { appB: { circuitBreaker: cb } } }`);
    const policy = runner.forApp('appB');
    for (const c of calls) await policy.run(c === 'ok' ? ok : fail).catch(() => undefined);
    expect(kinds(events).includes('breaker-open')).toBe(opens);
  });

  it('counts failed results; ignores errors marked retryable: false', async () => {
    const { runner, events } = setup(`
policies: { circuitBreakers: { cb: { trip: consecutiveFailures >= 2 } } }
targets: { apps: { appB: { circuitBreaker: cb } } }`);
    const policy = runner.forApp('appB');
    for (let i = 0; i < 5; i++) await policy.run(() => Promise.reject(terminal())).catch(() => undefined);
    expect(events).toEqual([]);
    const answer503 = () => Promise.resolve({ status: 503 });
    await expect(policy.run(answer503, { isFailure: (r) => failureForHttpStatus(r.status) })).resolves.toEqual({ status: 503 });
    await policy.run(answer503, { isFailure: (r) => failureForHttpStatus(r.status) });
    expect(kinds(events)).toEqual(['breaker-open']);
  });

  it('an open breaker is not retried', async () => {
    const { runner } = setup(`
policies: { retries: { r: { duration: 1ms, maxRetries: 5 } }, circuitBreakers: { cb: { trip: consecutiveFailures >= 2 } } }
targets: { apps: { appB: { retry: r, circuitBreaker: cb } } }`);
    const op = fakeOp(fail);
    const err: unknown = await runner.forApp('appB').run(op.fn).catch((e: unknown) => e);
    expect(isCircuitOpen(err)).toBe(true);
    expect(op.calls).toBe(2);
  });

  it('keeps one breaker per app id (default policies) and per component direction', async () => {
    const { runner } = setup('policies: { circuitBreakers: { DefaultAppCircuitBreakerPolicy: { trip: consecutiveFailures > 0 }, cb: { trip: consecutiveFailures > 0 } } }\ntargets: { components: { statestore: { outbound: { circuitBreaker: cb }, inbound: { circuitBreaker: cb } } } }');
    await runner.forApp('appA').run(fail).catch(() => undefined);
    await expect(runner.forApp('appA').run(ok)).rejects.toMatchObject({ kind: 'tessera.circuit-open', target: 'app:appA' });
    await expect(runner.forApp('appB').run(ok)).resolves.toBe('ok');
    await runner.forComponent('statestore', 'outbound').run(fail).catch(() => undefined);
    await expect(runner.forComponent('statestore', 'outbound', 'state.redis').run(ok)).rejects.toMatchObject({ kind: 'tessera.circuit-open' });
    await expect(runner.forComponent('statestore', 'inbound').run(ok)).resolves.toBe('ok');
  });

  it('actor breakers are per type or per instance as circuitBreakerScope says', async () => {
    const { runner } = setup(`
policies: { circuitBreakers: { cb: { trip: consecutiveFailures > 0 } } }
targets: { actors: { PerType: { circuitBreaker: cb, circuitBreakerScope: type }, PerId: { circuitBreaker: cb, circuitBreakerScope: id } } }`);
    await runner.forActorPreLock('PerType', '1').run(fail).catch(() => undefined);
    await expect(runner.forActorPreLock('PerType', '2').run(ok)).rejects.toMatchObject({ kind: 'tessera.circuit-open', target: 'actor:PerType' });
    await runner.forActorPreLock('PerId', '1').run(fail).catch(() => undefined);
    await expect(runner.forActorPreLock('PerId', '1').run(ok)).rejects.toMatchObject({ target: 'actor:PerId-1' });
    await expect(runner.forActorPreLock('PerId', '2').run(ok)).resolves.toBe('ok');
  });
});

describe('ResiliencyRunner: policy resolution', () => {
  const attemptsFor = async (policy: ReturnType<ResiliencyRunner['forApp']>): Promise<number> => {
    const op = fakeOp(() => Promise.reject(transient()));
    await policy.run(op.fn).catch(() => undefined);
    return op.calls;
  };

  const yaml = `
policies:
  retries:
    DefaultRetryPolicy: { duration: 1ms, maxRetries: 1 }
    DefaultComponentRetryPolicy: { duration: 1ms, maxRetries: 2 }
    DefaultComponentOutboundRetryPolicy: { duration: 1ms, maxRetries: 3 }
    DefaultStatestoreComponentOutboundRetryPolicy: { duration: 1ms, maxRetries: 4 }
    DefaultAppRetryPolicy: { duration: 1ms, maxRetries: 5 }
    named: { duration: 1ms, maxRetries: 6 }
  timeouts: { DefaultTimeoutPolicy: 1m }
targets:
  apps: { appNamed: { retry: named } }
  components: { named-store: { outbound: { retry: named } } }`;

  it('named target policy > most specific default > generic default', async () => {
    const { runner } = setup(yaml);
    expect(await attemptsFor(runner.forApp('appNamed'))).toBe(7);
    expect(await attemptsFor(runner.forApp('anyApp'))).toBe(6);
    expect(await attemptsFor(runner.forComponent('named-store', 'outbound', 'state.redis'))).toBe(7);
    expect(await attemptsFor(runner.forComponent('redis', 'outbound', 'state.redis'))).toBe(5);
    expect(await attemptsFor(runner.forComponent('redis', 'outbound', 'Statestore'))).toBe(5);
    expect(await attemptsFor(runner.forComponent('kafka', 'outbound', 'pubsub.kafka'))).toBe(4);
    expect(await attemptsFor(runner.forComponent('kafka', 'inbound', 'pubsub.kafka'))).toBe(3);
    expect(await attemptsFor(runner.forActorPreLock('Cart', '1'))).toBe(2);
  });

  it('a named target takes only what it names (as daprd): no default timeout is mixed in', async () => {
    jest.useFakeTimers();
    try {
      const { runner } = setup(`
policies: { timeouts: { DefaultTimeoutPolicy: 10ms }, retries: { named: { duration: 1ms, maxRetries: 1 } } }
targets: { apps: { appNamed: { retry: named } } }`);
      let settled = false;
      void runner
        .forApp('appNamed')
        .run(fakeOp((_n, s) => hang(s)).fn)
        .catch(() => undefined)
        .finally(() => (settled = true));
      const other = runner.forApp('appOther').run(fakeOp((_n, s) => hang(s)).fn).catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(50);
      expect(isResiliencyTimeout(await other)).toBe(true);
      expect(settled).toBe(false);
      expect(runner.forActorPostLock('Cart').passThrough).toBe(false); // the default timeout applies to unnamed targets
    } finally {
      jest.useRealTimers();
    }
  });

  it('per-kind defaults combine: a default timeout with a more specific default retry', async () => {
    const { runner } = setup(`
policies:
  timeouts: { DefaultTimeoutPolicy: 10ms }
  retries: { DefaultAppRetryPolicy: { duration: 1ms, maxRetries: 1 } }`);
    const op = fakeOp((_n, signal) => hang(signal));
    await expect(runner.forApp('x').run(op.fn)).rejects.toMatchObject({ kind: 'tessera.resiliency-timeout', timeoutMs: 10 });
    expect(op.calls).toBe(2);
  });
});

describe('ResiliencyRunner: built-in service retries', () => {
  afterEach(() => jest.useRealTimers());

  const unavailable = () => new ApiError({ code: 'ERR_DIRECT_INVOKE', message: 'no route', httpStatus: 500, grpcCode: GrpcCode.UNAVAILABLE });
  const unauthenticated = () =>
    new ApiError({ code: 'ERR_DIRECT_INVOKE', message: 'bad identity', httpStatus: 401, grpcCode: GrpcCode.UNAUTHENTICATED, retryable: false });

  it.each([
    ['UNAVAILABLE', unavailable],
    ['UNAUTHENTICATED', unauthenticated],
  ])('retries %s 3 times at 1 s with no Resiliency resource', async (_name, error) => {
    jest.useFakeTimers();
    const events: ResiliencyEvent[] = [];
    const runner = new ResiliencyRunner(undefined, { onEvent: (e) => events.push(e) });
    const op = fakeOp(() => Promise.reject(error()));
    const result = runner.builtInServiceRetry('appB').run(op.fn).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(999);
    expect(op.calls).toBe(1);
    await jest.advanceTimersByTimeAsync(2001);
    expect(await result).toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
    expect(op.calls).toBe(4);
    expect(kinds(events)).toEqual(['retry#1', 'retry#2', 'retry#3']);
    expect(events[0]?.target).toBe('builtin:DaprBuiltInServiceRetries');
  });

  it('does not retry other errors or results', async () => {
    const runner = new ResiliencyRunner();
    const op = fakeOp(() => Promise.reject(transient()));
    await expect(runner.builtInServiceRetry('appB').run(op.fn)).rejects.toMatchObject({ code: 'ERR_STATE_GET' });
    expect(op.calls).toBe(1);
    const answer = fakeOp(() => Promise.resolve({ status: 503 }));
    await runner.builtInServiceRetry('appB').run(answer.fn, { isFailure: (r) => failureForHttpStatus(r.status) });
    expect(answer.calls).toBe(1);
  });

  it('is replaced by the app policy when the app has a named target', () => {
    const { runner } = setup('policies: { timeouts: { t: 1s } }\ntargets: { apps: { appB: { timeout: t } } }');
    expect(runner.builtInServiceRetry('appB')).toBe(PASS_THROUGH);
    expect(runner.builtInServiceRetry('appC').passThrough).toBe(false);
  });

  it('takes an override from the resources', async () => {
    const { runner } = setup('policies: { retries: { DaprBuiltInServiceRetries: { duration: 1ms, maxRetries: 5 } } }');
    const op = fakeOp(() => Promise.reject(unavailable()));
    await expect(runner.builtInServiceRetry('appB').run(op.fn)).rejects.toMatchObject({ grpcCode: GrpcCode.UNAVAILABLE });
    expect(op.calls).toBe(6);
  });

  it('a built-in with a maximum elapsed time stops at the first failure past it', async () => {
    jest.useFakeTimers();
    const runner = new ResiliencyRunner(undefined, { random: () => 0.5 });
    const op = fakeOp(() => Promise.reject(transient()));
    let settled = false;
    const result = runner
      .builtIn('DaprBuiltInActorReminderRetries')
      .run(op.fn)
      .catch((e: unknown) => e)
      .finally(() => (settled = true));
    await jest.advanceTimersByTimeAsync(14 * 60_000);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(2 * 60_000);
    expect(settled).toBe(true);
    expect(await result).toMatchObject({ code: 'ERR_STATE_GET' });
    // 500 ms ×1.5 up to 60 s: attempt 25 fails at 14m08s (< 15m), attempt 26 at 15m08s ends it.
    expect(op.calls).toBe(26);
  });

  it('other built-ins are available by name', async () => {
    const { runner } = setup('policies: { retries: { DaprBuiltInActorRetries: { duration: 1ms, maxRetries: 4 } } }');
    const op = fakeOp(() => Promise.reject(transient()));
    await expect(runner.builtIn('DaprBuiltInActorRetries').run(op.fn)).rejects.toBeDefined();
    expect(op.calls).toBe(5);
  });
});

describe('ResiliencyRunner: observer', () => {
  it('a throwing onEvent does not break the call', async () => {
    const runner = new ResiliencyRunner(parseResiliency([resource('policies: { retries: { r: { duration: 1ms, maxRetries: 1 } } }\ntargets: { apps: { b: { retry: r } } }')], 'a'), {
      onEvent: () => {
        throw new Error('observer bug');
      },
    });
    const op = fakeOp((n) => (n === 1 ? Promise.reject(transient()) : Promise.resolve('ok')));
    await expect(runner.forApp('b').run(op.fn)).resolves.toBe('ok');
  });
});
