// HttpAppChannel against real node:http / https / http2 apps on loopback ports.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcCode, HTTPExtension_Verb, isApiError } from '@tessera/contracts';
import type { InternalInvokeResponse } from '@tessera/contracts';
import { HttpAppChannel, appPath } from './http-app-channel';
import { createAppChannel } from './create-app-channel';
import { startHttpTestApp, type HttpTestApp } from '../test/http-test-app';
import { ctx, freePort, invokeReq, until } from '../test/helpers';

const bodyOf = (r: InternalInvokeResponse): Buffer => r.message?.data?.value ?? Buffer.alloc(0);

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('HttpAppChannel (http)', () => {
  let app: HttpTestApp;
  let channel: HttpAppChannel;

  beforeAll(async () => {
    app = await startHttpTestApp();
    channel = new HttpAppChannel({ appId: 'app', host: '127.0.0.1', port: app.port, appApiToken: 'app-secret' });
  });
  afterAll(async () => {
    await channel.close();
    await app.close();
  });
  beforeEach(() => {
    app.requests.length = 0;
  });

  const verbs: Array<[HTTPExtension_Verb, string]> = [
    [HTTPExtension_Verb.GET, 'GET'],
    [HTTPExtension_Verb.HEAD, 'HEAD'],
    [HTTPExtension_Verb.POST, 'POST'],
    [HTTPExtension_Verb.PUT, 'PUT'],
    [HTTPExtension_Verb.DELETE, 'DELETE'],
    [HTTPExtension_Verb.OPTIONS, 'OPTIONS'],
    [HTTPExtension_Verb.TRACE, 'TRACE'],
    [HTTPExtension_Verb.PATCH, 'PATCH'],
  ];
  it.each(verbs)('sends verb %s as %s to /{method}?{querystring}', async (verb, name) => {
    const body = verb === HTTPExtension_Verb.GET || verb === HTTPExtension_Verb.HEAD || verb === HTTPExtension_Verb.TRACE ? '' : 'payload';
    const res = await channel.invokeMethod(invokeReq({ method: 'orders/42', verb, query: 'a=1&b=x%20y', body, contentType: 'text/plain' }), ctx());
    expect(res.status?.code).toBe(200);
    const seen = app.requests[0];
    expect(seen?.method).toBe(name);
    expect(seen?.url).toBe('/orders/42?a=1&b=x%20y');
    if (name === 'HEAD') {
      expect(bodyOf(res).length).toBe(0);
      expect(res.headers['x-reply']?.values).toEqual(['a', 'b']);
    } else {
      expect(seen?.body.toString()).toBe(body);
      expect(bodyOf(res).toString()).toBe(body);
    }
  });

  it('sends a request without http_extension (gRPC caller) as POST', async () => {
    await channel.invokeMethod(invokeReq({ method: 'plain', noExtension: true, body: 'x' }), ctx());
    expect(app.requests[0]?.method).toBe('POST');
    expect(app.requests[0]?.url).toBe('/plain');
  });

  it('sends verb NONE as POST and sets Content-Length: 0 on an empty POST', async () => {
    await channel.invokeMethod(invokeReq({ method: '/lead-slash', verb: HTTPExtension_Verb.NONE }), ctx());
    expect(app.requests[0]?.method).toBe('POST');
    expect(app.requests[0]?.url).toBe('/lead-slash');
    expect(app.requests[0]?.headers['content-length']).toBe('0');
  });

  it('round-trips binary bodies byte for byte', async () => {
    const bin = Buffer.alloc(256 * 1024);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) & 0xff;
    const res = await channel.invokeMethod(invokeReq({ body: bin, contentType: 'application/octet-stream' }), ctx());
    expect(app.requests[0]?.body.equals(bin)).toBe(true);
    expect(app.requests[0]?.headers['content-length']).toBe(String(bin.length));
    expect(app.requests[0]?.headers['content-type']).toBe('application/octet-stream');
    expect(bodyOf(res).equals(bin)).toBe(true);
    expect(res.message?.contentType).toBe('application/octet-stream');
  });

  it('forwards caller headers minus hop-by-hop, credentials and routing; adds the app token and trace context', async () => {
    await channel.invokeMethod(
      invokeReq({
        contentType: 'application/json',
        body: '{}',
        headers: {
          'x-custom': ['1', '2'],
          'dapr-caller-app-id': 'caller',
          'dapr-api-token': 'caller-dapr-token',
          'dapr-app-id': 'app',
          host: 'evil.example',
          connection: 'keep-alive, x-hop',
          'x-hop': 'drop me',
          'keep-alive': 'timeout=5',
          'transfer-encoding': 'chunked',
          'content-length': '9999',
          'content-type': 'text/ignored',
          traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
          'grpc-trace-bin': 'AAAA',
          ':authority': 'pseudo',
        },
      }),
      ctx({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' }),
    );
    const h = app.requests[0]?.headers ?? {};
    expect(h['x-custom']).toBe('1, 2');
    expect(h['dapr-caller-app-id']).toBe('caller');
    expect(h['dapr-api-token']).toBe('app-secret');
    expect(h['dapr-app-id']).toBeUndefined();
    expect(h['host']).toBe(`127.0.0.1:${app.port}`);
    expect(h['x-hop']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    expect(h['transfer-encoding']).toBeUndefined();
    expect(h['content-length']).toBe('2');
    expect(h['content-type']).toBe('application/json');
    expect(h['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(h['tracestate']).toBe('k=v');
    expect(h['grpc-trace-bin']).toBeUndefined();
  });

  it("passes the caller's own trace headers through when the context has none", async () => {
    const tp = '00-11111111111111111111111111111111-2222222222222222-01';
    await channel.invokeMethod(invokeReq({ headers: { traceparent: tp, tracestate: 'a=b' } }), ctx());
    expect(app.requests[0]?.headers['traceparent']).toBe(tp);
    expect(app.requests[0]?.headers['tracestate']).toBe('a=b');
  });

  it('sends no dapr-api-token when APP_API_TOKEN is not set', async () => {
    const plain = new HttpAppChannel({ appId: 'app', host: '127.0.0.1', port: app.port });
    try {
      await plain.invokeMethod(invokeReq({ headers: { 'dapr-api-token': 'caller-dapr-token' } }), ctx());
      expect(app.requests[0]?.headers['dapr-api-token']).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  it("passes the app's status, multi-valued headers and body through, whatever the status", async () => {
    for (const status of [201, 404, 418, 500, 503]) {
      const res = await channel.invokeMethod(invokeReq({ headers: { 'x-status': String(status) }, body: `s${status}`, contentType: 'text/plain' }), ctx());
      expect(res.status?.code).toBe(status);
      expect(bodyOf(res).toString()).toBe(`s${status}`);
      expect(res.headers['x-reply']?.values).toEqual(['a', 'b']);
      expect(res.headers['set-cookie']?.values).toEqual(['c1=1', 'c2=2']);
      expect(res.headers['content-type']?.values).toEqual(['text/plain']);
      expect(res.headers['connection']).toBeUndefined();
      expect(res.message?.contentType).toBe('text/plain');
    }
  });

  it('returns response trailers', async () => {
    const res = await channel.invokeMethod(invokeReq({ method: 'trailers', verb: HTTPExtension_Verb.GET }), ctx());
    expect(bodyOf(res).toString()).toBe('part1-part2');
    expect(res.trailers['x-checksum']?.values).toEqual(['abc123']);
  });

  it('escapes characters a request path cannot carry', async () => {
    expect(appPath('a b/ü?#', '')).toBe('/a%20b/%C3%BC%3F%23');
    expect(appPath('/x', '?q=1')).toBe('/x?q=1');
    await channel.invokeMethod(invokeReq({ method: 'a b/ü' }), ctx());
    expect(app.requests[0]?.url).toBe('/a%20b/%C3%BC');
  });

  it('reuses keep-alive connections', async () => {
    // undici checks an idle socket for a pending FIN/RST (one event-loop turn) before reusing it,
    // so back-to-back calls may alternate between two connections; never one per call.
    for (let i = 0; i < 6; i++) await channel.invokeMethod(invokeReq(), ctx());
    const ports = new Set(app.requests.map((r) => r.remotePort));
    expect(app.requests).toHaveLength(6);
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('aborts an in-flight call when the caller signal fires', async () => {
    const ac = new AbortController();
    const before = app.slow.total;
    const p = rejection(channel.invokeMethod(invokeReq({ method: 'slow/abort' }), ctx({ signal: ac.signal })));
    await app.waitForSlow(before + 1);
    ac.abort();
    const e = await p;
    expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.CANCELLED);
    await until(() => app.slow.active === 0, 5000, 'the app to see the connection close');
  });

  it('rejects with DEADLINE_EXCEEDED when the context deadline passes', async () => {
    const before = app.slow.total;
    const p = rejection(channel.invokeMethod(invokeReq({ method: 'slow/deadline' }), ctx({ deadline: Date.now() + 150 })));
    await app.waitForSlow(before + 1);
    const e = await p;
    expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.DEADLINE_EXCEEDED);
    expect(isApiError(e) && e.code).toBe('ERR_DIRECT_INVOKE');
    await until(() => app.slow.active === 0, 5000, 'the app to see the connection close');
  });

  it('refuses an already-aborted call without calling the app', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await rejection(channel.invokeMethod(invokeReq(), ctx({ signal: ac.signal })));
    expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.CANCELLED);
    expect(app.requests).toHaveLength(0);
  });
});

describe('HttpAppChannel --app-max-concurrency', () => {
  let app: HttpTestApp;
  beforeEach(async () => {
    app = await startHttpTestApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it('holds a third call while two are in flight (concurrency 2), FIFO', async () => {
    const channel = new HttpAppChannel({ appId: 'app', host: '127.0.0.1', port: app.port, maxConcurrency: 2 });
    try {
      const calls = [1, 2, 3].map((i) => channel.invokeMethod(invokeReq({ method: `slow/${i}` }), ctx()));
      await app.waitForSlow(2);
      expect(channel.inFlight).toBe(2);
      expect(channel.waiting).toBe(1);
      expect(app.slow.total).toBe(2);
      expect(app.requests.map((r) => r.url)).toEqual(['/slow/1', '/slow/2']);
      app.release();
      await app.waitForSlow(3);
      expect(app.requests[2]?.url).toBe('/slow/3');
      app.release();
      const res = await Promise.all(calls);
      expect(res.map((r) => r.status?.code)).toEqual([200, 200, 200]);
      expect(app.slow.peak).toBe(2);
      expect(channel.inFlight).toBe(0);
    } finally {
      await channel.close();
    }
  });

  it('drops a queued call whose caller aborts, without ever sending it', async () => {
    const channel = new HttpAppChannel({ appId: 'app', host: '127.0.0.1', port: app.port, maxConcurrency: 1 });
    try {
      const first = channel.invokeMethod(invokeReq({ method: 'slow/first' }), ctx());
      await app.waitForSlow(1);
      const ac = new AbortController();
      const queued = rejection(channel.invokeMethod(invokeReq({ method: 'queued' }), ctx({ signal: ac.signal })));
      expect(channel.waiting).toBe(1);
      ac.abort();
      const e = await queued;
      expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.CANCELLED);
      expect(channel.waiting).toBe(0);
      app.release();
      expect((await first).status?.code).toBe(200);
      await channel.invokeMethod(invokeReq({ method: 'after' }), ctx());
      expect(app.requests.map((r) => r.url)).toEqual(['/slow/first', '/after']);
    } finally {
      await channel.close();
    }
  });
});

describe('HttpAppChannel when the app is down', () => {
  it('rejects with ERR_DIRECT_INVOKE / UNAVAILABLE (appUnavailable)', async () => {
    const port = await freePort();
    const channel = new HttpAppChannel({ appId: 'downapp', host: '127.0.0.1', port });
    try {
      const e = await rejection(channel.invokeMethod(invokeReq(), ctx()));
      expect(isApiError(e)).toBe(true);
      if (!isApiError(e)) return;
      expect(e.code).toBe('ERR_DIRECT_INVOKE');
      expect(e.grpcCode).toBe(GrpcCode.UNAVAILABLE);
      expect(e.message).toContain('failed to invoke, id: downapp');
      expect(e.message).toContain('ECONNREFUSED');
    } finally {
      await channel.close();
    }
  });

  it('rejects with appUnavailable when the app drops the connection mid-call', async () => {
    const app = await startHttpTestApp();
    const channel = new HttpAppChannel({ appId: 'app', host: '127.0.0.1', port: app.port });
    try {
      const p = rejection(channel.invokeMethod(invokeReq({ method: 'slow/x' }), ctx()));
      await app.waitForSlow(1);
      await app.close();
      const e = await p;
      expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.UNAVAILABLE);
    } finally {
      await channel.close();
    }
  });
});

describe('HttpAppChannel when a connection breaks before the answer', () => {
  /**
   * A raw HTTP/1.1 app that closes the connection on the first request it reads (as an app that
   * just timed out a keep-alive socket does) and answers `ok` on every later connection.
   */
  async function startDroppingApp(): Promise<{ port: number; requests: string[]; close(): Promise<void> }> {
    const requests: string[] = [];
    let connections = 0;
    const server = net.createServer((socket) => {
      const first = connections++ === 0;
      socket.once('data', (d: Buffer) => {
        requests.push(d.toString('latin1').split('\r\n')[0] ?? '');
        if (first) socket.destroy();
        else socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    return { port, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it('sends an idempotent request (GET) once more on a fresh connection', async () => {
    const app = await startDroppingApp();
    const channel = new HttpAppChannel({ appId: 'app', host: '127.0.0.1', port: app.port });
    try {
      const res = await channel.invokeMethod(invokeReq({ verb: HTTPExtension_Verb.GET, method: 'again' }), ctx());
      expect(res.status?.code).toBe(200);
      expect(bodyOf(res).toString()).toBe('ok');
      expect(app.requests).toEqual(['GET /again HTTP/1.1', 'GET /again HTTP/1.1']);
    } finally {
      await channel.close();
      await app.close();
    }
  });

  it('does not send a POST again (it may have reached the app): appUnavailable', async () => {
    const app = await startDroppingApp();
    const channel = new HttpAppChannel({ appId: 'app', host: '127.0.0.1', port: app.port });
    try {
      const e = await rejection(channel.invokeMethod(invokeReq({ verb: HTTPExtension_Verb.POST, method: 'once' }), ctx()));
      expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.UNAVAILABLE);
      expect(app.requests).toEqual(['POST /once HTTP/1.1']);
    } finally {
      await channel.close();
      await app.close();
    }
  });
});

describe('HttpAppChannel app health checks', () => {
  it('turns unhealthy after `threshold` failed probes, refuses calls without calling the app, recovers after one success', async () => {
    const app = await startHttpTestApp();
    const channel = createAppChannel({
      appId: 'app',
      protocol: 'http',
      host: '127.0.0.1',
      port: app.port,
      appApiToken: 'app-secret',
      healthCheck: { enabled: true, path: '/healthz', probeIntervalMs: 10, probeTimeoutMs: 500, threshold: 3 },
    });
    const checker = channel.healthChecker;
    if (checker === undefined) throw new Error('expected a health checker');
    const probes = (): number => app.requests.filter((r) => r.url === '/healthz').length;
    const changes: Array<{ healthy: boolean; probes: number }> = [];
    checker.onChange((healthy) => changes.push({ healthy, probes: probes() }));
    try {
      expect(channel.healthy()).toBe(false); // unhealthy until the first probe succeeds
      checker.start();
      await until(() => channel.healthy(), 5000, 'healthy');
      expect(changes).toEqual([{ healthy: true, probes: 1 }]);
      expect(app.requests[0]?.headers['dapr-api-token']).toBe('app-secret');

      const okProbes = probes();
      app.healthStatus = 500;
      await until(() => !channel.healthy(), 5000, 'unhealthy');
      // Exactly `threshold` consecutive 500s were answered when the state flipped.
      expect(changes[1]).toEqual({ healthy: false, probes: okProbes + 3 });

      const e = await rejection(channel.invokeMethod(invokeReq({ method: 'must-not-arrive' }), ctx()));
      expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.UNAVAILABLE);
      expect(isApiError(e) && e.message).toBe('failed to invoke, id: app, err: app is not in a healthy state');
      expect(app.requests.some((r) => r.url === '/must-not-arrive')).toBe(false);

      const badProbes = probes();
      app.healthStatus = 204;
      await until(() => channel.healthy(), 5000, 'healthy again');
      expect(changes[2]).toEqual({ healthy: true, probes: badProbes + 1 });
      const res = await channel.invokeMethod(invokeReq({ method: 'arrives' }), ctx());
      expect(res.status?.code).toBe(200);
    } finally {
      await channel.close();
      await app.close();
    }
  });

  it('reports healthy when checks are disabled', async () => {
    const channel = createAppChannel({ appId: 'app', protocol: 'http', host: '127.0.0.1', port: 1, healthCheck: { enabled: false, path: '/healthz', probeIntervalMs: 5000, probeTimeoutMs: 500, threshold: 3 } });
    expect(channel.healthChecker).toBeUndefined();
    expect(channel.healthy()).toBe(true);
    await channel.close();
  });
});

describe('HttpAppChannel (h2c)', () => {
  it('speaks HTTP/2 cleartext: verbs, headers, multi-valued response headers, binary body', async () => {
    const app = await startHttpTestApp({ kind: 'h2c' });
    const channel = new HttpAppChannel({ appId: 'app', protocol: 'h2c', host: '127.0.0.1', port: app.port, appApiToken: 'tok' });
    try {
      const bin = Buffer.from([0, 1, 2, 255, 254, 0]);
      const res = await channel.invokeMethod(
        invokeReq({ method: 'h2/echo', query: 'q=1', body: bin, contentType: 'application/octet-stream', headers: { 'x-custom': ['1', '2'], connection: 'keep-alive', 'x-status': '202' } }),
        ctx({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }),
      );
      expect(res.status?.code).toBe(202);
      expect(bodyOf(res).equals(bin)).toBe(true);
      // HTTP/2 delivers a repeated field joined (set-cookie stays a list).
      expect(res.headers['x-reply']?.values).toEqual(['a, b']);
      const seen = app.requests[0];
      expect(seen?.method).toBe('POST');
      expect(seen?.url).toBe('/h2/echo?q=1');
      expect(seen?.headers['x-custom']).toBe('1, 2');
      expect(seen?.headers['dapr-api-token']).toBe('tok');
      expect(seen?.headers['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      expect(res.headers['set-cookie']?.values).toEqual(['c1=1', 'c2=2']);

      const head = await channel.invokeMethod(invokeReq({ verb: HTTPExtension_Verb.HEAD }), ctx());
      expect(head.status?.code).toBe(200);
      expect(bodyOf(head).length).toBe(0);
      const get = await channel.invokeMethod(invokeReq({ verb: HTTPExtension_Verb.GET, method: 'g' }), ctx());
      expect(get.status?.code).toBe(200);
      expect(app.requests.map((r) => r.method)).toEqual(['POST', 'HEAD', 'GET']);
    } finally {
      await channel.close();
      await app.close();
    }
  });

  it('rejects with appUnavailable when nothing listens', async () => {
    const channel = new HttpAppChannel({ appId: 'app', protocol: 'h2c', host: '127.0.0.1', port: await freePort() });
    try {
      const e = await rejection(channel.invokeMethod(invokeReq(), ctx()));
      expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.UNAVAILABLE);
    } finally {
      await channel.close();
    }
  });
});

describe('HttpAppChannel (https, self-signed app certificate)', () => {
  let dir: string | undefined;
  let tls: { key: string; cert: string } | undefined;
  beforeAll(() => {
    try {
      dir = mkdtempSync(join(tmpdir(), 'app-channel-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
    } catch {
      tls = undefined;
    }
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('calls an https app without verifying its certificate', async () => {
    if (tls === undefined) {
      console.warn('SKIPPED: https app channel test needs the openssl command to make a certificate');
      return;
    }
    const app = await startHttpTestApp({ kind: 'https', tls });
    const channel = new HttpAppChannel({ appId: 'app', protocol: 'https', host: '127.0.0.1', port: app.port });
    try {
      expect(channel.baseUrl).toBe(`https://127.0.0.1:${app.port}`);
      const res = await channel.invokeMethod(invokeReq({ method: 'secure', body: 'hi', contentType: 'text/plain' }), ctx());
      expect(res.status?.code).toBe(200);
      expect(bodyOf(res).toString()).toBe('hi');
      expect(app.requests[0]?.url).toBe('/secure');
    } finally {
      await channel.close();
      await app.close();
    }
  });

  it('refuses the self-signed certificate when verifyTls is set', async () => {
    if (tls === undefined) {
      console.warn('SKIPPED: https app channel test needs the openssl command to make a certificate');
      return;
    }
    const app = await startHttpTestApp({ kind: 'https', tls });
    const channel = new HttpAppChannel({ appId: 'remote', protocol: 'https', host: '127.0.0.1', port: app.port, verifyTls: true });
    try {
      const e = await rejection(channel.invokeMethod(invokeReq({ method: 'secure' }), ctx()));
      expect(isApiError(e) && e.code).toBe('ERR_DIRECT_INVOKE');
      expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.INTERNAL);
      expect(app.requests).toHaveLength(0);
    } finally {
      await channel.close();
      await app.close();
    }
  });
});
