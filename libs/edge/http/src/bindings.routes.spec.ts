// The output bindings HTTP route over a recording fake BindingsApi, on a real socket: daprd's body
// decoding (data re-marshalled as Go does, metadata strings only, null / empty / wrong types),
// 200 with raw bytes and `metadata.<k>` headers, 204 for no result, POST and PUT only, the
// block's errors, and 501 when the bindings block is absent.
import { BindingsErrors } from '@tessera/contracts';
import type { BindingsApi, CallContext, InvokeBindingRequest, InvokeBindingResponse, MetadataApi, RuntimeLifecycle, StateApi } from '@tessera/contracts';
import type { FastifyInstance } from 'fastify';
import { createHttpEdge } from './http-edge';

interface Res {
  status: number;
  body: string;
  headers: Headers;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function send(app: FastifyInstance, method: string, url: string, payload?: string, headers: Record<string, string> = {}): Promise<Res> {
  if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const r = await fetch(`http://127.0.0.1:${port}${url}`, { method, body: payload, headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers } });
  const body = await r.text();
  return { status: r.status, body, headers: r.headers, json: () => JSON.parse(body) };
}

const calls: Array<{ req: InvokeBindingRequest; ctx: CallContext }> = [];
let answer: InvokeBindingResponse = { data: Buffer.alloc(0), metadata: {} };
const bindings: BindingsApi = {
  async invoke(req, ctx) {
    calls.push({ req, ctx });
    if (req.name === 'missing') throw BindingsErrors.notFound(req.name);
    return answer;
  },
  listInputBindings: async () => [],
  read: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) }),
  settle: async () => undefined,
  listComponents: async () => [],
};

const metadata: MetadataApi = { getMetadata: async () => ({ id: 'app1', runtimeVersion: 't', enabledFeatures: [], components: [], extended: {} }), setMetadata: async () => undefined };
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: () => undefined };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };
const base = { appId: 'app1', namespace: '', maxBodySize: 64 * 1024, enableApiLogging: false, state: {} as StateApi, metadata, lifecycle, logger };

describe('bindings HTTP route', () => {
  const app = createHttpEdge({ ...base, bindings });
  const bare = createHttpEdge(base);
  afterAll(async () => {
    await app.close();
    await bare.close();
  });
  beforeEach(() => {
    calls.length = 0;
    answer = { data: Buffer.alloc(0), metadata: {} };
  });

  it('POST: operation and metadata passed, data JSON-marshalled as Go does (sorted keys, strings keep quotes)', async () => {
    answer = { data: Buffer.from('raw \x00 bytes'), metadata: { 'rows-affected': '2', statusCode: '201' } };
    const r = await send(app, 'POST', '/v1.0/bindings/out', '{"operation":"create","data":{"b":1,"a":"<x>"},"metadata":{"key":"k1"},"unknown":true}', {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect([r.status, r.body]).toEqual([200, 'raw \x00 bytes']);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('metadata.rows-affected')).toBe('2');
    expect(r.headers.get('metadata.statuscode')).toBe('201');
    const { req, ctx } = calls[0] as { req: InvokeBindingRequest; ctx: CallContext };
    expect([req.name, req.operation, req.metadata, Buffer.from(req.data).toString()]).toEqual(['out', 'create', { key: 'k1' }, '{"a":"\\u003cx\\u003e","b":1}']);
    expect(ctx).toMatchObject({ appId: 'app1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });

    await send(app, 'PUT', '/v1.0/bindings/out', '{"operation":"create","data":"hi"}');
    expect(Buffer.from(calls[1]?.req.data ?? []).toString()).toBe('"hi"');
    await send(app, 'POST', '/v1.0/bindings/out', '{"operation":"get"}');
    expect(Buffer.from(calls[2]?.req.data ?? []).toString()).toBe('null');
  });

  it('no result: 204 with no body', async () => {
    const r = await send(app, 'POST', '/v1.0/bindings/out', '{"operation":"create","data":1}');
    expect([r.status, r.body]).toEqual([204, '']);
  });

  it('metadata only: 200 with an empty body and the headers', async () => {
    answer = { data: Buffer.alloc(0), metadata: { operation: 'exec' } };
    const r = await send(app, 'POST', '/v1.0/bindings/out', '{"operation":"exec"}');
    expect([r.status, r.body, r.headers.get('metadata.operation')]).toEqual([200, '', 'exec']);
  });

  it.each([
    ['', 'failed deserializing HTTP body: unexpected end of JSON input'],
    ['{not json', undefined],
    ['[1,2]', 'failed deserializing HTTP body: json: cannot unmarshal array into Go value of type http.OutputBindingRequest'],
    ['"s"', 'failed deserializing HTTP body: json: cannot unmarshal string into Go value of type http.OutputBindingRequest'],
    ['{"metadata":{"k":1}}', 'failed deserializing HTTP body: json: cannot unmarshal number into Go struct field OutputBindingRequest.metadata of type string'],
    ['{"metadata":[]}', 'failed deserializing HTTP body: json: cannot unmarshal array into Go struct field OutputBindingRequest.metadata of type map[string]string'],
    ['{"operation":5}', 'failed deserializing HTTP body: json: cannot unmarshal number into Go struct field OutputBindingRequest.operation of type string'],
  ])('malformed body %j: 400 ERR_MALFORMED_REQUEST, the block is not called', async (body, message) => {
    const r = await send(app, 'POST', '/v1.0/bindings/out', body === '' ? undefined : body);
    expect(r.status).toBe(400);
    expect(r.json().errorCode).toBe('ERR_MALFORMED_REQUEST');
    if (message !== undefined) expect(r.json().message).toBe(message);
    else expect(r.json().message).toMatch(/^failed deserializing HTTP body: /);
    expect(calls).toHaveLength(0);
  });

  it('a null body is an empty request (the block then refuses the missing operation)', async () => {
    await send(app, 'POST', '/v1.0/bindings/out', 'null');
    expect(calls[0]?.req).toMatchObject({ operation: '', metadata: {} });
  });

  it("the block's errors: 500 ERR_INVOKE_OUTPUT_BINDING", async () => {
    const r = await send(app, 'POST', '/v1.0/bindings/missing', '{"operation":"create"}');
    expect([r.status, r.json()]).toEqual([500, { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message: "error invoking output binding missing: couldn't find output binding missing" }]);
  });

  it('GET is not a bindings route (catch-all); without the block: 501 naming the bindings block', async () => {
    const get = await send(app, 'GET', '/v1.0/bindings/out');
    expect(get.json().errorCode).toBe('ERR_DIRECT_INVOKE');
    const r = await send(bare, 'POST', '/v1.0/bindings/out', '{}');
    expect([r.status, r.json().errorCode]).toEqual([501, 'ERR_API_UNIMPLEMENTED']);
    expect(r.json().message).toMatch(/bindings building block/);
  });
});
