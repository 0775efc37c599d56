// Resiliency on service invocation (components.md 3): a Resiliency resource in the CALLER's
// --resources-path targets the callee app with a retry (constant 50 ms x 3, matching HTTP 503),
// a timeout (200 ms) and a circuit breaker (trip consecutiveFailures > 2, timeout 1 s). The callee
// is a plain node:http app counting the attempts that reach it:
//  - 503, 503, 200 -> the caller sees 200 and the callee saw 3 attempts;
//  - a slow endpoint -> each attempt is cut at 200 ms; timeouts are retried (Dapr retries timeouts
//    whatever `matching` says) and counted by the breaker, so the 3rd one opens it;
//  - repeated failures (500: not retried, counted) open the breaker: calls then fail fast without
//    reaching the callee; after the breaker timeout a probe reaches it and closes it.
// A second target (same app, another app id) has only the timeout, to see the timeout error itself.
import { HttpMethod } from '@dapr/dapr';
import type { DaprClient } from '@dapr/dapr';
import type { ServerResponse } from 'node:http';
import { eventually, startPlainHttpApp } from './support/invoke';
import type { PlainHttpApp, SeenRequest } from './support/invoke';
import { freePort, resourcesDir, startRuntime, tempDir } from './support/processes';
import type { Runtime } from './support/processes';
import { sdkClient } from './support/sdk';

const CALLEE = 'res-callee';
const SLOW_ONLY = 'res-timeout-only';
const CALLER = 'res-caller';
const SLOW_MS = 2000;

const RESILIENCY = `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: invoke-resiliency
spec:
  policies:
    timeouts:
      fast: 200ms
    retries:
      retry503:
        policy: constant
        duration: 50ms
        maxRetries: 3
        matching:
          httpStatusCodes: "503"
    circuitBreakers:
      cb:
        maxRequests: 1
        timeout: 1s
        trip: consecutiveFailures > 2
  targets:
    apps:
      ${CALLEE}:
        timeout: fast
        retry: retry503
        circuitBreaker: cb
      ${SLOW_ONLY}:
        timeout: fast
`;

describe('service invocation resiliency (caller-side Resiliency resource)', () => {
  const env = { TESSERA_HOME: tempDir('tessera-home-') };
  let app: PlainHttpApp;
  let callee: Runtime;
  let slowOnly: Runtime;
  let caller: Runtime;
  let grpcClient: DaprClient | undefined;
  const flaky = new Map<string, number>();
  let slowFinished = 0;
  let slowAborted = 0;

  beforeAll(async () => {
    const json = (res: ServerResponse, status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    app = await startPlainHttpApp(await freePort(), {
      '/flaky': (req: SeenRequest, res) => {
        const key = new URL(req.url, 'http://x').searchParams.get('key') ?? '';
        const n = (flaky.get(key) ?? 0) + 1;
        flaky.set(key, n);
        if (n <= 2) json(res, 503, { attempt: n });
        else json(res, 200, req.method === 'GET' ? { attempt: n } : { attempt: n, method: req.method, body: req.body, contentType: req.headers['content-type'] });
      },
      '/ok': (_req, res) => json(res, 200, { ok: true }),
      '/fail': (_req, res) => json(res, 500, { failed: true }),
      '/slow': (_req, res) => {
        let done = false;
        res.on('close', () => {
          if (!done) slowAborted++;
        });
        setTimeout(() => {
          done = true;
          slowFinished++;
          if (!res.destroyed) json(res, 200, { slow: true });
        }, SLOW_MS).unref();
      },
    });
    const resources = resourcesDir({ 'resiliency.yaml': RESILIENCY });
    [callee, slowOnly, caller] = await Promise.all([
      startRuntime({ appId: CALLEE, appPort: app.port, env }),
      startRuntime({ appId: SLOW_ONLY, appPort: app.port, env }),
      startRuntime({ appId: CALLER, resources: [resources], env }),
    ]);
  });

  afterAll(async () => {
    await grpcClient?.stop().catch(() => undefined);
    await Promise.all([callee?.stop(), slowOnly?.stop(), caller?.stop()]);
    await app?.stop();
  });

  const call = (target: string, path: string, timeoutMs = 10_000): Promise<Response> =>
    fetch(`${caller.http}/v1.0/invoke/${target}/method/${path}`, { signal: AbortSignal.timeout(timeoutMs) });

  /** The breaker is closed again once a call to /ok gets through (a half-open probe closes it). */
  const breakerClosed = (): Promise<void> => eventually(async () => (await call(CALLEE, 'ok')).status === 200, 10_000, 'the breaker to close', 100);

  it('retries 503 answers: 503, 503, 200 -> the caller sees 200, the callee saw 3 attempts', async () => {
    const r = await call(CALLEE, 'flaky?key=http');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ attempt: 3 });
    expect(flaky.get('http')).toBe(3);
  });

  it('a request body is sent again, whole, on every retry', async () => {
    const body = JSON.stringify({ order: 7, items: 'x'.repeat(64 * 1024) });
    const r = await fetch(`${caller.http}/v1.0/invoke/${CALLEE}/method/flaky?key=post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ attempt: 3, method: 'POST', body, contentType: 'application/json' });
    const attempts = app.seen.filter((q) => q.url === '/flaky?key=post');
    expect(attempts.map((q) => q.body.length)).toEqual([body.length, body.length, body.length]);
  });

  it('the same through the SDK over gRPC (InvokeService)', async () => {
    grpcClient = sdkClient('gRPC', caller);
    // The SDK's gRPC client has no query string (the method is sent as is): this is key ''.
    await expect(grpcClient.invoker.invoke(CALLEE, 'flaky', HttpMethod.GET)).resolves.toEqual({ attempt: 3 });
    expect(flaky.get('')).toBe(3);
  });

  it('a status outside `matching` (500) is not retried and reaches the caller as the app sent it', async () => {
    await breakerClosed();
    const before = app.count('/fail');
    const r = await call(CALLEE, 'fail');
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ failed: true });
    expect(app.count('/fail')).toBe(before + 1);
    await breakerClosed();
  });

  it('a timeout-only target: a slow endpoint -> ERR_DIRECT_INVOKE timeout, the attempt is cut before the app answers', async () => {
    const finished = slowFinished;
    const aborted = slowAborted;
    const r = await call(SLOW_ONLY, 'slow');
    expect(r.status).toBe(500);
    const body = (await r.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe('ERR_DIRECT_INVOKE');
    expect(body.message).toMatch(/timeout|deadline/i);
    expect(slowFinished).toBe(finished);
    // The runtime gave up on the request (the callee sees its connection closed).
    await eventually(() => slowAborted === aborted + 1, 5000, 'the slow request to be aborted');
  });

  it('the full policy: a slow endpoint times out on every attempt; the timeouts open the breaker after 3 attempts', async () => {
    await breakerClosed();
    const before = app.count('/slow');
    const finished = slowFinished;
    const r = await call(CALLEE, 'slow');
    expect(r.status).toBe(500);
    const body = (await r.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe('ERR_DIRECT_INVOKE');
    expect(body.message).toMatch(/timeout|circuit breaker/i);
    expect(app.count('/slow')).toBe(before + 3);
    expect(slowFinished).toBe(finished);
    await breakerClosed();
  });

  it('repeated failures open the breaker: calls fail fast without reaching the callee; after its timeout a probe closes it', async () => {
    await breakerClosed();
    const fails = app.count('/fail');
    for (let i = 0; i < 3; i++) expect((await call(CALLEE, 'fail')).status).toBe(500);
    expect(app.count('/fail')).toBe(fails + 3);
    const openedAt = Date.now();

    // Open: neither a failing nor a healthy path reaches the callee.
    const oks = app.count('/ok');
    for (const path of ['fail', 'ok', 'flaky?key=open']) {
      const r = await call(CALLEE, path);
      expect(r.status).toBe(500);
      const body = (await r.json()) as { errorCode: string; message: string };
      expect(body).toMatchObject({ errorCode: 'ERR_DIRECT_INVOKE' });
      expect(body.message).toMatch(/circuit breaker is open/);
    }
    expect(app.count('/fail')).toBe(fails + 3);
    expect(app.count('/ok')).toBe(oks);
    expect(flaky.get('open')).toBeUndefined();

    // Half-open after 1 s: the first call let through is the probe; it succeeds and closes the breaker.
    let probes = 0;
    await eventually(
      async () => {
        const r = await call(CALLEE, 'ok');
        if (r.status === 200) probes++;
        return r.status === 200;
      },
      10_000,
      'a probe to get through',
      100,
    );
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(900);
    expect(app.count('/ok')).toBe(oks + probes);
    expect(probes).toBe(1);

    // Closed: calls reach the callee again.
    expect((await call(CALLEE, 'fail')).status).toBe(500);
    expect(app.count('/fail')).toBe(fails + 4);
    expect((await call(CALLEE, 'ok')).status).toBe(200);
  });
});
