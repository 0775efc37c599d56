// Service invocation when the callee's runtime dies: caller runtime + callee runtime + callee app
// (plain node:http) under a bounded load (200 calls, 4 in flight, each with a client-side
// timeout). The callee's runtime is SIGKILLed mid-load, so its name-resolution row stays behind
// (live for up to updateInterval, 5 s), then restarted on the same app port with a new internal
// port. The caller is never restarted.
//  - Without a Resiliency policy: calls fail with ERR_DIRECT_INVOKE 500 (after daprd's built-in
//    retries of Unavailable), none hangs, and once the callee is back calls succeed again.
//  - With a caller-side retry policy (constant 200 ms, maxRetries 10) on the callee app, the
//    retries carry the calls across the restart: every call succeeds.
import type { ServerResponse } from 'node:http';
import { eventually, sleep, startPlainHttpApp } from './support/invoke';
import type { PlainHttpApp } from './support/invoke';
import { freePort, resourcesDir, startRuntime, tempDir } from './support/processes';
import type { Runtime } from './support/processes';

const CALLEE = 'fault-callee';
const CALLER = 'fault-caller';
const CALLER_RES = 'fault-caller-res';
const CLIENT_TIMEOUT_MS = 10_000;

const RESILIENCY = `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: carry-over
spec:
  policies:
    retries:
      carry:
        policy: constant
        duration: 200ms
        maxRetries: 10
  targets:
    apps:
      ${CALLEE}:
        retry: carry
`;

interface CallResult {
  readonly i: number;
  readonly start: number;
  readonly end: number;
  readonly status?: number;
  readonly errorCode?: string;
  readonly message?: string;
  /** The client gave up (timeout) or the connection failed: never expected. */
  readonly clientError?: string;
}

async function invokeOnce(caller: Runtime, i: number): Promise<CallResult> {
  const start = Date.now();
  try {
    const res = await fetch(`${caller.http}/v1.0/invoke/${CALLEE}/method/work?i=${i}`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
    const text = await res.text();
    const end = Date.now();
    if (res.status === 200) return { i, start, end, status: 200 };
    let body: { errorCode?: string; message?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = { message: text };
    }
    return { i, start, end, status: res.status, errorCode: body.errorCode, message: body.message };
  } catch (e) {
    return { i, start, end: Date.now(), clientError: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** `total` calls, `parallel` in flight, each worker pausing `paceMs` between its calls; `onResult` sees each completion. */
async function loadLoop(total: number, parallel: number, paceMs: number, call: (i: number) => Promise<CallResult>, onResult: (r: CallResult, all: CallResult[]) => void): Promise<CallResult[]> {
  const results: CallResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const r = await call(i);
      results.push(r);
      onResult(r, results);
      await sleep(paceMs);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results.sort((a, b) => a.i - b.i);
}

function summary(results: CallResult[]): string {
  return results.map((r) => `#${r.i} ${r.status ?? r.clientError} ${r.errorCode ?? ''} ${r.end - r.start}ms ${r.message ?? ''}`).join('\n');
}

describe('service invocation across a SIGKILL and restart of the callee runtime', () => {
  const env = { TESSERA_HOME: tempDir('tessera-home-') };
  let app: PlainHttpApp;
  let callee: Runtime | undefined;
  let caller: Runtime;
  let callerRes: Runtime;

  const startCallee = (): Promise<Runtime> => startRuntime({ appId: CALLEE, appPort: app.port, env });

  beforeAll(async () => {
    app = await startPlainHttpApp(await freePort(), {
      '/work': (_req, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      },
    });
    [callee, caller, callerRes] = await Promise.all([
      startCallee(),
      startRuntime({ appId: CALLER, env }),
      startRuntime({ appId: CALLER_RES, resources: [resourcesDir({ 'resiliency.yaml': RESILIENCY })], env }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([callee?.stop(), caller?.stop(), callerRes?.stop()]);
    await app?.stop();
  });

  it('without resiliency: calls fail with ERR_DIRECT_INVOKE (never hang) while the callee runtime is down, and succeed again after its restart', async () => {
    let killAt = 0;
    let restarted: Promise<Runtime> | undefined;
    let restartedAt = 0;
    const results = await loadLoop(200, 4, 20, (i) => invokeOnce(caller, i), (r, all) => {
      if (all.length === 50 && killAt === 0) {
        killAt = Date.now();
        void callee?.proc.kill();
      }
      // Restart on the first failure seen after the kill (the dead runtime's row may still be live).
      if (killAt > 0 && r.status !== 200 && !restarted) {
        restarted = startCallee().then((rt) => {
          restartedAt = Date.now();
          return rt;
        });
      }
    });
    callee = await (restarted ?? startCallee());
    if (restartedAt === 0) restartedAt = Date.now();

    const why = summary(results);
    expect(results).toHaveLength(200);
    // Never hangs: every call completed with an answer from the caller runtime.
    expect(results.filter((r) => r.clientError !== undefined)).toEqual([]);
    // Before the kill everything worked.
    for (const r of results.filter((x) => x.end < killAt)) expect(r.status).toBe(200);
    // While the callee runtime was down: Dapr's ERR_DIRECT_INVOKE 500 naming the target.
    const failures = results.filter((r) => r.status !== 200);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect({ status: f.status, errorCode: f.errorCode }).toEqual({ status: 500, errorCode: 'ERR_DIRECT_INVOKE' });
      expect(f.message).toContain(`id: ${CALLEE}`);
    }
    // Calls that started once the new callee runtime was healthy succeeded.
    const afterRestart = results.filter((r) => r.start >= restartedAt);
    expect(afterRestart.filter((r) => r.status !== 200).map((r) => `#${r.i} ${r.status} ${r.message}`)).toEqual([]);

    // The caller (never restarted) reaches the new callee runtime, stale row or not.
    await eventually(async () => (await invokeOnce(caller, -1)).status === 200, 15_000, `a call to succeed after the restart\n${why}`, 100);
    const after: CallResult[] = [];
    for (let i = 0; i < 20; i++) after.push(await invokeOnce(caller, 1000 + i));
    expect(after.filter((r) => r.status !== 200).map((r) => `#${r.i} ${r.status ?? r.clientError} ${r.message ?? ''}`)).toEqual([]);
  });

  it('with a retry policy (constant 200 ms, maxRetries 10): the retries carry every call across the restart', async () => {
    // Quiet start: the callee is reachable through this caller.
    await eventually(async () => (await invokeOnce(callerRes, -1)).status === 200, 15_000, 'the callee to be reachable');
    let killAt = 0;
    let healthyAt = 0;
    let restarted: Promise<Runtime> | undefined;
    const results = await loadLoop(200, 4, 10, (i) => invokeOnce(callerRes, i), (_r, all) => {
      if (all.length === 50 && killAt === 0) {
        killAt = Date.now();
        const dying = callee;
        // SIGKILL, then start the replacement at once: its row joins the dead one's, still live.
        restarted = (async () => {
          await dying?.proc.kill();
          const rt = await startCallee();
          healthyAt = Date.now();
          return rt;
        })();
      }
    });
    callee = await restarted;

    const outage = `the replacement was healthy ${healthyAt - killAt} ms after the kill`;
    const rel = (r: CallResult): string => `#${r.i} ${r.status ?? r.clientError} ${r.errorCode ?? ''} started at kill${r.start - killAt >= 0 ? '+' : ''}${r.start - killAt} ms, took ${r.end - r.start} ms ${r.message ?? ''}`;
    expect(results).toHaveLength(200);
    expect(results.filter((r) => r.clientError !== undefined)).toEqual([]);
    // A call fails only when its whole retry budget (10 x 200 ms) ran out before the replacement
    // could take it: the outage outlasted it (a loaded machine restarts slower than 2 s), or the
    // dead runtime's still-live row won the random pick for the last attempts (up to 1 s after).
    const budgetMs = 10 * 200;
    const failures = results.filter((r) => r.status !== 200);
    for (const f of failures) expect({ status: f.status, errorCode: f.errorCode }).toEqual({ status: 500, errorCode: 'ERR_DIRECT_INVOKE' });
    expect(failures.filter((f) => f.start + budgetMs >= healthyAt + 1000).map(rel)).toEqual([]);
    // Every call that started once the replacement was up succeeded.
    expect(results.filter((r) => r.start >= healthyAt && r.status !== 200).map(rel)).toEqual([]);
    // The retries carried calls across the restart: in flight while the callee runtime was down, answered 200.
    const carried = results.filter((r) => r.status === 200 && r.start < healthyAt && r.end > killAt && r.end - r.start >= 300);
    expect({ carried: carried.length > 0, outage, calls: results.filter((r) => r.end - r.start >= 300 || r.status !== 200).map(rel) }).toMatchObject({ carried: true });
  });
});
