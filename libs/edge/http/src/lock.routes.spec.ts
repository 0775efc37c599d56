// The lock HTTP routes over a recording fake LockApi, on a real socket: protojson decoding
// (both field spellings, int32 as number or string, empty body, unknown fields), the response
// shapes daprd sends (`success` and numeric `status` always present), errors, POST only, and 501
// when the lock block is absent.
import { LockErrors, UnlockResponse_Status } from '@tessera/contracts';
import type { CallContext, LockApi, MetadataApi, RuntimeLifecycle, StateApi, TryLockRequest, UnlockRequest } from '@tessera/contracts';
import type { FastifyInstance } from 'fastify';
import { createHttpEdge } from './http-edge';

interface Res {
  status: number;
  body: string;
  contentType: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function send(app: FastifyInstance, method: string, url: string, payload?: string): Promise<Res> {
  if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const r = await fetch(`http://127.0.0.1:${port}${url}`, { method, body: payload, headers: payload === undefined ? {} : { 'content-type': 'application/json' } });
  const body = await r.text();
  return { status: r.status, body, contentType: r.headers.get('content-type') ?? '', json: () => JSON.parse(body) };
}

const calls: Array<{ op: string; req: TryLockRequest | UnlockRequest; ctx: CallContext }> = [];
let success = true;
let status = UnlockResponse_Status.SUCCESS;
const lock: LockApi = {
  async tryLock(req, ctx) {
    calls.push({ op: 'lock', req, ctx });
    if (req.expiryInSeconds <= 0) throw LockErrors.expiryNotPositive(req.storeName);
    if (req.storeName === 'missing') throw LockErrors.notFound(req.storeName);
    return { success };
  },
  async unlock(req, ctx) {
    calls.push({ op: 'unlock', req, ctx });
    if (req.resourceId === '') throw LockErrors.resourceIdEmpty(req.storeName);
    return { status };
  },
  listComponents: async () => [],
};

const state = {} as StateApi;
const metadata: MetadataApi = { getMetadata: async () => ({ id: 'app1', runtimeVersion: 't', enabledFeatures: [], components: [], extended: {} }), setMetadata: async () => undefined };
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: () => undefined };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };
const base = { appId: 'app1', namespace: '', maxBodySize: 64 * 1024, enableApiLogging: false, state, metadata, lifecycle, logger };

describe('lock HTTP routes', () => {
  const app = createHttpEdge({ ...base, lock });
  afterAll(() => app.close());
  beforeEach(() => {
    calls.length = 0;
    success = true;
    status = UnlockResponse_Status.SUCCESS;
  });

  it('POST lock: decodes the body, store from the URL, answers {"success":true}', async () => {
    const r = await send(app, 'POST', '/v1.0-alpha1/lock/lockstore', JSON.stringify({ resourceId: 'r1', lockOwner: 'o1', expiryInSeconds: 30, storeName: 'ignored', extra: { x: 1 } }));
    expect([r.status, r.body]).toEqual([200, '{"success":true}']);
    expect(r.contentType).toMatch(/^application\/json/);
    expect(calls[0]).toMatchObject({ op: 'lock', req: { storeName: 'lockstore', resourceId: 'r1', lockOwner: 'o1', expiryInSeconds: 30 }, ctx: { appId: 'app1' } });
  });

  it('always sends "success", also when false', async () => {
    success = false;
    const r = await send(app, 'POST', '/v1.0-alpha1/lock/lockstore', '{"resourceId":"r","lockOwner":"o","expiryInSeconds":5}');
    expect(r.body).toBe('{"success":false}');
  });

  it('accepts snake_case names, int32 as a string, 1e1 and 10.0', async () => {
    for (const body of [
      '{"resource_id":"r","lock_owner":"o","expiry_in_seconds":"10"}',
      '{"resourceId":"r","lockOwner":"o","expiryInSeconds":1e1}',
      '{"resourceId":"r","lockOwner":"o","expiryInSeconds":10.0}',
    ]) {
      expect((await send(app, 'POST', '/v1.0-alpha1/lock/lockstore', body)).status).toBe(200);
    }
    expect(calls.map((c) => c.req)).toEqual(Array(3).fill({ storeName: 'lockstore', resourceId: 'r', lockOwner: 'o', expiryInSeconds: 10 }));
  });

  it('an empty body is an empty message (the block then refuses it)', async () => {
    const r = await send(app, 'POST', '/v1.0-alpha1/lock/lockstore');
    expect(r.status).toBe(400);
    expect(r.json()).toEqual({ errorCode: 'ERR_MALFORMED_REQUEST', message: 'ExpiryInSeconds is not positive in lock store lockstore' });
    expect(calls[0]?.req).toEqual({ storeName: 'lockstore', resourceId: '', lockOwner: '', expiryInSeconds: 0 });
  });

  it.each([
    ['malformed JSON', '{"resourceId":'],
    ['not an object', '[1,2]'],
    ['a number for a string', '{"resourceId":5,"lockOwner":"o","expiryInSeconds":1}'],
    ['a fraction for int32', '{"resourceId":"r","lockOwner":"o","expiryInSeconds":1.5}'],
    ['int32 overflow', '{"resourceId":"r","lockOwner":"o","expiryInSeconds":2147483648}'],
    ['a word for int32', '{"resourceId":"r","lockOwner":"o","expiryInSeconds":"soon"}'],
    ['a bool for int32', '{"resourceId":"r","lockOwner":"o","expiryInSeconds":true}'],
    ['both spellings of one field', '{"resourceId":"r","resource_id":"r","lockOwner":"o","expiryInSeconds":1}'],
  ])('refuses %s with 400 ERR_MALFORMED_REQUEST, without calling the block', async (_name, body) => {
    const r = await send(app, 'POST', '/v1.0-alpha1/lock/lockstore', body);
    expect(r.status).toBe(400);
    expect(r.json().errorCode).toBe('ERR_MALFORMED_REQUEST');
    expect(r.json().message).toMatch(/^failed deserializing HTTP body: /);
    expect(calls).toHaveLength(0);
  });

  it('passes block errors through with their status', async () => {
    const r = await send(app, 'POST', '/v1.0-alpha1/lock/missing', '{"resourceId":"r","lockOwner":"o","expiryInSeconds":1}');
    expect([r.status, r.json()]).toEqual([400, { errorCode: 'ERR_LOCK_STORE_NOT_FOUND', message: 'lock store missing not found' }]);
  });

  it('POST unlock: {"status":N} numeric, 0 included', async () => {
    for (const s of [UnlockResponse_Status.SUCCESS, UnlockResponse_Status.LOCK_DOES_NOT_EXIST, UnlockResponse_Status.LOCK_BELONGS_TO_OTHERS]) {
      status = s;
      const r = await send(app, 'POST', '/v1.0-alpha1/unlock/lockstore', '{"resourceId":"r","lock_owner":"o"}');
      expect([r.status, r.body]).toEqual([200, `{"status":${s}}`]);
    }
    expect(calls[0]?.req).toEqual({ storeName: 'lockstore', resourceId: 'r', lockOwner: 'o' });
    const e = await send(app, 'POST', '/v1.0-alpha1/unlock/lockstore', '{}');
    expect([e.status, e.json().errorCode]).toEqual([400, 'ERR_MALFORMED_REQUEST']);
  });

  it('routes POST only: other methods fall through to the catch-all', async () => {
    for (const m of ['GET', 'PUT', 'DELETE']) {
      const r = await send(app, m, '/v1.0-alpha1/lock/lockstore', m === 'GET' || m === 'DELETE' ? undefined : '{}');
      expect([r.status, r.json().errorCode]).toEqual([404, 'ERR_DIRECT_INVOKE']);
    }
    expect(calls).toHaveLength(0);
  });
});

describe('lock HTTP routes without the lock block', () => {
  const app = createHttpEdge(base);
  afterAll(() => app.close());

  it('answer 501 naming the block', async () => {
    for (const url of ['/v1.0-alpha1/lock/s', '/v1.0-alpha1/unlock/s']) {
      const r = await send(app, 'POST', url, '{}');
      expect(r.status).toBe(501);
      expect(r.json().errorCode).toBe('ERR_API_UNIMPLEMENTED');
      expect(r.json().message).toContain('distributed lock');
    }
  });
});
