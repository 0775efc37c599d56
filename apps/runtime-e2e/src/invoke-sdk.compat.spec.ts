// Compatibility: service invocation driven by the official Dapr JS SDK (@dapr/dapr 3.x).
// Callees: one app built with DaprServer over HTTP, one with DaprServer over gRPC
// (--app-protocol grpc), each behind its own runtime; a third runtime without an app is the
// caller, driven by DaprClient over HTTP and over gRPC. Covered: verbs, query strings, headers,
// JSON, text and 1 MiB bodies, `appId.namespace` targets, the callee's status, headers and errors
// as the SDK surfaces them, an unknown app, the caller identity and X-Forwarded-* / Forwarded
// headers, self-invocation, the `dapr-app-id` header and basic-auth forms with plain fetch,
// traceparent propagation, a client that gives up (the app's request is cancelled), and unary
// gRPC proxying (`dapr-app-id` metadata) to a raw grpc-js app: answers, headers, trailers, error
// statuses, deadline/cancel reaching the app, a server-streaming method.
// The same matrix runs again with every gateway hosted by one `tessera run -f` process.
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprServer, HttpMethod, LogLevel } from '@dapr/dapr';
import type { DaprClient } from '@dapr/dapr';
import { RawGrpcClient, eventually, startRawGrpcApp } from './support/invoke';
import type { RawGrpcApp } from './support/invoke';
import { freePort, startCli, startRuntime, tempDir, waitHttp } from './support/processes';
import type { Runtime, TesseraProcess } from './support/processes';
import { GrpcCode, sdkClient, sdkError } from './support/sdk';
import type { Protocol } from './support/sdk';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, verbose: () => undefined, debug: () => undefined };
const VERBS = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH] as const;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

const HTTP_CALLEE = 'svc-http';
const GRPC_CALLEE = 'svc-grpc';
const RAW_CALLEE = 'svc-raw';
const CALLER = 'caller';

interface Echo {
  verb: string;
  body: string;
  query: string;
  contentType?: string;
  headers?: Record<string, string>;
}

interface ExpressLike {
  get(path: string, h: (req: { params: Record<string, string> }, res: ExpressRes) => void): void;
  post(path: string, h: (req: { params: Record<string, string> }, res: ExpressRes) => void): void;
}
interface ExpressRes {
  status(code: number): ExpressRes;
  json(body: unknown): void;
  set(k: string, v: string): ExpressRes;
  on(event: 'close', f: () => void): void;
  readonly writableFinished: boolean;
}

/** Requests to the HTTP callee's `/slow` that were closed before it answered. */
const httpSlow = { aborted: 0 };

/** A callee built with DaprServer: `echo` for every verb, `boom` throwing; HTTP also `/status/:code`. */
async function startSdkApp(protocol: 'HTTP' | 'gRPC', appPort: number, daprHttpPort: number, daprGrpcPort: number): Promise<DaprServer> {
  const server = new DaprServer({
    serverHost: '127.0.0.1',
    serverPort: String(appPort),
    communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    clientOptions: {
      daprHost: '127.0.0.1',
      daprPort: String(protocol === 'HTTP' ? daprHttpPort : daprGrpcPort),
      communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    },
    logger: { level: LogLevel.Error, service: quiet },
  });
  for (const verb of VERBS) {
    await server.invoker.listen(
      'echo',
      async (data) => {
        const out: Echo = { verb: verb.toUpperCase(), body: data.body ?? '', query: data.query ?? '', contentType: data.metadata?.contentType };
        if (data.headers) out.headers = data.headers as Record<string, string>;
        return out;
      },
      { method: verb },
    );
  }
  await server.invoker.listen('text', async () => 'plain answer', { method: HttpMethod.GET });
  await server.invoker.listen(
    'boom',
    async () => {
      throw new Error('kaboom');
    },
    { method: HttpMethod.POST },
  );
  if (protocol === 'HTTP') {
    const app = (server.daprServer as unknown as { getServer(): ExpressLike }).getServer();
    app.get('/status/:code', (req, res) => {
      res.set('x-reply-header', 'from-app').status(Number(req.params['code'])).json({ reason: `answered ${req.params['code']}` });
    });
    const slow = (_req: unknown, res: ExpressRes): void => {
      const t = setTimeout(() => res.json({ late: true }), 3000);
      res.on('close', () => {
        if (res.writableFinished) return;
        clearTimeout(t);
        httpSlow.aborted++;
      });
    };
    app.get('/slow', slow);
    app.post('/slow', slow);
    // Express answers a synchronous throw with 500 and an HTML page.
    app.get('/crash', () => {
      throw new Error('crashed');
    });
  }
  await server.start();
  return server;
}

interface Topology {
  caller: { httpPort: number; grpcPort: number; http: string };
  /** The HTTP callee's own runtime. */
  callee: { http: string };
  /** A runtime whose app is the raw gRPC app (for proxying to self). */
  raw?: { grpcPort: number };
  rawApp?: RawGrpcApp;
}

/** The invocation matrix against a running topology. */
function invokeMatrix(topo: () => Topology, opts: { withRaw: boolean }): void {
  const clients: Partial<Record<Protocol, DaprClient>> = {};
  const client = (p: Protocol): DaprClient => {
    const c = clients[p] ?? sdkClient(p, topo().caller);
    clients[p] = c;
    return c;
  };
  afterAll(async () => {
    for (const c of Object.values(clients)) await c?.stop().catch(() => undefined);
  });

  describe.each(['HTTP', 'gRPC'] as const)('DaprClient over %s', (protocol) => {
    describe.each([HTTP_CALLEE, GRPC_CALLEE])('-> %s', (callee) => {
      const httpCallee = callee === HTTP_CALLEE;

      it.each(VERBS)('%s echo with a JSON body reaches the callee with its verb, body and content type', async (verb) => {
        const body = { order: 42, verb };
        const res = (await client(protocol).invoker.invoke(callee, 'echo', verb, verb === HttpMethod.GET ? undefined : body)) as Echo;
        expect(res.verb).toBe(verb.toUpperCase());
        if (verb !== HttpMethod.GET) {
          expect(JSON.parse(res.body)).toEqual(body);
          expect(res.contentType).toMatch(/^application\/json/);
        }
      });

      it('a text body arrives as text/plain', async () => {
        const res = (await client(protocol).invoker.invoke(callee, 'echo', HttpMethod.POST, 'hello text' as unknown as object /* the SDK types say object; strings are sent as text/plain */)) as Echo;
        expect(res.contentType).toMatch(/^text\/plain/);
        // The SDK's HTTP server JSON-encodes what body-parser gave it; its gRPC server hands over the raw text.
        expect(res.body).toBe(httpCallee ? JSON.stringify('hello text') : 'hello text');
      });

      it('a JSON string answer comes back to the caller', async () => {
        expect(await client(protocol).invoker.invoke(callee, 'text', HttpMethod.GET)).toBe('plain answer');
      });

      it('a 1 MiB JSON body makes the round trip', async () => {
        const big = { blob: 'x'.repeat(1024 * 1024) };
        const res = (await client(protocol).invoker.invoke(callee, 'echo', HttpMethod.POST, big)) as Echo;
        expect(res.body.length).toBe(JSON.stringify(big).length);
      });

      it('the `appId.namespace` target form reaches the same app', async () => {
        const res = (await client(protocol).invoker.invoke(`${callee}.default`, 'echo', HttpMethod.POST, { ns: true })) as Echo;
        expect(JSON.parse(res.body)).toEqual({ ns: true });
      });

      if (protocol === 'HTTP') {
        it('the query string reaches the callee', async () => {
          const res = (await client(protocol).invoker.invoke(callee, 'echo?x=1&y=two%20words', HttpMethod.GET)) as Echo;
          expect(res.query).toBe(httpCallee ? '/echo?x=1&y=two%20words' : 'x=1&y=two%20words');
        });
      }

      if (httpCallee) {
        if (protocol === 'HTTP') {
          it('request headers reach the callee; the caller identity headers are set by the runtime, not the client', async () => {
            const res = (await client(protocol).invoker.invoke(callee, 'echo', HttpMethod.POST, { a: 1 }, {
              headers: { 'x-test-header': 'v1', 'dapr-caller-app-id': 'spoofed', 'dapr-callee-app-id': 'spoofed' },
            })) as Echo;
            expect(res.headers).toMatchObject({
              'x-test-header': 'v1',
              'dapr-caller-app-id': CALLER,
              'dapr-caller-namespace': 'default',
              'dapr-callee-app-id': HTTP_CALLEE,
            });
          });

          it('a traceparent header arrives at the callee with the same trace id', async () => {
            const res = (await client(protocol).invoker.invoke(callee, 'echo', HttpMethod.GET, undefined, { headers: { traceparent: TRACEPARENT } })) as Echo;
            expect(res.headers?.['traceparent']).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-[0-9a-f]{2}$`));
          });
        } else {
          it('the caller identity headers reach the callee', async () => {
            const res = (await client(protocol).invoker.invoke(callee, 'echo', HttpMethod.POST, { a: 1 })) as Echo;
            expect(res.headers).toMatchObject({ 'dapr-caller-app-id': CALLER, 'dapr-caller-namespace': 'default', 'dapr-callee-app-id': HTTP_CALLEE });
          });
        }

        it('the calling runtime adds X-Forwarded-For, X-Forwarded-Host and Forwarded for a remote target (http-api.md 1.1)', async () => {
          const res = (await client(protocol).invoker.invoke(callee, 'echo', HttpMethod.POST, { a: 1 })) as Echo;
          const h = res.headers ?? {};
          expect(h['x-forwarded-host']).toBe(hostname());
          expect(h['x-forwarded-for']).toMatch(/^[0-9a-f.:]+$/i);
          expect(h['forwarded']).toBe(`for=${h['x-forwarded-for']};by=${h['x-forwarded-for']};host=${hostname()}`);
        });

        it.each([404, 500])('the callee answering %i with a body reaches the SDK as that status', async (code) => {
          const e = await sdkError(protocol, () => client(protocol).invoker.invoke(callee, `status/${code}`, HttpMethod.GET));
          if (protocol === 'HTTP') {
            expect(e.status).toBe(code);
            expect(JSON.parse((JSON.parse((e.raw as Error).message) as { error_msg: string }).error_msg)).toEqual({ reason: `answered ${code}` });
          } else {
            // HTTP -> gRPC mapping (errors.md 3): 404 NotFound, 500 Unknown; ErrorInfo carries the HTTP status.
            expect(e.grpcCode).toBe(code === 404 ? GrpcCode.NotFound : 2);
            expect(e.errorInfos).toEqual([
              {
                reason: code === 404 ? 'Not Found' : 'Internal Server Error',
                domain: 'dapr.io',
                metadata: { 'http.code': String(code), 'http.error_message': JSON.stringify({ reason: `answered ${code}` }) },
              },
            ]);
          }
        });

        it('an app crash (Express 500 page) reaches the SDK as 500', async () => {
          const e = await sdkError(protocol, () => client(protocol).invoker.invoke(callee, 'crash', HttpMethod.GET));
          if (protocol === 'HTTP') expect(e.status).toBe(500);
          else expect(e.grpcCode).toBe(2);
        });
      } else {
        it('an error thrown by the gRPC callee reaches the SDK (Connect masks it as Internal "internal error")', async () => {
          const e = await sdkError(protocol, () => client(protocol).invoker.invoke(callee, 'boom', HttpMethod.POST, { x: 1 }));
          if (protocol === 'HTTP') {
            // A gRPC app's status becomes the mapped HTTP status with the status as JSON (http-api.md 1.1).
            expect(e.status).toBe(500);
            const body = JSON.parse((JSON.parse((e.raw as Error).message) as { error_msg: string }).error_msg) as unknown;
            expect(body).toEqual({ code: GrpcCode.Internal, message: 'internal error', details: [] });
          } else {
            expect(e.grpcCode).toBe(GrpcCode.Internal);
            expect(e.message).toBe('internal error');
          }
        });
      }
    });

    it('an unknown app id -> ERR_DIRECT_INVOKE (HTTP 500 / gRPC Internal)', async () => {
      const e = await sdkError(protocol, () => client(protocol).invoker.invoke('no-such-app', 'echo', HttpMethod.GET));
      if (protocol === 'HTTP') expect({ status: e.status, errorCode: e.errorCode }).toEqual({ status: 500, errorCode: 'ERR_DIRECT_INVOKE' });
      else expect(e.grpcCode).toBe(GrpcCode.Internal);
      expect(e.message).toContain('no-such-app');
    });
  });

  describe('plain fetch', () => {
    it('the dapr-app-id header routes any path to the app (method = the whole path, query kept)', async () => {
      const res = await fetch(`${topo().caller.http}/echo?via=header`, {
        method: 'PUT',
        headers: { 'dapr-app-id': HTTP_CALLEE, 'content-type': 'application/json' },
        body: JSON.stringify({ put: true }),
      });
      expect(res.status).toBe(200);
      const echo = (await res.json()) as Echo;
      expect(echo).toMatchObject({ verb: 'PUT', query: '/echo?via=header', body: '{"put":true}' });
      expect(echo.headers).not.toHaveProperty('dapr-app-id');
      expect(echo.headers?.['dapr-caller-app-id']).toBe(CALLER);
    });

    it('the dapr-app-id header works for the gRPC callee too', async () => {
      const res = await fetch(`${topo().caller.http}/echo?q=1`, { method: 'POST', headers: { 'dapr-app-id': GRPC_CALLEE, 'content-type': 'text/plain' }, body: 'grpc-bound' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ verb: 'POST', body: 'grpc-bound', query: 'q=1', contentType: 'text/plain' });
    });

    it('basic auth dapr-app-id:<target> routes like the header', async () => {
      const res = await fetch(`${topo().caller.http}/echo`, { headers: { authorization: `Basic ${Buffer.from(`dapr-app-id:${HTTP_CALLEE}`).toString('base64')}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ verb: 'GET', query: '/echo' });
    });

    it('the callee\'s status, headers and body pass through verbatim', async () => {
      const res = await fetch(`${topo().caller.http}/v1.0/invoke/${HTTP_CALLEE}/method/status/418`);
      expect(res.status).toBe(418);
      expect(res.headers.get('x-reply-header')).toBe('from-app');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ reason: 'answered 418' });
    });

    it('self-invocation through the callee\'s own runtime: caller and callee are the app itself, no X-Forwarded-*', async () => {
      const res = await fetch(`${topo().callee.http}/v1.0/invoke/${HTTP_CALLEE}/method/echo`);
      expect(res.status).toBe(200);
      const echo = (await res.json()) as Echo;
      expect(echo.headers).toMatchObject({ 'dapr-caller-app-id': HTTP_CALLEE, 'dapr-callee-app-id': HTTP_CALLEE });
      expect(echo.headers).not.toHaveProperty('x-forwarded-for');
    });

    it('an HTTP caller invoking a gRPC app that does not implement OnInvoke gets the mapped status (501) with the gRPC status as JSON', async () => {
      const res = await fetch(`${topo().caller.http}/v1.0/invoke/${RAW_CALLEE}/method/anything`, { method: 'POST', body: 'x' });
      expect(res.status).toBe(501);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ code: 12 });
    });

    // POST: the runtime has read the caller's body before the call starts (its request object is
    // closed by then), so only the response tells that the caller went away.
    it.each(['GET', 'POST'])('a client that gives up cancels the call: the app sees its request closed (%s)', async (method) => {
      const before = httpSlow.aborted;
      const body = method === 'POST' ? 'payload' : undefined;
      await expect(fetch(`${topo().caller.http}/v1.0/invoke/${HTTP_CALLEE}/method/slow`, { method, body, signal: AbortSignal.timeout(300) })).rejects.toThrow();
      await eventually(() => httpSlow.aborted === before + 1, 5000, 'the app to see its request closed');
    });

    it('no target -> 404 ERR_DIRECT_INVOKE', async () => {
      const res = await fetch(`${topo().caller.http}/echo`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ errorCode: 'ERR_DIRECT_INVOKE' });
    });

    it('traceparent reaches the callee with the same trace id (invoke path form)', async () => {
      const res = await fetch(`${topo().caller.http}/v1.0/invoke/${HTTP_CALLEE}/method/echo`, { headers: { traceparent: TRACEPARENT } });
      expect(res.status).toBe(200);
      const echo = (await res.json()) as Echo;
      expect(echo.headers?.['traceparent']).toMatch(new RegExp(`^00-${TRACE_ID}-`));
    });
  });

  if (opts.withRaw) {
    describe('gRPC proxying (dapr-app-id metadata) to a raw grpc-js app', () => {
      let viaCaller: RawGrpcClient;
      let viaOwn: RawGrpcClient;
      beforeAll(() => {
        viaCaller = new RawGrpcClient(`127.0.0.1:${topo().caller.grpcPort}`);
        viaOwn = new RawGrpcClient(`127.0.0.1:${topo().raw?.grpcPort}`);
      });
      afterAll(() => {
        viaCaller?.close();
        viaOwn?.close();
      });

      it('a unary call through the caller runtime reaches the app and its answer, headers and trailers come back', async () => {
        const app = topo().rawApp as RawGrpcApp;
        const before = app.calls.length;
        const r = await viaCaller.call('Say', 'ping', { 'dapr-app-id': RAW_CALLEE, 'x-custom': 'yes', traceparent: TRACEPARENT });
        expect(r.error).toBeUndefined();
        expect(r.response?.toString()).toBe('echo:ping');
        expect(r.headers['x-reply-header']).toEqual(['h']);
        expect(r.trailers['x-reply-trailer']).toEqual(['t']);
        const seen = app.calls[before];
        expect(seen?.request.toString()).toBe('ping');
        expect(seen?.metadata).toMatchObject({
          'x-custom': ['yes'],
          'dapr-caller-app-id': [CALLER],
          'dapr-callee-app-id': [RAW_CALLEE],
          'dapr-caller-namespace': ['default'],
        });
        expect(seen?.metadata['traceparent']?.[0]).toMatch(new RegExp(`^00-${TRACE_ID}-`));
      });

      it('the app\'s error status comes back unchanged', async () => {
        const r = await viaCaller.call('Fail', 'thing', { 'dapr-app-id': RAW_CALLEE });
        expect(r.error?.code).toBe(5);
        expect(r.error?.details).toBe('no such thing: thing');
      });

      it('through the app\'s own runtime (self-invocation) too', async () => {
        const r = await viaOwn.call('Say', 'self', { 'dapr-app-id': RAW_CALLEE });
        expect(r.error).toBeUndefined();
        expect(r.response?.toString()).toBe('echo:self');
      });

      it('the client\'s deadline reaches the app: its call is cancelled when the client gives up', async () => {
        const app = topo().rawApp as RawGrpcApp;
        const before = app.slowCancelled();
        const r = await viaCaller.call('Slow', 'x', { 'dapr-app-id': RAW_CALLEE }, 300);
        expect(r.error?.code).toBe(4);
        await eventually(() => app.slowCancelled() === before + 1, 5000, 'the app to see its call cancelled');
      });

      it('a server-streaming method is proxied too: every message, then OK (streaming in depth: invoke-grpc-streaming.e2e.spec.ts)', async () => {
        const r = await viaCaller.stream('x', { 'dapr-app-id': RAW_CALLEE });
        expect(r.status.code).toBe(0);
        expect(r.messages).toEqual(['one', 'two', 'three']);
      });

      it('without dapr-app-id an unknown method is UNIMPLEMENTED', async () => {
        const r = await viaCaller.call('Say', 'x');
        expect(r.error?.code).toBe(12);
      });

      it('to an unknown app id -> an error, not a hang', async () => {
        const r = await viaCaller.call('Say', 'x', { 'dapr-app-id': 'no-such-app' }, 5000);
        expect(r.error?.code).toBe(GrpcCode.Internal);
        expect(r.error?.details).toContain('no-such-app');
      });
    });
  }
}

describe('service invocation with the Dapr SDK: one runtime per app', () => {
  const env = { TESSERA_HOME: tempDir('tessera-home-') };
  const runtimes: Runtime[] = [];
  const servers: DaprServer[] = [];
  let rawApp: RawGrpcApp | undefined;
  const topo: Topology = { caller: { httpPort: 0, grpcPort: 0, http: '' }, callee: { http: '' } };

  beforeAll(async () => {
    const [httpAppPort, grpcAppPort, rawAppPort] = [await freePort(), await freePort(), await freePort()];
    const ports = { h1: await freePort(), g1: await freePort(), h2: await freePort(), g2: await freePort() };
    const httpRt = startRuntime({ appId: HTTP_CALLEE, appPort: httpAppPort, httpPort: ports.h1, grpcPort: ports.g1, env, noWait: true });
    const grpcRt = startRuntime({ appId: GRPC_CALLEE, appPort: grpcAppPort, appProtocol: 'grpc', httpPort: ports.h2, grpcPort: ports.g2, env, noWait: true });
    rawApp = await startRawGrpcApp(rawAppPort);
    topo.rawApp = rawApp;
    const rawRt = startRuntime({ appId: RAW_CALLEE, appPort: rawAppPort, appProtocol: 'grpc', env });
    const callerRt = startRuntime({ appId: CALLER, env });
    runtimes.push(await httpRt, await grpcRt);
    topo.callee = { http: `http://127.0.0.1:${ports.h1}` };
    servers.push(
      ...(await Promise.all([startSdkApp('HTTP', httpAppPort, ports.h1, ports.g1), startSdkApp('gRPC', grpcAppPort, ports.h2, ports.g2)])),
    );
    for (const rt of runtimes) await waitHttp(rt.proc, `${rt.http}/v1.0/healthz`, 20_000, (s) => s === 204);
    const raw = await rawRt;
    const caller = await callerRt;
    runtimes.push(raw, caller);
    topo.caller = caller;
    topo.raw = raw;
  }, 60_000);

  afterAll(async () => {
    // Runtimes first: the SDK's gRPC server only closes once the runtime's HTTP/2 session is gone.
    await Promise.all(runtimes.map((r) => r.stop()));
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await rawApp?.stop();
  });

  invokeMatrix(() => topo, { withRaw: true });
});

describe('service invocation with the Dapr SDK: all apps in one `tessera run -f` process', () => {
  const env = { TESSERA_HOME: tempDir('tessera-home-') };
  let run: TesseraProcess | undefined;
  const servers: DaprServer[] = [];
  let rawApp: RawGrpcApp | undefined;
  const topo: Topology = { caller: { httpPort: 0, grpcPort: 0, http: '' }, callee: { http: '' } };

  beforeAll(async () => {
    const p = async (): Promise<number> => freePort();
    const apps = {
      [HTTP_CALLEE]: { appPort: await p(), http: await p(), grpc: await p(), protocol: 'http' },
      [GRPC_CALLEE]: { appPort: await p(), http: await p(), grpc: await p(), protocol: 'grpc' },
      [RAW_CALLEE]: { appPort: await p(), http: await p(), grpc: await p(), protocol: 'grpc' },
      [CALLER]: { appPort: 0, http: await p(), grpc: await p(), protocol: 'http' },
    };
    const dir = tempDir('tessera-runfile-');
    const lines = ['version: 1', 'apps:'];
    for (const [id, a] of Object.entries(apps)) {
      mkdirSync(join(dir, id));
      lines.push(`  - appID: ${id}`, `    appDirPath: ./${id}`, `    daprHTTPPort: ${a.http}`, `    daprGRPCPort: ${a.grpc}`);
      if (a.appPort) lines.push(`    appPort: ${a.appPort}`, `    appProtocol: ${a.protocol}`);
    }
    writeFileSync(join(dir, 'dapr.yaml'), `${lines.join('\n')}\n`);
    rawApp = await startRawGrpcApp(apps[RAW_CALLEE].appPort);
    topo.rawApp = rawApp;
    run = startCli(['run', '-f', join(dir, 'dapr.yaml')], { env, cwd: dir });
    servers.push(
      ...(await Promise.all([
        startSdkApp('HTTP', apps[HTTP_CALLEE].appPort, apps[HTTP_CALLEE].http, apps[HTTP_CALLEE].grpc),
        startSdkApp('gRPC', apps[GRPC_CALLEE].appPort, apps[GRPC_CALLEE].http, apps[GRPC_CALLEE].grpc),
      ])),
    );
    for (const a of Object.values(apps)) await waitHttp(run, `http://127.0.0.1:${a.http}/v1.0/healthz`, 30_000, (s) => s === 204);
    topo.caller = { httpPort: apps[CALLER].http, grpcPort: apps[CALLER].grpc, http: `http://127.0.0.1:${apps[CALLER].http}` };
    topo.raw = { grpcPort: apps[RAW_CALLEE].grpc };
    topo.callee = { http: `http://127.0.0.1:${apps[HTTP_CALLEE].http}` };
    // Every gateway of the run has registered once the caller resolves each callee.
    await eventually(
      async () => (await fetch(`${topo.caller.http}/v1.0/invoke/${HTTP_CALLEE}/method/text`)).status === 200,
      20_000,
      'the caller to reach svc-http',
    );
  }, 60_000);

  afterAll(async () => {
    await run?.stop();
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await rawApp?.stop();
  });

  invokeMatrix(() => topo, { withRaw: true });
});
