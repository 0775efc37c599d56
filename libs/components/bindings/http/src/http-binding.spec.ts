// bindings.http against a real local node:http server (and an https one with mutual TLS when
// openssl is available to mint certificates), plus the pure request/response mapping.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Binding, BindingInvokeResponse, ComponentMetadata } from '@tessera/spi';
import { createHttpBinding } from './http-binding';
import { canonicalHeaderKey, httpMethodFor, joinUrl, parseHttpBindingMetadata, parseQuantity, requestHeaders, responseMetadata } from './http-metadata';

function meta(properties: Record<string, string>): ComponentMetadata {
  return { name: 'web', type: 'bindings.http', version: 'v1', appId: 'app', properties };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Records each request; answers per path: /status/<n>, /slow, /big, else 200 JSON echo. */
function handler(seen: Seen[]): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = req.url ?? '/';
      const status = /\/status\/(\d+)/.exec(url);
      if (status?.[1]) {
        res.writeHead(Number(status[1]), { 'Content-Type': 'text/plain', 'X-Reason': 'asked' });
        res.end(`status ${status[1]}`);
      } else if (url.includes('/slow')) {
        setTimeout(() => res.end('late'), 500);
      } else if (url.includes('/big')) {
        res.end(Buffer.alloc(4096, 'a'));
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Multi': ['a', 'b'] });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ method: req.method, url, body }));
      }
    });
  };
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function stop(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

describe('bindings.http mapping', () => {
  it('maps operations to verbs', () => {
    expect(httpMethodFor('create')).toBe('POST');
    for (const op of ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']) expect(httpMethodFor(op)).toBe(op.toUpperCase());
    expect(httpMethodFor('list')).toBeUndefined();
  });

  it('joins path onto the base URL with one slash', () => {
    const base = new URL('http://h:1/api/');
    expect(joinUrl(base, undefined).href).toBe('http://h:1/api/');
    expect(joinUrl(base, '/v1/items?x=1').href).toBe('http://h:1/api/v1/items?x=1');
    expect(joinUrl(new URL('http://h:1/api'), 'v1').href).toBe('http://h:1/api/v1');
  });

  it('turns upper-case metadata keys and trace context into headers', () => {
    expect(requestHeaders({ path: '/x', 'X-Token': 't', 'Content-Type': 'text/plain', traceparent: 'tp', tracestate: 'ts', baggage: 'b', lower: 'no' }, { header: 'Authorization', token: 'Bearer s' })).toEqual({
      Accept: 'application/json; charset=utf-8',
      'Content-Type': 'text/plain',
      'X-Token': 't',
      traceparent: 'tp',
      tracestate: 'ts',
      baggage: 'b',
      Authorization: 'Bearer s',
    });
  });

  it('reports status and canonical header keys', () => {
    expect(canonicalHeaderKey('x-request-id')).toBe('X-Request-Id');
    expect(responseMetadata(404, 'Not Found', { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] })).toEqual({
      statusCode: '404', status: '404 Not Found', 'Content-Type': 'text/plain', 'Set-Cookie': 'a=1, b=2',
    });
  });

  it('parses sizes and refuses bad metadata naming the field', () => {
    expect(parseQuantity('100Mi')).toBe(100 * 1024 * 1024);
    expect(parseQuantity('2k')).toBe(2000);
    expect(parseQuantity('2048')).toBe(2048);
    expect(parseQuantity('lots')).toBeUndefined();
    const s = parseHttpBindingMetadata(meta({ url: 'http://localhost:1/' }));
    expect(s).toMatchObject({ maxResponseBodySize: 100 * 1024 * 1024, responseTimeoutMs: 0, errorIfNot2XX: true, tls: {} });
    const fieldOf = (p: Record<string, string>): string | undefined => {
      try {
        parseHttpBindingMetadata(meta(p));
      } catch (e) {
        return (e as { field?: string }).field;
      }
      return undefined;
    };
    expect(fieldOf({})).toBe('url');
    expect(fieldOf({ url: 'not a url' })).toBe('url');
    expect(fieldOf({ url: 'ftp://x/' })).toBe('url');
    expect(fieldOf({ url: 'http://x/', maxResponseBodySize: 'huge' })).toBe('maxResponseBodySize');
    expect(fieldOf({ url: 'http://x/', responseTimeout: 'soon' })).toBe('responseTimeout');
    expect(fieldOf({ url: 'http://x/', errorIfNot2XX: 'maybe' })).toBe('errorIfNot2XX');
    expect(fieldOf({ url: 'http://x/', securityToken: 's' })).toBe('securityTokenHeader');
    expect(fieldOf({ url: 'http://x/', MTLSRootCA: '/nonexistent/ca.pem' })).toBe('MTLSRootCA');
    expect(fieldOf({ url: 'http://x/', MTLSClientCert: '-----BEGIN CERTIFICATE-----\n' })).toBe('MTLSClientKey');
  });
});

describe('bindings.http against a local server', () => {
  const seen: Seen[] = [];
  const server = http.createServer(handler(seen));
  let base = '';
  const open: Binding[] = [];

  beforeAll(async () => {
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
    seen.length = 0;
  });
  afterAll(() => stop(server));

  async function binding(extra: Record<string, string> = {}): Promise<Binding> {
    const b = createHttpBinding(meta({ url: `${base}/api`, ...extra }));
    open.push(b);
    await b.init();
    return b;
  }

  async function invoke(b: Binding, operation: string, data = '', metadata: Record<string, string> = {}): Promise<BindingInvokeResponse | undefined> {
    if (!b.invoke) throw new Error('not an output binding');
    return b.invoke({ operation, data: enc(data), metadata });
  }

  it('lists its operations and is output only', async () => {
    const b = await binding();
    expect(b.operations?.()).toEqual(['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']);
    expect(b.read).toBeUndefined();
  });

  it('sends every verb to url+path; bodies for create/post/put/patch only', async () => {
    const b = await binding();
    for (const op of ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']) {
      const res = await invoke(b, op, '{"n":1}', { path: `/items/${op}` });
      expect(res?.metadata?.['statusCode']).toBe('200');
    }
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/api/items/create', '{"n":1}'],
      ['GET', '/api/items/get', ''],
      ['HEAD', '/api/items/head', ''],
      ['POST', '/api/items/post', '{"n":1}'],
      ['PUT', '/api/items/put', '{"n":1}'],
      ['PATCH', '/api/items/patch', '{"n":1}'],
      ['DELETE', '/api/items/delete', ''],
      ['OPTIONS', '/api/items/options', ''],
      ['TRACE', '/api/items/trace', ''],
    ]);
  });

  it('returns the body as data and status + headers as metadata; JSON strings keep their quotes', async () => {
    const b = await binding();
    const res = await invoke(b, 'post', '"hi"', { path: 'echo?q=1' });
    expect(JSON.parse(dec(res?.data))).toEqual({ method: 'POST', url: '/api/echo?q=1', body: '"hi"' });
    expect(res?.contentType).toBe('application/json');
    expect(res?.metadata).toMatchObject({ statusCode: '200', status: '200 OK', 'Content-Type': 'application/json', 'X-Multi': 'a, b' });
  });

  it('sends default JSON headers, upper-case metadata headers, trace context and the security token', async () => {
    const b = await binding({ securityToken: 'sekret', securityTokenHeader: 'X-Api-Key' });
    await invoke(b, 'get', '', { 'X-Custom': 'v', lower: 'dropped', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v', baggage: 'user=1' });
    const h = seen[0]?.headers ?? {};
    expect(h['content-type']).toBe('application/json; charset=utf-8');
    expect(h['accept']).toBe('application/json; charset=utf-8');
    expect(h['x-custom']).toBe('v');
    expect(h['lower']).toBeUndefined();
    expect(h['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(h['tracestate']).toBe('k=v');
    expect(h['baggage']).toBe('user=1');
    expect(h['x-api-key']).toBe('sekret');
    await invoke(b, 'post', 'x', { 'Content-Type': 'text/plain' });
    expect(seen[1]?.headers['content-type']).toBe('text/plain');
  });

  it('rejects non-2xx with BindingError(backend) unless errorIfNot2XX is off (component or request)', async () => {
    const b = await binding();
    await expect(invoke(b, 'get', '', { path: '/status/404' })).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'backend', message: 'received status code 404' });
    const res = await invoke(b, 'get', '', { path: '/status/503', errorIfNot2XX: 'false' });
    expect(res?.metadata).toMatchObject({ statusCode: '503', status: '503 Service Unavailable', 'X-Reason': 'asked' });
    expect(dec(res?.data)).toBe('status 503');
    const lax = await binding({ errorIfNot2XX: 'false' });
    expect((await invoke(lax, 'get', '', { path: '/status/500' }))?.metadata?.['statusCode']).toBe('500');
    await expect(invoke(lax, 'get', '', { path: '/status/500', errorIfNot2XX: 'true' })).rejects.toMatchObject({ errorKind: 'backend' });
  });

  it('refuses unknown operations with BindingError(bad-request)', async () => {
    const b = await binding();
    await expect(invoke(b, 'list')).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'bad-request' });
    expect(seen).toHaveLength(0);
  });

  it('enforces responseTimeout and maxResponseBodySize', async () => {
    const b = await binding({ responseTimeout: '100ms', maxResponseBodySize: '1Ki' });
    const t0 = Date.now();
    await expect(invoke(b, 'get', '', { path: '/slow' })).rejects.toMatchObject({ errorKind: 'backend', message: expect.stringContaining('responseTimeout') });
    expect(Date.now() - t0).toBeLessThan(450);
    await expect(invoke(b, 'get', '', { path: '/big' })).rejects.toMatchObject({ errorKind: 'backend', message: expect.stringContaining('maxResponseBodySize') });
    expect(dec((await invoke(b, 'get', '', { path: '/small' }))?.data)).toContain('/api/small');
  });

  it('reports an unreachable server as BindingError(backend); closed binding as closed', async () => {
    const dead = http.createServer();
    const port = await listen(dead);
    await stop(dead);
    const b = createHttpBinding(meta({ url: `http://127.0.0.1:${port}/` }));
    open.push(b);
    await b.init();
    await expect(invoke(b, 'get')).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'backend', message: expect.stringContaining('ECONNREFUSED') });
    await b.close();
    await expect(invoke(b, 'get')).rejects.toMatchObject({ errorKind: 'closed' });
  });
});

function mintCertificates(dir: string): boolean {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  try {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
    for (const name of ['server', 'client']) {
      run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? 'localhost' : 'client'}`);
      writeFileSync(join(dir, `${name}.ext`), name === 'server' ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n');
      run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
    }
    return true;
  } catch {
    return false;
  }
}

const tlsDir = mkdtempSync(join(tmpdir(), 'tessera-http-binding-'));
const haveCerts = mintCertificates(tlsDir);
if (!haveCerts) console.warn('bindings.http mTLS suite skipped: openssl could not mint test certificates');

(haveCerts ? describe : describe.skip)(`bindings.http over mutual TLS${haveCerts ? '' : ' (skipped: openssl unavailable)'}`, () => {
  const file = (n: string): string => join(tlsDir, n);
  const seen: Seen[] = [];
  let server: https.Server;
  let base = '';
  beforeAll(async () => {
    server = https.createServer({ key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true }, handler(seen));
    base = `https://localhost:${await listen(server)}`;
  });
  afterAll(async () => {
    await stop(server);
    rmSync(tlsDir, { recursive: true, force: true });
  });

  it('authenticates with the client certificate (file paths and inline PEM)', async () => {
    for (const props of [
      { MTLSRootCA: file('ca.pem'), MTLSClientCert: file('client.pem'), MTLSClientKey: file('client.key') },
      { MTLSRootCA: readFileSync(file('ca.pem'), 'utf8'), MTLSClientCert: readFileSync(file('client.pem'), 'utf8'), MTLSClientKey: readFileSync(file('client.key'), 'utf8') },
    ]) {
      const b = createHttpBinding(meta({ url: `${base}/tls`, ...props }));
      await b.init();
      const res = await b.invoke?.({ operation: 'get', data: new Uint8Array(), metadata: {} });
      expect(res?.metadata?.['statusCode']).toBe('200');
      await b.close();
    }
    expect(seen.map((s) => s.url)).toEqual(['/tls', '/tls']);
  });

  it('fails with BindingError(backend) without a client certificate', async () => {
    const b = createHttpBinding(meta({ url: `${base}/tls`, MTLSRootCA: file('ca.pem') }));
    await b.init();
    await expect(b.invoke?.({ operation: 'get', data: new Uint8Array(), metadata: {} })).rejects.toMatchObject({ errorKind: 'backend' });
    await b.close();
  });
});
