// `lock.in-memory`: locks held in this process only (Tessera's; Dapr ships a stub of that name).
// For tests and single-process runs: nothing survives a restart and nothing is shared with other
// processes. Each call runs to completion on the event loop, so tryLock/unlock are atomic without
// locking. Expired entries are invisible and dropped when touched or by a sweep every minute.
import { LockStoreError } from '@tessera/spi';
import type { ComponentMetadata, LockFeature, LockStore, LockTryRequest, LockTryResponse, LockUnlockRequest, LockUnlockStatus } from '@tessera/spi';

const SWEEP_MS = 60_000;

interface Held {
  readonly owner: string;
  readonly expiresAt: number;
}

class InMemoryLockStore implements LockStore {
  private readonly held = new Map<string, Held>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly now: () => number) {}

  async init(): Promise<void> {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  features(): readonly LockFeature[] {
    return [];
  }

  async tryLock(req: LockTryRequest): Promise<LockTryResponse> {
    this.open();
    const now = this.now();
    if (this.live(req.resourceId, now)) return { success: false };
    this.held.set(req.resourceId, { owner: req.lockOwner, expiresAt: now + req.expiryInSeconds * 1000 });
    return { success: true };
  }

  async unlock(req: LockUnlockRequest): Promise<LockUnlockStatus> {
    this.open();
    const h = this.live(req.resourceId, this.now());
    if (!h) return 'LOCK_DOES_NOT_EXIST';
    if (h.owner !== req.lockOwner) return 'LOCK_BELONGS_TO_OTHERS';
    this.held.delete(req.resourceId);
    return 'SUCCESS';
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.held.clear();
  }

  private live(key: string, now: number): Held | undefined {
    const h = this.held.get(key);
    if (h && h.expiresAt <= now) {
      this.held.delete(key);
      return undefined;
    }
    return h;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, h] of this.held) if (h.expiresAt <= now) this.held.delete(k);
  }

  private open(): void {
    if (this.closed) throw new LockStoreError('in-memory lock store is closed');
  }
}

/** Factory registered as `lock.in-memory` v1; it takes no metadata. */
export function createInMemoryLockStore(_meta: ComponentMetadata, now: () => number = Date.now): LockStore {
  return new InMemoryLockStore(now);
}
