// The configuration HTTP routes over a recording fake ConfigurationApi and a fake app-delivery,
// on a real socket: both version prefixes, `key` and `metadata.*` query parameters, daprd's JSON
// shapes and statuses, the unsubscribe answer shape, ERR_APP_CHANNEL_NIL after the store checks,
// and 501 when the configuration block is absent.
import { ConfigurationErrors } from '@tessera/contracts';
import type {
  AppConfigurationSubscriptions,
  CallContext,
  ConfigurationApi,
  GetConfigurationRequest,
  MetadataApi,
  RuntimeLifecycle,
  StateApi,
  SubscribeConfigurationRequest,
  UnsubscribeConfigurationRequest,
} from '@tessera/contracts';
import type { FastifyInstance } from 'fastify';
import { createHttpEdge } from './http-edge';

interface Res {
  status: number;
  body: string;
  contentType: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function send(app: FastifyInstance, method: string, url: string, headers: Record<string, string> = {}): Promise<Res> {
  if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const r = await fetch(`http://127.0.0.1:${port}${url}`, { method, headers });
  const body = await r.text();
  return { status: r.status, body, contentType: r.headers.get('content-type') ?? '', json: () => JSON.parse(body) };
}

const calls: Array<{ op: string; req: GetConfigurationRequest | SubscribeConfigurationRequest | UnsubscribeConfigurationRequest; ctx: CallContext }> = [];

function check(store: string): void {
  if (store === 'none') throw ConfigurationErrors.notConfigured();
  if (store !== 'cfg') throw ConfigurationErrors.notFound(store);
}

const configuration: ConfigurationApi = {
  async get(req, ctx) {
    calls.push({ op: 'get', req, ctx });
    check(req.storeName);
    if (req.keys.includes('boom')) throw ConfigurationErrors.get(req.keys, req.storeName, 'redis down');
    const all = {
      a: { value: '1', version: '2', metadata: {} },
      b: { value: 'v', version: '', metadata: { m: 'x' } },
    };
    if (req.keys.length === 0) return { items: all };
    return { items: Object.fromEntries(Object.entries(all).filter(([k]) => req.keys.includes(k))) };
  },
  subscribe() {
    throw new Error('the HTTP edge never iterates subscriptions itself');
  },
  async unsubscribe(req, ctx) {
    calls.push({ op: 'unsubscribe-api', req, ctx });
    check(req.storeName);
    return { ok: false, message: `failed to unsubscribe to configuration request ${req.id}: subscription with id ${req.id} does not exist` };
  },
  listComponents: async () => [{ name: 'cfg', type: 'configuration.redis', version: 'v1', capabilities: [] }],
};

const toApp: AppConfigurationSubscriptions = {
  async subscribe(req, ctx) {
    calls.push({ op: 'subscribe', req, ctx });
    check(req.storeName);
    return 'sub-42';
  },
  async unsubscribe(req, ctx) {
    calls.push({ op: 'unsubscribe', req, ctx });
    check(req.storeName);
    if (req.id === 'sub-42') return { ok: true, message: '' };
    return configuration.unsubscribe(req, ctx);
  },
};

const state = {} as StateApi;
const metadata: MetadataApi = { getMetadata: async () => ({ id: 'app1', runtimeVersion: 't', enabledFeatures: [], components: [], extended: {} }), setMetadata: async () => undefined };
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: () => undefined };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };
const base = { appId: 'app1', namespace: '', maxBodySize: 64 * 1024, enableApiLogging: false, state, metadata, lifecycle, logger };

describe('configuration HTTP routes', () => {
  const app = createHttpEdge({ ...base, configuration, configurationSubscriptions: toApp });
  afterAll(() => app.close());
  beforeEach(() => (calls.length = 0));

  it.each(['v1.0', 'v1.0-alpha1'])('GET /%s/configuration/{store}: keys and metadata from the query; Go-shaped items', async (v) => {
    const r = await send(app, 'GET', `/${v}/configuration/cfg?key=a&key=b&metadata.partition=p1&other=ignored`, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect([r.status, r.contentType]).toEqual([200, expect.stringMatching(/^application\/json/)]);
    expect(r.json()).toEqual({ a: { value: '1', version: '2' }, b: { value: 'v', metadata: { m: 'x' } } });
    expect(calls[0]).toEqual({
      op: 'get',
      req: { storeName: 'cfg', keys: ['a', 'b'], metadata: { partition: 'p1' } },
      ctx: expect.objectContaining({ appId: 'app1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }),
    });
  });

  it('no keys asks for every item; nothing found is 204', async () => {
    expect((await send(app, 'GET', '/v1.0/configuration/cfg')).json()).toEqual({ a: { value: '1', version: '2' }, b: { value: 'v', metadata: { m: 'x' } } });
    expect((calls[0]?.req as GetConfigurationRequest).keys).toEqual([]);
    const none = await send(app, 'GET', '/v1.0/configuration/cfg?key=zzz');
    expect([none.status, none.body]).toEqual([204, '']);
  });

  it('errors: unknown store 400, none configured 500, component failure 500 ERR_CONFIGURATION_GET', async () => {
    const unknown = await send(app, 'GET', '/v1.0/configuration/nope?key=a');
    expect([unknown.status, unknown.json()]).toEqual([400, { errorCode: 'ERR_CONFIGURATION_STORE_NOT_FOUND', message: 'configuration store nope not found' }]);
    const none = await send(app, 'GET', '/v1.0-alpha1/configuration/none');
    expect([none.status, none.json()]).toEqual([500, { errorCode: 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED', message: 'configuration stores not configured' }]);
    const boom = await send(app, 'GET', '/v1.0/configuration/cfg?key=a&key=boom');
    expect([boom.status, boom.json()]).toEqual([500, { errorCode: 'ERR_CONFIGURATION_GET', message: 'failed to get [a boom] from Configuration store cfg: redis down' }]);
  });

  it.each(['v1.0', 'v1.0-alpha1'])('GET /%s/configuration/{store}/subscribe answers {"id"}', async (v) => {
    const r = await send(app, 'GET', `/${v}/configuration/cfg/subscribe?key=a&metadata.pgNotifyChannel=config`);
    expect([r.status, r.json()]).toEqual([200, { id: 'sub-42' }]);
    expect(calls[0]?.req).toEqual({ storeName: 'cfg', keys: ['a'], metadata: { pgNotifyChannel: 'config' } });
    expect((await send(app, 'GET', `/${v}/configuration/nope/subscribe`)).json().errorCode).toBe('ERR_CONFIGURATION_STORE_NOT_FOUND');
  });

  it('GET /{v}/configuration/{store}/{id}/unsubscribe: {"ok":true}, or 500 {"ok":false,"message"}', async () => {
    const ok = await send(app, 'GET', '/v1.0/configuration/cfg/sub-42/unsubscribe');
    expect([ok.status, ok.contentType, ok.json()]).toEqual([200, expect.stringMatching(/^application\/json/), { ok: true }]);
    const unknown = await send(app, 'GET', '/v1.0-alpha1/configuration/cfg/other/unsubscribe');
    expect([unknown.status, unknown.json()]).toEqual([
      500,
      { ok: false, message: 'failed to unsubscribe to configuration request other: subscription with id other does not exist' },
    ]);
    const badStore = await send(app, 'GET', '/v1.0/configuration/nope/sub-42/unsubscribe');
    expect([badStore.status, badStore.json().errorCode]).toEqual([400, 'ERR_CONFIGURATION_STORE_NOT_FOUND']);
  });

  it('only GET is routed', async () => {
    const r = await send(app, 'POST', '/v1.0/configuration/cfg');
    expect([r.status, r.json().errorCode]).toEqual([404, 'ERR_DIRECT_INVOKE']);
  });
});

describe('configuration HTTP routes without an app channel', () => {
  const app = createHttpEdge({ ...base, configuration });
  afterAll(() => app.close());

  it('subscribe: the store is checked first, then 500 ERR_APP_CHANNEL_NIL', async () => {
    expect((await send(app, 'GET', '/v1.0/configuration/nope/subscribe')).json().errorCode).toBe('ERR_CONFIGURATION_STORE_NOT_FOUND');
    const r = await send(app, 'GET', '/v1.0/configuration/cfg/subscribe?key=a');
    expect([r.status, r.json()]).toEqual([500, { errorCode: 'ERR_APP_CHANNEL_NIL', message: 'app channel is not initialized. cannot subscribe to configuration updates' }]);
  });

  it('get and unsubscribe still work', async () => {
    expect((await send(app, 'GET', '/v1.0/configuration/cfg?key=a')).status).toBe(200);
    expect((await send(app, 'GET', '/v1.0/configuration/cfg/x/unsubscribe')).status).toBe(500);
  });
});

describe('configuration HTTP routes without the configuration block', () => {
  const app = createHttpEdge(base);
  afterAll(() => app.close());

  it('answer 501 naming the block', async () => {
    for (const url of ['/v1.0/configuration/cfg', '/v1.0-alpha1/configuration/cfg/subscribe', '/v1.0/configuration/cfg/x/unsubscribe']) {
      const r = await send(app, 'GET', url);
      expect([r.status, r.json().errorCode]).toEqual([501, 'ERR_API_UNIMPLEMENTED']);
      expect(r.json().message).toContain('configuration building block');
    }
  });
});
