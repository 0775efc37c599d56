// Compatibility: the official Dapr JS SDK (@dapr/dapr 3.x) drives Tessera's distributed lock API
// unchanged (client.lock.lock / client.lock.unlock), over HTTP and over gRPC, in both topologies
// (all-in-one; split = gateway + lock-svc as separate processes), on real Redis and PostgreSQL and
// the embedded SQLite default. Locks land in the backend under Dapr's key `lock||<appId>||<id>`;
// only one of many concurrent callers wins; expiry frees a lock; only the owner releases it; and
// the errors the SDK surfaces are Dapr's (HTTP status + errorCode / gRPC code).
//
// One runtime (or gateway + lock-svc pair) per combination, started in beforeAll. Resource ids are
// unique per run; PostgreSQL uses a table of its own for this file, dropped afterwards.
import { join } from 'node:path';
// The SDK's own enum; its root index does not re-export it.
import { LockStatus } from '@dapr/dapr/types/lock/UnlockResponse';
import type { DaprClient } from '@dapr/dapr';
import { postgresSkipReason, redisSkipReason } from '@tessera/testing';
import { dropPostgresTable, postgresLock, postgresLockYaml, redisLock, redisLockYaml, sqliteLock } from './support/lock';
import { resourcesDir, startLockSvc, startRuntime, tempDir } from './support/processes';
import type { LockSvc, Runtime } from './support/processes';
import { GrpcCode, expectedShape, sdkClient, sdkError, shapeOf } from './support/sdk';
import type { ExpectedDaprError, Protocol } from './support/sdk';

type Mode = 'all-in-one' | 'split';
type Store = 'redis' | 'postgresql' | 'sqlite';

interface Combo {
  mode: Mode;
  store: Store;
  protocol: Protocol;
  skip?: string;
}

const TABLE = 'tessera_e2e_sdk_lock';
const STORE = 'lockstore';
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

const skipReason: Record<Store, string | undefined> = { redis: redisSkipReason(), postgresql: postgresSkipReason(), sqlite: undefined };

const combos: Combo[] = [];
for (const mode of ['all-in-one', 'split'] as const) {
  for (const store of ['redis', 'postgresql', 'sqlite'] as const) {
    for (const protocol of ['HTTP', 'gRPC'] as const) {
      const skip = skipReason[store];
      combos.push(skip === undefined ? { mode, store, protocol } : { mode, store, protocol, skip });
    }
  }
}
const runnable = combos.filter((c) => c.skip === undefined);
const skipped = combos.filter((c) => c.skip !== undefined);
for (const store of new Set(skipped.map((c) => c.store))) {
  console.warn(`SKIPPED: SDK lock compatibility on lock.${store} (every mode and protocol): ${skipReason[store]}`);
}
if (skipped.length > 0) {
  describe.skip.each(skipped)('SDK lock: $mode / lock.$store / $protocol — SKIPPED: $skip', () => {
    it('needs its backend', () => undefined);
  });
}

const NOT_FOUND: ExpectedDaprError = { http: { status: 400, errorCode: 'ERR_LOCK_STORE_NOT_FOUND' }, grpc: { code: GrpcCode.InvalidArgument } };
const MALFORMED: ExpectedDaprError = { http: { status: 400, errorCode: 'ERR_MALFORMED_REQUEST' }, grpc: { code: GrpcCode.InvalidArgument } };
const TRY_LOCK_FAILED: ExpectedDaprError = { http: { status: 500, errorCode: 'ERR_TRY_LOCK' }, grpc: { code: GrpcCode.Internal } };
const UNLOCK_FAILED: ExpectedDaprError = { http: { status: 500, errorCode: 'ERR_UNLOCK' }, grpc: { code: GrpcCode.Internal } };

async function eventually(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > until) throw new Error(`${what}: not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterAll(async () => {
  if (skipReason.postgresql === undefined) await dropPostgresTable(TABLE);
});

describe.each(runnable)('SDK lock: $mode / lock.$store / $protocol', ({ mode, store, protocol }) => {
  const appId = `lock-${mode}-${store}-${protocol}`.toLowerCase();
  const rid = (name: string): string => `${RUN}-${protocol}-${name}`;
  const svcCwd = tempDir('tessera-lock-svc-');
  const cwd = tempDir('tessera-sdk-lock-');
  let svc: LockSvc | undefined;
  let rt: Runtime;
  let client: DaprClient;

  /** Who holds `resourceId` in the backend, read there directly (Dapr's key layout). */
  const holder = async (resourceId: string): Promise<string | undefined> => {
    const key = `lock||${appId}||${resourceId}`;
    if (store === 'redis') return (await redisLock(key)).owner ?? undefined;
    if (store === 'postgresql') return (await postgresLock(TABLE, key))?.owner;
    return sqliteLock(join(mode === 'split' ? svcCwd : cwd, '.tessera', 'lock.db'), key)?.owner;
  };

  beforeAll(async () => {
    const files: Record<string, string> = {};
    if (store === 'redis') files['lockstore.yaml'] = redisLockYaml(STORE);
    if (store === 'postgresql') files['lockstore.yaml'] = postgresLockYaml(STORE, TABLE);
    // sqlite: no resources at all, i.e. the embedded `lockstore` (lock.sqlite in .tessera/lock.db).
    const resources = store === 'sqlite' ? [] : [resourcesDir(files)];
    if (mode === 'split') {
      svc = await startLockSvc({ resources, cwd: svcCwd });
      rt = await startRuntime({ appId, lockSvc: svc.address, cwd });
    } else {
      rt = await startRuntime({ appId, resources, cwd });
    }
    client = sdkClient(protocol, rt);
  });

  afterAll(async () => {
    await client?.stop().catch(() => undefined);
    await rt?.stop();
    await svc?.stop();
  });

  it('lock, refuse a second owner, unlock by the owner only, then the lock is free', async () => {
    const r = rid('basic');
    expect(await client.lock.lock(STORE, r, 'owner-a', 30)).toEqual({ success: true });
    expect(await holder(r)).toBe('owner-a');
    expect(await client.lock.lock(STORE, r, 'owner-b', 30)).toEqual({ success: false });
    expect(await client.lock.lock(STORE, r, 'owner-a', 30)).toEqual({ success: false }); // not reentrant
    expect(await client.lock.unlock(STORE, r, 'owner-b')).toEqual({ status: LockStatus.LockBelongsToOthers });
    expect(await holder(r)).toBe('owner-a');
    expect(await client.lock.unlock(STORE, r, 'owner-a')).toEqual({ status: LockStatus.Success });
    expect(await holder(r)).toBeUndefined();
    expect(await client.lock.unlock(STORE, r, 'owner-a')).toEqual({ status: LockStatus.LockDoesNotExist });
    expect(await client.lock.lock(STORE, r, 'owner-b', 30)).toEqual({ success: true });
    expect(await client.lock.unlock(STORE, r, 'owner-b')).toEqual({ status: LockStatus.Success });
  });

  it('unlock of a lock never taken: LockDoesNotExist', async () => {
    expect(await client.lock.unlock(STORE, rid('never'), 'owner-a')).toEqual({ status: LockStatus.LockDoesNotExist });
  });

  it('exactly one of 50 concurrent callers gets the lock', async () => {
    const r = rid('contended');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.lock.lock(STORE, r, `racer-${i}`, 30)));
    const winners = results.flatMap((res, i) => (res.success ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(await holder(r)).toBe(`racer-${winners[0] as number}`);
    expect(await client.lock.unlock(STORE, r, `racer-${winners[0] as number}`)).toEqual({ status: LockStatus.Success });
  });

  it('a lock expires after expiryInSeconds, then another owner gets it', async () => {
    const r = rid('expiry');
    expect(await client.lock.lock(STORE, r, 'short', 1)).toEqual({ success: true });
    expect(await client.lock.lock(STORE, r, 'next', 30)).toEqual({ success: false });
    await eventually(async () => (await client.lock.lock(STORE, r, 'next', 30)).success, 5000, `${r} expiring`);
    expect(await holder(r)).toBe('next');
    expect(await client.lock.unlock(STORE, r, 'short')).toEqual({ status: LockStatus.LockBelongsToOthers });
    expect(await client.lock.unlock(STORE, r, 'next')).toEqual({ status: LockStatus.Success });
  });

  it('an unknown store: ERR_LOCK_STORE_NOT_FOUND', async () => {
    expect(shapeOf(await sdkError(protocol, () => client.lock.lock('nostore', rid('x'), 'o', 10)))).toEqual(expectedShape(protocol, NOT_FOUND));
    expect(shapeOf(await sdkError(protocol, () => client.lock.unlock('nostore', rid('x'), 'o')))).toEqual(expectedShape(protocol, NOT_FOUND));
  });

  it('bad input: expiry 0 or negative, empty owner or resource, an oversized owner -> ERR_MALFORMED_REQUEST', async () => {
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['expiry 0', () => client.lock.lock(STORE, rid('bad'), 'o', 0)],
      ['expiry -5', () => client.lock.lock(STORE, rid('bad'), 'o', -5)],
      ['empty owner', () => client.lock.lock(STORE, rid('bad'), '', 10)],
      ['empty resource', () => client.lock.lock(STORE, '', 'o', 10)],
      ['oversized owner', () => client.lock.lock(STORE, rid('bad'), 'o'.repeat(4097), 10)],
      ['unlock, empty owner', () => client.lock.unlock(STORE, rid('bad'), '')],
    ];
    for (const [what, call] of cases) {
      const e = await sdkError(protocol, call);
      expect({ what, ...shapeOf(e) }).toEqual({ what, ...expectedShape(protocol, MALFORMED) });
    }
    expect(await holder(rid('bad'))).toBeUndefined();
  });

  it('`||` in the resource id: ERR_TRY_LOCK / ERR_UNLOCK, as daprd', async () => {
    expect(shapeOf(await sdkError(protocol, () => client.lock.lock(STORE, 'a||b', 'o', 10)))).toEqual(expectedShape(protocol, TRY_LOCK_FAILED));
    expect(shapeOf(await sdkError(protocol, () => client.lock.unlock(STORE, 'a||b', 'o')))).toEqual(expectedShape(protocol, UNLOCK_FAILED));
  });

  it('the runtime keeps serving after all of that', async () => {
    const r = rid('after');
    expect(await client.lock.lock(STORE, r, 'o', 10)).toEqual({ success: true });
    expect(await client.lock.unlock(STORE, r, 'o')).toEqual({ status: LockStatus.Success });
    expect(rt.proc.exitCode).toBeUndefined();
    expect(svc?.proc.exitCode).toBeUndefined();
  });
});
