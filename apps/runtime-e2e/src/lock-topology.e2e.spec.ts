// The lock as a distributed lock across real processes: several gateways sharing one lock-svc
// (split mode), several all-in-one runtimes sharing one Redis, Dapr's keyPrefix layouts landing in
// Redis as daprd writes them, and lock-svc killed mid-run (SIGKILL): the gateway answers Dapr's
// ERR_TRY_LOCK while it is gone, recovers by itself, and the embedded SQLite lock store kept the
// locks it had granted.
import { randomUUID } from 'node:crypto';
import { redisSkipReason } from '@tessera/testing';
import { redisLock, redisLockYaml } from './support/lock';
import { freePort, resourcesDir, startLockSvc, startRuntime, tempDir } from './support/processes';
import type { LockSvc, Runtime } from './support/processes';

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

async function post(rt: Runtime, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${rt.http}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const lock = (rt: Runtime, resourceId: string, lockOwner: string, expiryInSeconds = 30, store = 'lockstore') =>
  post(rt, `/v1.0-alpha1/lock/${store}`, { resourceId, lockOwner, expiryInSeconds });
const unlock = (rt: Runtime, resourceId: string, lockOwner: string, store = 'lockstore') => post(rt, `/v1.0-alpha1/unlock/${store}`, { resourceId, lockOwner });

describe('split mode: three gateways on one lock-svc (embedded lock.sqlite)', () => {
  let svc: LockSvc;
  let svcPort: number;
  const svcCwd = tempDir('tessera-lock-topo-svc-');
  let shop1: Runtime;
  let shop2: Runtime;
  let billing: Runtime;

  beforeAll(async () => {
    svcPort = await freePort();
    svc = await startLockSvc({ cwd: svcCwd, port: svcPort });
    [shop1, shop2, billing] = await Promise.all([
      startRuntime({ appId: 'shop', lockSvc: svc.address }),
      startRuntime({ appId: 'shop', lockSvc: svc.address }),
      startRuntime({ appId: 'billing', lockSvc: svc.address }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([shop1?.stop(), shop2?.stop(), billing?.stop()]);
    await svc?.stop();
  });

  it('gateways of one app contend for the same lock; another app has its own (lock||<appId>||…)', async () => {
    const r = `${RUN}-shared`;
    expect((await lock(shop1, r, 'shop-1')).json).toEqual({ success: true });
    expect((await lock(shop2, r, 'shop-2')).json).toEqual({ success: false });
    expect((await unlock(shop2, r, 'shop-2')).json).toEqual({ status: 2 });
    expect((await lock(billing, r, 'billing')).json).toEqual({ success: true });
    expect((await unlock(shop2, r, 'shop-1')).json).toEqual({ status: 0 }); // the owner may release it through any gateway of its app
    expect((await lock(shop2, r, 'shop-2')).json).toEqual({ success: true });
  });

  it('exactly one winner among 60 concurrent callers spread over two gateways', async () => {
    for (let round = 0; round < 3; round++) {
      const r = `${RUN}-race-${round}`;
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => lock(i % 2 === 0 ? shop1 : shop2, r, `racer-${i}`)));
      expect(results.every((x) => x.status === 200)).toBe(true);
      expect(results.filter((x) => x.json['success'] === true)).toHaveLength(1);
    }
  });

  it('metadata of each gateway lists the lock-svc\'s lock store', async () => {
    const meta = (await (await fetch(`${billing.http}/v1.0/metadata`)).json()) as { components: Array<{ name: string; type: string }> };
    expect(meta.components).toContainEqual({ name: 'lockstore', type: 'lock.sqlite', version: 'v1', capabilities: [] });
  });

  it('lock-svc killed: ERR_TRY_LOCK / ERR_UNLOCK (500) while it is gone; back on its port, locks granted before survive', async () => {
    const r = `${RUN}-durable`;
    expect((await lock(shop1, r, 'before-kill', 120)).json).toEqual({ success: true });
    await svc.proc.kill();

    const down = await lock(shop1, `${RUN}-down`, 'o');
    expect(down.status).toBe(500);
    expect(down.json['errorCode']).toBe('ERR_TRY_LOCK');
    expect(String(down.json['message'])).toMatch(/^failed to try acquiring lock: lock-svc at 127\.0\.0\.1:\d+ is unreachable/);
    const downU = await unlock(shop1, r, 'before-kill');
    expect([downU.status, downU.json['errorCode']]).toEqual([500, 'ERR_UNLOCK']);
    expect(shop1.proc.exitCode).toBeUndefined();

    svc = await startLockSvc({ cwd: svcCwd, port: svcPort });
    const until = Date.now() + 10_000;
    let again = await lock(shop2, r, 'after-restart');
    while (again.status !== 200 && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 100));
      again = await lock(shop2, r, 'after-restart');
    }
    expect(again.json).toEqual({ success: false }); // still held by `before-kill`, from lock.db
    expect((await unlock(shop1, r, 'before-kill')).json).toEqual({ status: 0 });
  });
});

const redisSkip = redisSkipReason();
if (redisSkip !== undefined) console.warn(`SKIPPED lock-topology on lock.redis: ${redisSkip}`);

(redisSkip === undefined ? describe : describe.skip)(`lock.redis across processes${redisSkip ? ` — SKIPPED: ${redisSkip}` : ''}`, () => {
  const appId = `lock-topo-${randomUUID().slice(0, 8)}`;
  let a: Runtime;
  let b: Runtime;

  beforeAll(async () => {
    const res = resourcesDir({
      'lockstore.yaml': redisLockYaml('lockstore'),
      'byname.yaml': redisLockYaml('byname', '    - name: keyPrefix\n      value: name\n'),
      'nopfx.yaml': redisLockYaml('nopfx', '    - name: keyPrefix\n      value: none\n'),
      'custom.yaml': redisLockYaml('custom', '    - name: keyPrefix\n      value: MyTeam\n'),
    });
    [a, b] = await Promise.all([startRuntime({ appId, resources: [res] }), startRuntime({ appId, resources: [res] })]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('two all-in-one runtimes of one app on one Redis: exactly one winner among 60 callers', async () => {
    const r = `${RUN}-redis-race`;
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => lock(i % 2 === 0 ? a : b, r, `racer-${i}`)));
    const winners = results.flatMap((x, i) => (x.json['success'] === true ? [i] : []));
    expect(winners).toHaveLength(1);
    expect((await redisLock(`lock||${appId}||${r}`)).owner).toBe(`racer-${winners[0] as number}`);
  });

  it.each([
    ['lockstore', (r: string) => `lock||${appId}||${r}`],
    ['byname', (r: string) => `lock||byname||${r}`],
    ['nopfx', (r: string) => `lock||${r}`],
    ['custom', (r: string) => `lock||myteam||${r}`],
  ])('keyPrefix of %s lands in Redis as daprd lays it out', async (store, keyOf) => {
    const r = `${RUN}-layout-${store}`;
    expect((await lock(a, r, 'owner-1', 30, store)).json).toEqual({ success: true });
    const held = await redisLock(keyOf(r));
    expect(held.owner).toBe('owner-1');
    expect(held.pttl).toBeGreaterThan(25_000);
    expect((await unlock(b, r, 'owner-1', store)).json).toEqual({ status: 0 });
    expect((await redisLock(keyOf(r))).owner).toBeNull();
  });
});
