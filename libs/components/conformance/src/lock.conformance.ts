// The lock store conformance suite: one jest `describe` that every lock store (and every remote
// adapter of one, see lock-api-store.ts) registers from its own spec file. Cases follow the
// LockStore contract in @tessera/spi: one owner at a time (also under 100 concurrent contenders),
// no reentrancy, expiry frees the lock, only the owner unlocks, precise unlock statuses.
//
// Contract with callers:
// - `factory` returns an INITIALIZED store (init() already awaited); the suite calls close().
// - Keys are `lock||conf-<uuid>||<name>`, unique per run, so suites may share a real backend and
//   adapters that speak the lock API can split them back into app id and resource id. The keys
//   still held are released best-effort in afterAll (and all expire within a minute anyway).
// - An unreachable backend passes `opts.skipReason`: the suite is registered as skipped, with the
//   reason in its title and a loud console warning. It never shows as passed.
import { randomUUID } from 'node:crypto';
import type { LockStore, LockUnlockStatus } from '@tessera/spi';

export interface LockConformanceOptions {
  /** Set when the backend is unreachable: the whole suite is registered as skipped. */
  readonly skipReason?: string;
  /** How many tryLock() calls race for one key in the contention case (default 100). */
  readonly contenders?: number;
  /**
   * The store is handed the keys directly (default). False for adapters over the lock API, which
   * refuses `||` inside a resource id (ERR_TRY_LOCK), so the case with `||` in the key is left out.
   */
  readonly opaqueKeys?: boolean;
}

const EXPIRY_DEADLINE_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `deadlineMs` passes; returns the last answer. */
async function poll(check: () => Promise<boolean>, deadlineMs: number, everyMs = 100): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await sleep(everyMs);
  }
}

export function describeLockConformance(name: string, factory: () => Promise<LockStore>, opts: LockConformanceOptions = {}): void {
  if (opts.skipReason !== undefined) {
    const title = `${name} lock conformance — SKIPPED: ${opts.skipReason}`;
    console.warn(`\n!!!!!!!!!!\n!!! ${title}\n!!! The suite did NOT run; this is not a pass.\n!!!!!!!!!!\n`);
    describe.skip(title, () => {
      it('backend unavailable: conformance not run', () => undefined);
    });
    return;
  }

  const prefix = `lock||conf-${randomUUID()}||`;
  const held = new Map<string, string>();
  let store: LockStore;

  const k = (suffix: string): string => prefix + suffix;
  const tryLock = async (resourceId: string, lockOwner: string, expiryInSeconds = 60): Promise<boolean> => {
    const { success } = await store.tryLock({ resourceId, lockOwner, expiryInSeconds });
    if (success) held.set(resourceId, lockOwner);
    return success;
  };
  const unlock = async (resourceId: string, lockOwner: string): Promise<LockUnlockStatus> => {
    const status = await store.unlock({ resourceId, lockOwner });
    if (status === 'SUCCESS') held.delete(resourceId);
    return status;
  };

  describe(`${name} lock conformance`, () => {
    beforeAll(async () => {
      store = await factory();
    });

    afterAll(async () => {
      if (!store) return;
      await Promise.allSettled([...held].map(([resourceId, lockOwner]) => store.unlock({ resourceId, lockOwner })));
      await store.close();
    });

    it('declares no features Dapr does not define', () => {
      expect(store.features()).toEqual([]);
    });

    it('takes a free lock; a second owner is refused while it is held', async () => {
      const r = k('basic');
      expect(await tryLock(r, 'owner-a')).toBe(true);
      expect(await tryLock(r, 'owner-b')).toBe(false);
      expect(await unlock(r, 'owner-a')).toBe('SUCCESS');
      expect(await tryLock(r, 'owner-b')).toBe(true);
    });

    it('is not reentrant: the holder itself is refused a second time', async () => {
      const r = k('reentrant');
      expect(await tryLock(r, 'owner-a')).toBe(true);
      expect(await tryLock(r, 'owner-a')).toBe(false);
    });

    it('keeps locks on different resources independent', async () => {
      expect(await tryLock(k('indep-1'), 'owner-a')).toBe(true);
      expect(await tryLock(k('indep-2'), 'owner-b')).toBe(true);
      expect(await tryLock(k('indep-3'), 'owner-a')).toBe(true);
    });

    it(`grants a free lock to exactly one of ${opts.contenders ?? 100} concurrent contenders`, async () => {
      const n = opts.contenders ?? 100;
      for (let round = 0; round < 3; round++) {
        const r = k(`contended-${round}`);
        const results = await Promise.all(Array.from({ length: n }, (_, i) => tryLock(r, `owner-${i}`)));
        const winners = results.flatMap((ok, i) => (ok ? [i] : []));
        expect(winners).toHaveLength(1);
        // The winner holds it: nobody else can release it, the winner can.
        const winner = `owner-${winners[0] as number}`;
        const loser = winner === 'owner-0' ? 'owner-1' : 'owner-0';
        expect(await unlock(r, loser)).toBe('LOCK_BELONGS_TO_OTHERS');
        expect(await unlock(r, winner)).toBe('SUCCESS');
      }
    });

    it('grants a lock released while 20 racers try to take it to at most one of them', async () => {
      const r = k('handover');
      expect(await tryLock(r, 'first')).toBe(true);
      const racers = Array.from({ length: 20 }, (_, i) => `racer-${i}`);
      const release = unlock(r, 'first');
      const results = await Promise.all(racers.map((o) => tryLock(r, o)));
      expect(await release).toBe('SUCCESS');
      expect(results.filter(Boolean).length).toBeLessThanOrEqual(1);
    });

    it(
      'frees a lock when it expires',
      async () => {
        const r = k('expiry');
        expect(await tryLock(r, 'owner-a', 1)).toBe(true);
        expect(await tryLock(r, 'owner-b', 1)).toBe(false);
        const started = Date.now();
        expect(await poll(() => tryLock(r, 'owner-b', 60), EXPIRY_DEADLINE_MS)).toBe(true);
        // Not early: a 1 s lock holds for (nearly) a second; allow timer and clock granularity.
        expect(Date.now() - started).toBeGreaterThanOrEqual(500);
        // The expired owner no longer holds it.
        expect(await unlock(r, 'owner-a')).toBe('LOCK_BELONGS_TO_OTHERS');
        expect(await unlock(r, 'owner-b')).toBe('SUCCESS');
      },
      EXPIRY_DEADLINE_MS + 5000,
    );

    it(
      'answers LOCK_DOES_NOT_EXIST for an expired lock',
      async () => {
        const r = k('expired-unlock');
        expect(await tryLock(r, 'owner-a', 1)).toBe(true);
        expect(await poll(async () => (await store.unlock({ resourceId: r, lockOwner: 'probe' })) === 'LOCK_DOES_NOT_EXIST', EXPIRY_DEADLINE_MS)).toBe(true);
        held.delete(r);
        expect(await unlock(r, 'owner-a')).toBe('LOCK_DOES_NOT_EXIST');
      },
      EXPIRY_DEADLINE_MS + 5000,
    );

    it('lets only the owner unlock: others get LOCK_BELONGS_TO_OTHERS and the lock stays', async () => {
      const r = k('owner-only');
      expect(await tryLock(r, 'owner-a')).toBe(true);
      expect(await unlock(r, 'owner-b')).toBe('LOCK_BELONGS_TO_OTHERS');
      expect(await unlock(r, 'OWNER-A')).toBe('LOCK_BELONGS_TO_OTHERS');
      expect(await tryLock(r, 'owner-b')).toBe(false);
      expect(await unlock(r, 'owner-a')).toBe('SUCCESS');
    });

    it('answers LOCK_DOES_NOT_EXIST for a lock never taken, and for one already released', async () => {
      expect(await unlock(k('never'), 'owner-a')).toBe('LOCK_DOES_NOT_EXIST');
      const r = k('twice');
      expect(await tryLock(r, 'owner-a')).toBe(true);
      expect(await unlock(r, 'owner-a')).toBe('SUCCESS');
      expect(await unlock(r, 'owner-a')).toBe('LOCK_DOES_NOT_EXIST');
    });

    it('keeps keys and owners exactly: case, unicode, separators inside the key, 4 KiB values', async () => {
      // 4096 bytes each: the most the lock API lets through (LOCK_MAX_FIELD_BYTES).
      const big = 'x'.repeat(4092);
      const cases: Array<[string, string]> = [
        [k('Case'), 'Owner'],
        [k('case'), 'owner'],
        [k('ünï-çødé-😀'), 'владелец-😀'],
        [k(`big-${big}`), `own-${big}`],
        [k("quote-'\"-%_*?[]"), "'; DROP TABLE x; --"],
      ];
      if (opts.opaqueKeys !== false) cases.push([k('a||b'), 'o||p']);
      for (const [r, o] of cases) expect(await tryLock(r, o)).toBe(true);
      for (const [r, o] of cases) {
        // Another owner of the same length: differs in the last character only.
        const other = `${Array.from(o).slice(0, -1).join('')}#`;
        expect(await unlock(r, other)).toBe('LOCK_BELONGS_TO_OTHERS');
        expect(await unlock(r, o)).toBe('SUCCESS');
      }
    });

    it('takes a lock with a long expiry (int32 max seconds) without overflowing', async () => {
      const r = k('long-expiry');
      expect(await tryLock(r, 'owner-a', 2_147_483_647)).toBe(true);
      expect(await tryLock(r, 'owner-b', 1)).toBe(false);
      expect(await unlock(r, 'owner-a')).toBe('SUCCESS');
    });
  });
}
