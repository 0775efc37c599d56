// FIFO counting semaphore for --app-max-concurrency: at most `limit` calls in flight to the app,
// later calls wait in arrival order. A slot freed by release() is handed straight to the oldest
// live waiter, so a newcomer can never overtake the queue. A waiter whose call is aborted leaves
// the queue (lazily: it is skipped when reached) and is rejected with the abort error.
// Single-threaded by construction (one event loop); no dependency.
import type { CallWatch } from './call-watch';

interface Waiter {
  resolve(): void;
  /** Set when the waiter's call was aborted while queued; release() skips it. */
  cancelled: boolean;
  /** Set when a slot was handed to the waiter. */
  granted: boolean;
}

export class Semaphore {
  private active = 0;
  private queue: Array<Waiter | undefined> = [];
  private head = 0;
  private live = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be an integer >= 1, got ${limit}`);
  }

  /** Calls holding a slot. */
  get inFlight(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.live;
  }

  /** Takes a slot if one is free and nobody is queued. */
  tryAcquire(): boolean {
    if (this.active < this.limit && this.live === 0) {
      this.active++;
      return true;
    }
    return false;
  }

  /**
   * Waits for a slot. Resolves holding it (release() it later); rejects with the watch's error,
   * holding nothing, when the call is aborted first.
   */
  acquire(watch: CallWatch): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, cancelled: false, granted: false };
      this.queue.push(w);
      this.live++;
      watch.onAbort((err) => {
        // Granted but not yet resumed: keep the slot; the caller sees watch.error and releases it.
        if (w.granted) return;
        w.cancelled = true;
        this.live--;
        reject(err);
        this.compact();
      });
    });
  }

  release(): void {
    while (this.head < this.queue.length) {
      const w = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (w === undefined || w.cancelled) continue;
      this.live--;
      w.granted = true;
      this.compact();
      w.resolve();
      return;
    }
    this.compact();
    if (this.active > 0) this.active--;
  }

  private compact(): void {
    if (this.live === 0) {
      // Cancelled leftovers only: drop them all.
      if (this.queue.length > 0) {
        this.queue = [];
        this.head = 0;
      }
    } else if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
