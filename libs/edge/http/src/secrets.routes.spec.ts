// The secrets HTTP routes over a recording fake SecretsApi: paths, `metadata.*` query, JSON bodies
// with sorted keys, daprd's statuses for the secrets errors (401 for an unknown store), and the
// 501 answer when the edge has no SecretsApi.
import { SecretsErrors } from '@tessera/contracts';
import type { CallContext, MetadataApi, RuntimeLifecycle, SecretsApi, StateApi } from '@tessera/contracts';
import type { FastifyInstance } from 'fastify';
import { createHttpEdge } from './http-edge';

async function get(app: FastifyInstance, url: string, method = 'GET'): Promise<{ status: number; body: string; type: string | null }> {
  if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const r = await fetch(`http://127.0.0.1:${port}${url}`, { method });
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') };
}

const calls: Array<{ op: string; req: unknown; ctx: CallContext }> = [];
const secrets: SecretsApi = {
  async getSecret(req, ctx) {
    calls.push({ op: 'get', req, ctx });
    if (req.storeName === 'nope') throw SecretsErrors.notFound('nope');
    if (req.key === 'denied') throw SecretsErrors.permissionDenied('denied', req.storeName);
    if (req.key === 'missing') throw SecretsErrors.get('missing', req.storeName, 'secret missing not found', false);
    return { data: { z: '1', a: 'é"<&>' } };
  },
  async getBulkSecret(req, ctx) {
    calls.push({ op: 'bulk', req, ctx });
    if (req.storeName === 'none') throw SecretsErrors.notConfigured();
    return { data: { b: { secrets: { y: '2', x: '1' } }, a: { secrets: { a: 'A' } } } };
  },
  listComponents: async () => [],
};
const state = { listComponents: async () => [] } as unknown as StateApi;
const metadata: MetadataApi = { getMetadata: async () => ({ id: 'app1', runtimeVersion: 't', enabledFeatures: [], components: [], extended: {} }), setMetadata: async () => undefined };
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: () => undefined };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };
const opts = { appId: 'app1', namespace: 'ns', maxBodySize: 1024, enableApiLogging: false, state, metadata, lifecycle, logger };

describe('secrets HTTP routes', () => {
  const app = createHttpEdge({ ...opts, secrets });
  const bare = createHttpEdge(opts);
  afterAll(() => Promise.all([app.close(), bare.close()]));
  beforeEach(() => {
    calls.length = 0;
  });

  it('GET /v1.0/secrets/{store}/{key}: the data object, keys sorted, metadata.* from the query', async () => {
    const res = await get(app, '/v1.0/secrets/vault/db%2Fpassword?metadata.namespace=prod&metadata.version_id=2&other=x');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body).toBe('{"a":"é\\"<&>","z":"1"}');
    expect(calls[0]?.req).toEqual({ storeName: 'vault', key: 'db/password', metadata: { namespace: 'prod', version_id: '2' } });
    expect(calls[0]?.ctx).toMatchObject({ appId: 'app1', namespace: 'ns' });
  });

  it('GET /v1.0/secrets/{store}/bulk: secrets by name, each its key/value object', async () => {
    const res = await get(app, '/v1.0/secrets/vault/bulk?metadata.namespace=prod');
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"a":{"a":"A"},"b":{"x":"1","y":"2"}}');
    expect(calls[0]).toMatchObject({ op: 'bulk', req: { storeName: 'vault', metadata: { namespace: 'prod' } } });
  });

  it.each([
    ['/v1.0/secrets/nope/k', 401, 'ERR_SECRET_STORE_NOT_FOUND', 'failed finding secret store with key nope'],
    ['/v1.0/secrets/vault/denied', 403, 'ERR_PERMISSION_DENIED', 'access denied by policy to get "denied" from "vault"'],
    ['/v1.0/secrets/vault/missing', 500, 'ERR_SECRET_GET', 'failed getting secret with key missing from secret store vault: secret missing not found'],
    ['/v1.0/secrets/none/bulk', 500, 'ERR_SECRET_STORES_NOT_CONFIGURED', 'secret store is not configured'],
  ])('%s -> %i %s', async (url, status, errorCode, message) => {
    const res = await get(app, url);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body)).toEqual({ errorCode, message });
  });

  it('other methods fall to the invoke catch-all, as in daprd', async () => {
    const res = await get(app, '/v1.0/secrets/vault/k', 'POST');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).errorCode).toBe('ERR_DIRECT_INVOKE');
  });

  it('without a SecretsApi the paths answer 501 naming the block', async () => {
    const res = await get(bare, '/v1.0/secrets/vault/k');
    expect(res.status).toBe(501);
    expect(JSON.parse(res.body)).toMatchObject({ errorCode: 'ERR_API_UNIMPLEMENTED' });
    expect(JSON.parse(res.body).message).toContain('secrets');
  });
});
