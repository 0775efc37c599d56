// Bad input on the Dapr lock API (spec/http-api.md 8, errors.md "Lock") against real processes:
// daprd's validation order, malformed and mistyped protojson bodies, oversized values and bodies,
// unknown stores, no lock store at all, methods other than POST, and the same over gRPC (raw
// @grpc/grpc-js, so values the SDK would not send arrive as sent). After every case the process
// must still serve. All-in-one on the embedded lock.sqlite default and on lock.redis.
import * as grpc from '@grpc/grpc-js';
import { DaprClient } from '@tessera/contracts';
import { redisSkipReason } from '@tessera/testing';
import { redisLockYaml } from './support/lock';
import { inMemoryStateYaml } from './support/components';
import { resourcesDir, startRuntime } from './support/processes';
import type { Runtime } from './support/processes';

const STORE = 'lockstore';
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const NO_APP_ID = 'failed getting app id either from the URL path or the header dapr-app-id';

interface Answer {
  status: number;
  contentType: string;
  text: string;
  json?: { errorCode?: string; message?: string; success?: boolean; status?: number };
}

async function call(rt: Runtime, method: string, path: string, body?: string | Buffer): Promise<Answer> {
  const res = await fetch(`${rt.http}${path}`, { method, body, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
  const text = await res.text();
  let json: Answer['json'];
  try {
    json = JSON.parse(text) as Answer['json'];
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}

function expectDaprError(a: Answer, status: number, errorCode: string, message?: string | RegExp): void {
  expect({ status: a.status, errorCode: a.json?.errorCode }).toEqual({ status, errorCode });
  expect(a.contentType).toMatch(/^application\/json/);
  if (message !== undefined) expect(a.json?.message).toMatch(message);
}

const redisSkip = redisSkipReason();
const backends = [
  { name: 'embedded lock.sqlite default', redis: false },
  { name: 'lock.redis', redis: true, ...(redisSkip !== undefined ? { skip: redisSkip } : {}) },
];
for (const b of backends.filter((x) => x.skip !== undefined)) console.warn(`SKIPPED lock-bad-input on ${b.name}: ${b.skip}`);
if (backends.some((b) => b.skip !== undefined)) {
  describe.skip.each(backends.filter((b) => b.skip !== undefined))('lock bad input on $name — SKIPPED: $skip', () => {
    it('needs its backend', () => undefined);
  });
}

describe.each(backends.filter((b) => b.skip === undefined))('lock bad input on $name', ({ redis }) => {
  let rt: Runtime;
  let client: InstanceType<typeof DaprClient>;
  const rid = (name: string): string => `${RUN}-${redis ? 'r' : 's'}-${name}`;
  const lock = (body: unknown, store = STORE) => call(rt, 'POST', `/v1.0-alpha1/lock/${store}`, typeof body === 'string' ? body : JSON.stringify(body));
  const unlock = (body: unknown, store = STORE) => call(rt, 'POST', `/v1.0-alpha1/unlock/${store}`, typeof body === 'string' ? body : JSON.stringify(body));
  const grpcCall = <T>(fn: (cb: (e: grpc.ServiceError | null, r: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));

  beforeAll(async () => {
    rt = await startRuntime({
      appId: `lock-bad-input-${redis ? 'redis' : 'sqlite'}`,
      resources: redis ? [resourcesDir({ 'lockstore.yaml': redisLockYaml(STORE) })] : [],
      extraArgs: ['--max-body-size', '16Ki'],
    });
    client = new DaprClient(`127.0.0.1:${rt.grpcPort}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await rt?.stop();
  });

  afterEach(async () => {
    // Whatever the previous request did, the process is alive and serving locks.
    expect(rt.proc.exitCode).toBeUndefined();
    const r = rid(`alive-${Math.random()}`);
    expect((await lock({ resourceId: r, lockOwner: 'o', expiryInSeconds: 5 })).json).toEqual({ success: true });
    expect((await unlock({ resourceId: r, lockOwner: 'o' })).json).toEqual({ status: 0 });
  });

  describe('validation order (daprd)', () => {
    it('expiry 0 -> 400 ERR_MALFORMED_REQUEST, checked before the store name', async () => {
      expectDaprError(await lock({ resourceId: rid('x'), lockOwner: 'o', expiryInSeconds: 0 }, 'nostore'), 400, 'ERR_MALFORMED_REQUEST', 'ExpiryInSeconds is not positive in lock store nostore');
    });

    it('negative expiry, and no expiry at all -> 400 ERR_MALFORMED_REQUEST', async () => {
      expectDaprError(await lock({ resourceId: rid('x'), lockOwner: 'o', expiryInSeconds: -1 }), 400, 'ERR_MALFORMED_REQUEST', /ExpiryInSeconds is not positive/);
      expectDaprError(await lock({ resourceId: rid('x'), lockOwner: 'o' }), 400, 'ERR_MALFORMED_REQUEST', /ExpiryInSeconds is not positive/);
    });

    it('an empty body is an empty request -> the expiry check answers', async () => {
      expectDaprError(await call(rt, 'POST', `/v1.0-alpha1/lock/${STORE}`), 400, 'ERR_MALFORMED_REQUEST', /ExpiryInSeconds is not positive/);
      expectDaprError(await call(rt, 'POST', `/v1.0-alpha1/unlock/${STORE}`), 400, 'ERR_MALFORMED_REQUEST', `ResourceId is empty in lock store ${STORE}`);
    });

    it('empty resourceId, then empty lockOwner, checked before the store name', async () => {
      expectDaprError(await lock({ resourceId: '', lockOwner: '', expiryInSeconds: 5 }, 'nostore'), 400, 'ERR_MALFORMED_REQUEST', 'ResourceId is empty in lock store nostore');
      expectDaprError(await lock({ resourceId: rid('x'), lockOwner: '', expiryInSeconds: 5 }, 'nostore'), 400, 'ERR_MALFORMED_REQUEST', 'LockOwner is empty in lock store nostore');
      expectDaprError(await unlock({ resourceId: rid('x') }), 400, 'ERR_MALFORMED_REQUEST', `LockOwner is empty in lock store ${STORE}`);
    });

    it('an unknown store -> 400 ERR_LOCK_STORE_NOT_FOUND', async () => {
      expectDaprError(await lock({ resourceId: rid('x'), lockOwner: 'o', expiryInSeconds: 5 }, 'nostore'), 400, 'ERR_LOCK_STORE_NOT_FOUND', 'lock store nostore not found');
      expectDaprError(await unlock({ resourceId: rid('x'), lockOwner: 'o' }, 'nostore'), 400, 'ERR_LOCK_STORE_NOT_FOUND', 'lock store nostore not found');
    });

    it('`||` in the resource id -> 500 ERR_TRY_LOCK / ERR_UNLOCK', async () => {
      expectDaprError(await lock({ resourceId: 'a||b', lockOwner: 'o', expiryInSeconds: 5 }), 500, 'ERR_TRY_LOCK', "failed to try acquiring lock: input key/keyPrefix 'a||b' can't contain '||'");
      expectDaprError(await unlock({ resourceId: 'a||b', lockOwner: 'o' }), 500, 'ERR_UNLOCK', "failed to release lock: input key/keyPrefix 'a||b' can't contain '||'");
    });
  });

  describe('bodies', () => {
    it.each([
      ['malformed JSON', '{"resourceId":'],
      ['a JSON array', '[]'],
      ['a JSON string', '"lock"'],
      ['null', 'null'],
      ['resourceId is a number', { resourceId: 5, lockOwner: 'o', expiryInSeconds: 5 }],
      ['lockOwner is an object', { resourceId: 'r', lockOwner: { a: 1 }, expiryInSeconds: 5 }],
      ['expiryInSeconds is a fraction', { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 1.5 }],
      ['expiryInSeconds is a word', { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 'ten' }],
      ['expiryInSeconds is beyond int32', { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 4294967296 }],
      ['expiryInSeconds is a boolean', { resourceId: 'r', lockOwner: 'o', expiryInSeconds: true }],
      ['the same field in both spellings', '{"resourceId":"r","resource_id":"r","lockOwner":"o","expiryInSeconds":5}'],
    ])('%s -> 400 ERR_MALFORMED_REQUEST "failed deserializing HTTP body"', async (_name, body) => {
      expectDaprError(await lock(body), 400, 'ERR_MALFORMED_REQUEST', /^failed deserializing HTTP body: /);
    });

    it('snake_case names, a string int32 and unknown fields are accepted (protojson)', async () => {
      const r = rid('snake');
      const a = await lock({ resource_id: r, lock_owner: 'o', expiry_in_seconds: '30', somethingElse: [1, 2] });
      expect([a.status, a.text]).toEqual([200, '{"success":true}']);
      const b = await unlock({ resource_id: r, lock_owner: 'o' });
      expect([b.status, b.text]).toEqual([200, '{"status":0}']);
    });

    it('an owner or resource id over 4096 bytes -> 400 ERR_MALFORMED_REQUEST naming the limit', async () => {
      expectDaprError(await lock({ resourceId: rid('big'), lockOwner: 'o'.repeat(4097), expiryInSeconds: 5 }), 400, 'ERR_MALFORMED_REQUEST', /LockOwner is 4097 bytes .* at most 4096 bytes/);
      expectDaprError(await lock({ resourceId: 'é'.repeat(2049), lockOwner: 'o', expiryInSeconds: 5 }), 400, 'ERR_MALFORMED_REQUEST', /ResourceId is 4098 bytes/);
      expectDaprError(await unlock({ resourceId: rid('big'), lockOwner: 'o'.repeat(5000) }), 400, 'ERR_MALFORMED_REQUEST', /LockOwner is 5000 bytes/);
      const ok = await lock({ resourceId: rid('max'), lockOwner: 'o'.repeat(4096), expiryInSeconds: 5 });
      expect(ok.json).toEqual({ success: true });
      expect((await unlock({ resourceId: rid('max'), lockOwner: 'o'.repeat(4096) })).json).toEqual({ status: 0 });
    });

    it('a body over --max-body-size -> 413 ERR_BODY_READ', async () => {
      expectDaprError(await lock({ resourceId: 'r', lockOwner: 'o'.repeat(20_000), expiryInSeconds: 5 }), 413, 'ERR_BODY_READ');
    });
  });

  describe('routes', () => {
    it.each(['GET', 'PUT', 'DELETE'])('%s is not routed -> catch-all 404 ERR_DIRECT_INVOKE', async (method) => {
      expectDaprError(await call(rt, method, `/v1.0-alpha1/lock/${STORE}`, method === 'PUT' ? '{}' : undefined), 404, 'ERR_DIRECT_INVOKE', NO_APP_ID);
    });

    it('the v1.0 prefix is not a lock route -> catch-all 404', async () => {
      expectDaprError(await call(rt, 'POST', `/v1.0/lock/${STORE}`, '{}'), 404, 'ERR_DIRECT_INVOKE');
    });
  });

  describe('gRPC', () => {
    const code = async (p: Promise<unknown>): Promise<[number, string]> => {
      const e = (await p.then(() => undefined, (err: grpc.ServiceError) => err)) as grpc.ServiceError | undefined;
      if (!e) throw new Error('expected the call to fail');
      return [e.code, e.details];
    };

    it('answers the same validation with Dapr\'s gRPC codes', async () => {
      expect(await code(grpcCall((cb) => client.tryLockAlpha1({ storeName: STORE, resourceId: rid('g'), lockOwner: 'o', expiryInSeconds: 0 }, cb)))).toEqual([
        grpc.status.INVALID_ARGUMENT, `ExpiryInSeconds is not positive in lock store ${STORE}`,
      ]);
      expect(await code(grpcCall((cb) => client.tryLockAlpha1({ storeName: STORE, resourceId: rid('g'), lockOwner: '', expiryInSeconds: 5 }, cb)))).toEqual([
        grpc.status.INVALID_ARGUMENT, `LockOwner is empty in lock store ${STORE}`,
      ]);
      expect(await code(grpcCall((cb) => client.tryLockAlpha1({ storeName: 'nostore', resourceId: rid('g'), lockOwner: 'o', expiryInSeconds: 5 }, cb)))).toEqual([
        grpc.status.INVALID_ARGUMENT, 'lock store nostore not found',
      ]);
      expect((await code(grpcCall((cb) => client.unlockAlpha1({ storeName: STORE, resourceId: 'a||b', lockOwner: 'o' }, cb))))[0]).toBe(grpc.status.INTERNAL);
      expect((await code(grpcCall((cb) => client.unlockAlpha1({ storeName: STORE, resourceId: rid('g'), lockOwner: 'x'.repeat(4097) }, cb))))[0]).toBe(grpc.status.INVALID_ARGUMENT);
    });

    it('int32 max expiry is accepted', async () => {
      const r = rid('g-max');
      expect(await grpcCall((cb) => client.tryLockAlpha1({ storeName: STORE, resourceId: r, lockOwner: 'o', expiryInSeconds: 2147483647 }, cb))).toEqual({ success: true });
      expect(await grpcCall((cb) => client.unlockAlpha1({ storeName: STORE, resourceId: r, lockOwner: 'o' }, cb))).toEqual({ status: 0 });
    });
  });
});

describe('lock API with no lock store loaded', () => {
  let rt: Runtime;
  beforeAll(async () => {
    // Resources with a state store only: no lock component at all.
    rt = await startRuntime({ appId: 'lock-none', resources: [resourcesDir({ 'state.yaml': inMemoryStateYaml('statestore') })] });
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it('-> 500 ERR_LOCK_STORE_NOT_CONFIGURED, after the expiry check and before the others', async () => {
    expectDaprError(await call(rt, 'POST', '/v1.0-alpha1/lock/x', '{"resourceId":"","lockOwner":"","expiryInSeconds":5}'), 500, 'ERR_LOCK_STORE_NOT_CONFIGURED', 'lock store is not configured');
    expectDaprError(await call(rt, 'POST', '/v1.0-alpha1/lock/x', '{"resourceId":"r","lockOwner":"o","expiryInSeconds":0}'), 400, 'ERR_MALFORMED_REQUEST');
    expectDaprError(await call(rt, 'POST', '/v1.0-alpha1/unlock/x', '{}'), 500, 'ERR_LOCK_STORE_NOT_CONFIGURED');
    const meta = (await (await fetch(`${rt.http}/v1.0/metadata`)).json()) as { components: Array<{ type: string }> };
    expect(meta.components.filter((c) => c.type.startsWith('lock.'))).toEqual([]);
  });
});
