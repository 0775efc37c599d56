// The HTTP edge in-process (Fastify inject) over a recording fake StateApi: request decoding,
// Dapr's status codes and error shapes for what the edge itself rejects.
import { lazyAbortOf, StateErrors } from '@tessera/contracts';
import type { CallContext, GetStateResponse, InternalInvokeResponse, InvokeApi, MetadataApi, RuntimeLifecycle, SaveStateRequest, StateApi } from '@tessera/contracts';
import type { FastifyInstance } from 'fastify';
import { createHttpEdge, repairPercentEncoding } from './http-edge';
import { CLIENT_GONE } from './request-context';

// Over a real socket (Fastify's inject pulls an ESM-only dependency Jest cannot load).
interface Res {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}
async function inject(
  app: FastifyInstance,
  o: { method: string; url: string; headers?: Record<string, string>; payload?: string },
): Promise<Res> {
  if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  const r = await fetch(`http://127.0.0.1:${addr.port}${o.url}`, { method: o.method, headers: o.headers, body: o.payload });
  const body = await r.text();
  return { statusCode: r.status, body, headers: Object.fromEntries(r.headers), json: () => JSON.parse(body) };
}

const calls: Array<{ op: string; req: unknown; ctx: CallContext }> = [];
const state: StateApi = {
  async getState(req, ctx): Promise<GetStateResponse> {
    calls.push({ op: 'get', req, ctx });
    if (req.storeName === 'missing') throw StateErrors.notFound(req.storeName, ctx.appId);
    if (req.key === 'none') return { data: Buffer.alloc(0), etag: '', metadata: {} };
    return { data: Buffer.from('{"a":1}'), etag: '3', metadata: { ttlExpireTime: '2030-01-01T00:00:00Z' } };
  },
  async getBulkState(req, ctx) {
    calls.push({ op: 'bulk', req, ctx });
    return {
      items: [
        { key: 'a', data: Buffer.from('{"x":1}'), etag: '1', error: '', metadata: {} },
        { key: 'b', data: Buffer.alloc(0), etag: '', error: '', metadata: {} },
        { key: 'c', data: Buffer.from([0xff, 0xfe]), etag: '2', error: '', metadata: {} },
      ],
    };
  },
  async saveState(req, ctx) {
    calls.push({ op: 'save', req, ctx });
  },
  async deleteState(req, ctx) {
    calls.push({ op: 'delete', req, ctx });
  },
  deleteBulkState: async () => undefined,
  async executeStateTransaction(req, ctx) {
    calls.push({ op: 'tx', req, ctx });
  },
  queryState: async () => ({ results: [], token: '', metadata: {} }),
  listComponents: async () => [],
};
const metadata: MetadataApi = {
  getMetadata: async () => ({ id: 'app1', runtimeVersion: 't', enabledFeatures: [], components: [], extended: {} }),
  setMetadata: async () => undefined,
};
let shutdowns: boolean[] = [];
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: (f) => void shutdowns.push(f) };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };

const edge = (apiToken?: string) =>
  createHttpEdge({ appId: 'app1', namespace: '', apiToken, maxBodySize: 1024, enableApiLogging: false, state, metadata, lifecycle, logger });

describe('HTTP edge', () => {
  const app = edge();
  afterAll(() => app.close());
  beforeEach(() => {
    calls.length = 0;
    shutdowns = [];
  });

  it('GET state: raw body, ETag and metadata headers; empty -> 204', async () => {
    const res = await inject(app, { method: 'GET', url: '/v1.0/state/s/k?consistency=strong&metadata.partitionKey=p' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{"a":1}');
    expect(res.headers['etag']).toBe('3');
    expect(res.headers['metadata.ttlexpiretime']).toBe('2030-01-01T00:00:00Z');
    expect(calls[0]?.req).toMatchObject({ storeName: 's', key: 'k', consistency: 2, metadata: { partitionKey: 'p' } });
    expect((await inject(app, { method: 'GET', url: '/v1.0/state/s/none' })).statusCode).toBe(204);
  });

  it('POST state re-encodes values as JSON bytes and merges query metadata', async () => {
    const res = await inject(app, {
      method: 'POST',
      url: '/v1.0/state/s?metadata.ttlInSeconds=5',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify([{ key: 'k', value: { b: [1, 2] }, etag: '4', options: { concurrency: 'first-write' }, metadata: { x: 'y' } }]),
    });
    expect(res.statusCode).toBe(204);
    const req = calls[0]?.req as SaveStateRequest;
    expect(req.states[0]?.value.toString()).toBe('{"b":[1,2]}');
    expect(req.states[0]?.etag).toEqual({ value: '4' });
    expect(req.states[0]?.metadata).toEqual({ x: 'y', ttlInSeconds: '5' });
    expect(req.states[0]?.options?.concurrency).toBe(1);
  });

  it.each([
    ['{bad', 'failed deserializing HTTP body'],
    ['{"key":"k"}', 'expected a JSON array'],
    ['[{"key":1}]', '[0].key must be a string'],
    ['[{"key":"k","metadata":{"a":1}}]', '[0].metadata.a must be a string'],
    ['[{"key":"k","etag":5}]', '[0].etag must be a string'],
  ])('POST state %s -> 400 ERR_MALFORMED_REQUEST', async (payload, msg) => {
    const res = await inject(app, { method: 'POST', url: '/v1.0/state/s', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST' });
    expect(res.json().message).toContain(msg);
  });

  it('bulk get keeps raw JSON, omits missing data and base64-encodes binary values', async () => {
    const res = await inject(app, { method: 'POST', url: '/v1.0/state/s/bulk', payload: '{"keys":["a","b","c"],"parallelism":3}' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      { key: 'a', data: { x: 1 }, etag: '1' },
      { key: 'b' },
      { key: 'c', data: Buffer.from([0xff, 0xfe]).toString('base64'), etag: '2' },
    ]);
  });

  it('DELETE takes If-Match and the concurrency query', async () => {
    const res = await inject(app, { method: 'DELETE', url: '/v1.0/state/s/k?concurrency=first-write', headers: { 'if-match': '9' } });
    expect(res.statusCode).toBe(204);
    expect(calls[0]?.req).toMatchObject({ key: 'k', etag: { value: '9' }, options: { concurrency: 1 } });
  });

  it('transaction copies query metadata into every operation', async () => {
    const res = await inject(app, {
      method: 'POST',
      url: '/v1.0/state/s/transaction?metadata.partitionKey=p',
      payload: JSON.stringify({ operations: [{ operation: 'upsert', request: { key: 'a', value: 1 } }, { operation: 'delete', request: { key: 'b' } }] }),
    });
    expect(res.statusCode).toBe(204);
    expect(calls[0]?.req).toMatchObject({
      operations: [
        { operationType: 'upsert', request: { key: 'a', metadata: { partitionKey: 'p' } } },
        { operationType: 'delete', request: { key: 'b' } },
      ],
      metadata: { partitionKey: 'p' },
    });
  });

  it('block errors keep their status, code and details', async () => {
    const res = await inject(app, { method: 'GET', url: '/v1.0/state/missing/k' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ errorCode: 'ERR_STATE_STORE_NOT_FOUND', details: [{ reason: 'DAPR_STATE_NOT_FOUND' }, {}] });
  });

  it('a body over --max-body-size -> 413 in Dapr shape', async () => {
    const res = await inject(app, { method: 'POST', url: '/v1.0/state/s', payload: JSON.stringify([{ key: 'k', value: 'x'.repeat(2000) }]) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ errorCode: 'ERR_BODY_READ' });
  });

  it('unmatched routes and methods fall to the invoke catch-all', async () => {
    for (const [method, url] of [['GET', '/nothing'], ['GET', '/v1.0/state/s'], ['PATCH', '/v1.0/state/s/k']] as const) {
      const res = await inject(app, { method, url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ errorCode: 'ERR_DIRECT_INVOKE', message: 'failed getting app id either from the URL path or the header dapr-app-id' });
    }
  });

  it('cleans duplicate and trailing slashes', async () => {
    expect((await inject(app, { method: 'GET', url: '//v1.0/state//s/k/' })).statusCode).toBe(200);
  });

  it('shutdown answers 204 then asks the lifecycle, honouring dapr-force-shutdown', async () => {
    expect((await inject(app, { method: 'POST', url: '/v1.0/shutdown' })).statusCode).toBe(204);
    await new Promise((r) => setImmediate(r));
    expect(shutdowns).toEqual([false]);
  });

  it('with DAPR_API_TOKEN: 401 plain text without it, health exempt, token stripped', async () => {
    const secured = edge('tok');
    try {
      const denied = await inject(secured, { method: 'GET', url: '/v1.0/metadata' });
      expect(denied.statusCode).toBe(401);
      expect(denied.body).toBe('invalid api token');
      expect((await inject(secured, { method: 'GET', url: '/v1.0/healthz' })).statusCode).toBe(204);
      expect((await inject(secured, { method: 'GET', url: '/v1.0/metadata', headers: { 'dapr-api-token': 'tok' } })).statusCode).toBe(200);
    } finally {
      await secured.close();
    }
  });
});

describe('HTTP edge: service invocation and the caller going away', () => {
  const answer: InternalInvokeResponse = { status: { code: 200, message: '', details: [] }, headers: {}, trailers: {}, message: undefined };
  let onInvoke: (ctx: CallContext) => Promise<InternalInvokeResponse> = async () => answer;
  const seen: CallContext[] = [];
  const invoke: InvokeApi = {
    invoke: async (_target, _req, ctx) => {
      seen.push(ctx);
      return onInvoke(ctx);
    },
  };
  const app = createHttpEdge({ appId: 'app1', namespace: '', maxBodySize: 1024, enableApiLogging: false, state, metadata, lifecycle, logger, invoke });
  let base = '';
  beforeAll(async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(() => app.close());
  beforeEach(() => {
    seen.length = 0;
    onInvoke = async () => answer;
  });

  it('the block gets the request context itself (lazy-abort protocol), and an answered call makes no signal', async () => {
    const r = await fetch(`${base}/v1.0/invoke/callee/method/m`, { method: 'POST', body: 'payload', headers: { traceparent: 'tp' } });
    expect(r.status).toBe(200);
    const ctx = seen[0] as CallContext;
    expect(lazyAbortOf(ctx)).toBe(ctx);
    expect(ctx.traceparent).toBe('tp');
    expect(ctx.signalIfMade).toBeUndefined();
    expect(ctx.aborted).toBe(false);
  });

  it('a client that leaves mid-call (its body already read) aborts the call: handlers told, the signal has CLIENT_GONE', async () => {
    let told = 0;
    let release: () => void = () => undefined;
    onInvoke = (ctx) =>
      new Promise((resolve) => {
        lazyAbortOf(ctx)?.onAbort({ handleEvent: () => (told++, resolve(answer)) });
        release = () => resolve(answer);
      });
    const client = new AbortController();
    const call = fetch(`${base}/v1.0/invoke/callee/method/slow`, { method: 'POST', body: 'payload', signal: client.signal });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toHaveLength(1);
    client.abort();
    await expect(call).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    release();
    const ctx = seen[0] as CallContext;
    expect(told).toBe(1);
    expect(ctx.aborted).toBe(true);
    expect(ctx.signal?.reason).toBe(CLIENT_GONE);
  });
});

describe('repairPercentEncoding', () => {
  it('leaves plain and valid paths alone', () => {
    expect(repairPercentEncoding('/v1.0/state/s/k')).toBe('/v1.0/state/s/k');
    expect(repairPercentEncoding('/v1.0/state/s/caf%C3%A9?x=%FF')).toBe('/v1.0/state/s/caf%C3%A9?x=%FF');
  });
  it('re-encodes escapes that are not UTF-8 as U+FFFD, keeping the query', () => {
    expect(repairPercentEncoding('/v1.0/state/s/a%FF?metadata.x=1')).toBe('/v1.0/state/s/a%EF%BF%BD?metadata.x=1');
  });
  it('leaves malformed escapes for the 400', () => {
    expect(repairPercentEncoding('/v1.0/state/s/%zz%FF')).toBe('/v1.0/state/s/%zz%FF');
  });
});
