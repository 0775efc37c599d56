// Access control on service invocation (components.md 4, semantics.md 11): the CALLEE's runtime is
// given a Configuration (--config) with accessControl defaultAction deny, trustDomain public, and a
// policy for one caller app allowing GET on /allowed/* only. The policy is evaluated by the
// callee's runtime on the caller identity its gateway carried: the trusted caller gets through
// for GET /allowed/<one segment> only; anything else, and any other caller, is 403
// ERR_DIRECT_INVOKE (gRPC PermissionDenied) without reaching the app.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpMethod } from '@dapr/dapr';
import type { DaprClient } from '@dapr/dapr';
import { startPlainHttpApp } from './support/invoke';
import type { PlainHttpApp } from './support/invoke';
import { freePort, startRuntime, tempDir } from './support/processes';
import type { Runtime } from './support/processes';
import { GrpcCode, sdkClient, sdkError } from './support/sdk';

const CALLEE = 'acl-callee';
const TRUSTED = 'trusted';
const STRANGER = 'stranger';

const CONFIG = `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: acl
spec:
  accessControl:
    defaultAction: deny
    trustDomain: public
    policies:
      - appId: ${TRUSTED}
        defaultAction: deny
        trustDomain: public
        namespace: default
        operations:
          - name: /allowed/*
            httpVerb: ['GET']
            action: allow
`;

describe('service invocation access control (callee --config)', () => {
  const env = { TESSERA_HOME: tempDir('tessera-home-') };
  let app: PlainHttpApp;
  let callee: Runtime;
  let trusted: Runtime;
  let stranger: Runtime;
  const clients: DaprClient[] = [];

  beforeAll(async () => {
    const dir = tempDir('tessera-acl-');
    writeFileSync(join(dir, 'config.yaml'), CONFIG);
    const ok = (_r: unknown, res: import('node:http').ServerResponse): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
    };
    app = await startPlainHttpApp(await freePort(), { '/allowed/x': ok, '/allowed/a/b': ok, '/other': ok });
    [callee, trusted, stranger] = await Promise.all([
      startRuntime({ appId: CALLEE, appPort: app.port, config: join(dir, 'config.yaml'), env }),
      startRuntime({ appId: TRUSTED, env }),
      startRuntime({ appId: STRANGER, env }),
    ]);
  });

  afterAll(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await Promise.all([callee?.stop(), trusted?.stop(), stranger?.stop()]);
    await app?.stop();
  });

  const invoke = (from: Runtime, method: string, path: string): Promise<Response> =>
    fetch(`${from.http}/v1.0/invoke/${CALLEE}/method/${path}`, { method, signal: AbortSignal.timeout(10_000) });

  it('the trusted caller may GET /allowed/<segment> (query string not part of the operation)', async () => {
    const before = app.count('/allowed/x');
    const r = await invoke(trusted, 'GET', 'allowed/x?q=1');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true });
    expect(app.count('/allowed/x')).toBe(before + 1);
    expect(app.seen.at(-1)?.headers['dapr-caller-app-id']).toBe(TRUSTED);
  });

  it.each([
    ['POST', 'allowed/x', 'a verb the policy does not list'],
    ['DELETE', 'allowed/x', 'a verb the policy does not list'],
    ['GET', 'other', 'an operation the policy does not list'],
    ['GET', 'allowed/a/b', '`*` matching one segment only'],
  ])('the trusted caller is denied %s /%s (%s): 403 ERR_DIRECT_INVOKE, the app is not called', async (method, path) => {
    const seen = app.seen.length;
    const r = await invoke(trusted, method, path);
    expect(r.status).toBe(403);
    const body = (await r.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe('ERR_DIRECT_INVOKE');
    expect(body.message).toMatch(/access control policy has denied access/);
    expect(app.seen.length).toBe(seen);
  });

  it('the dapr-app-id header form is checked the same way', async () => {
    const seen = app.seen.length;
    const denied = await fetch(`${trusted.http}/allowed/x`, { method: 'POST', headers: { 'dapr-app-id': CALLEE } });
    expect(denied.status).toBe(403);
    const allowed = await fetch(`${trusted.http}/allowed/x`, { headers: { 'dapr-app-id': CALLEE } });
    expect(allowed.status).toBe(200);
    expect(app.seen.length).toBe(seen + 1);
  });

  it('a caller without a policy is denied even GET /allowed/x (global default deny)', async () => {
    const seen = app.seen.length;
    const r = await invoke(stranger, 'GET', 'allowed/x');
    expect(r.status).toBe(403);
    expect(await r.json()).toMatchObject({ errorCode: 'ERR_DIRECT_INVOKE' });
    expect(app.seen.length).toBe(seen);
  });

  it('a client cannot claim another identity: dapr-caller-app-id sent by the stranger is ignored', async () => {
    const r = await fetch(`${stranger.http}/v1.0/invoke/${CALLEE}/method/allowed/x`, { headers: { 'dapr-caller-app-id': TRUSTED } });
    expect(r.status).toBe(403);
  });

  it('the SDK over HTTP and gRPC sees the same decisions (gRPC: PermissionDenied)', async () => {
    for (const protocol of ['HTTP', 'gRPC'] as const) {
      const t = sdkClient(protocol, trusted);
      const s = sdkClient(protocol, stranger);
      clients.push(t, s);
      await expect(t.invoker.invoke(CALLEE, 'allowed/x', HttpMethod.GET)).resolves.toEqual({ ok: true });
      const denied = await sdkError(protocol, () => t.invoker.invoke(CALLEE, 'allowed/x', HttpMethod.POST, { a: 1 }));
      const stranded = await sdkError(protocol, () => s.invoker.invoke(CALLEE, 'allowed/x', HttpMethod.GET));
      for (const e of [denied, stranded]) {
        if (protocol === 'HTTP') expect({ status: e.status, errorCode: e.errorCode }).toEqual({ status: 403, errorCode: 'ERR_DIRECT_INVOKE' });
        else expect(e.grpcCode).toBe(GrpcCode.PermissionDenied);
      }
    }
  });

  it('self-invocation is not subject to the callee\'s access control (daprd: invokeLocal skips ACL)', async () => {
    const r = await invoke(callee, 'POST', 'other');
    expect(r.status).toBe(200);
    expect(app.seen.at(-1)?.headers['dapr-caller-app-id']).toBe(CALLEE);
  });
});
