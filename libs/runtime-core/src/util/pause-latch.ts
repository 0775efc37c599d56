// Pausing long-running delivery loops (pub/sub subscriptions, input-binding readers) while the
// app is unhealthy: a latch the loops wait on, and a wait for the work in flight to end.

/**
 * A pause switch async loops wait on. pause() / resume() flip it; untilResumed() resolves at the
 * next resume() (at once when not paused); release() wakes every waiter without resuming, for a
 * shutdown that must not leave loops parked.
 */
export class PauseLatch {
  #paused = false;
  #waiter: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined = undefined;

  get paused(): boolean {
    return this.#paused;
  }

  /** False when it was paused already. */
  pause(): boolean {
    if (this.#paused) return false;
    this.#paused = true;
    let resolve: () => void = () => undefined;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#waiter = { promise, resolve };
    return true;
  }

  /** False when it was not paused. Wakes the waiters. */
  resume(): boolean {
    if (!this.#paused) return false;
    this.#paused = false;
    this.release();
    return true;
  }

  /** Wakes the waiters; the latch stays as it is (later waits resolve at once). */
  release(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.resolve();
  }

  untilResumed(): Promise<void> {
    return this.#waiter?.promise ?? Promise.resolve();
  }
}

/** Work in flight on one loop: a count, and who waits for it to reach zero. */
export interface InFlight {
  busy: number;
  readonly idleWaiters: Array<() => void>;
}

/** Resolves when `work.busy` is 0 (whoever decrements it calls the idleWaiters), or after maxMs. */
export function idleOrTimeout(work: InFlight, maxMs: number): Promise<void> {
  if (work.busy === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, maxMs);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    work.idleWaiters.push(done);
  });
}
