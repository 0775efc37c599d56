// `bindings.cron` v1 (components.md 5.16): an input binding that fires an event with an empty
// body on every tick of `schedule`, with metadata `timeZone` (the zone the schedule is read in)
// and `readTimeUTC` (RFC 3339, the moment the tick fired). Input only: no operations().
// One timer per reader, re-armed for the next fire time after each tick. Ticks do not wait for
// the previous handler (as Dapr's cron runs each job on its own); a handler that rejects is only
// logged: there is nothing to redeliver, the next tick fires anyway. close() disarms the timer
// and waits for the handlers in flight.
import { BindingError, requiredProp } from '@tessera/spi';
import type { Binding, BindingReadHandler, BindingReader, ComponentHost, ComponentMetadata } from '@tessera/spi';
import { nextFireTime, parseCronSchedule } from './cron-schedule';
import type { CronSchedule } from './cron-schedule';

/** setTimeout's longest delay; longer waits (e.g. @yearly) are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export function createCronBinding(meta: ComponentMetadata, host?: ComponentHost): Binding {
  return new CronBinding(meta, host);
}

class CronBinding implements Binding {
  private schedule: CronSchedule | undefined;
  private readonly readers = new Set<CronReader>();
  private closed = false;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host?: ComponentHost,
  ) {}

  async init(): Promise<void> {
    this.schedule = parseCronSchedule(requiredProp(this.meta, 'schedule'));
  }

  async read(handler: BindingReadHandler): Promise<BindingReader> {
    if (this.closed) throw new BindingError('closed', `cron binding ${this.meta.name} is closed`);
    if (!this.schedule) throw new BindingError('closed', `cron binding ${this.meta.name} is not initialized`);
    const reader = new CronReader(this.schedule, handler, this.meta.name, this.host, (r) => this.readers.delete(r));
    this.readers.add(reader);
    reader.start();
    return reader;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.readers].map((r) => r.close()));
  }
}

class CronReader implements BindingReader {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private anchor = new Date();

  constructor(
    private readonly schedule: CronSchedule,
    private readonly handler: BindingReadHandler,
    private readonly name: string,
    private readonly host: ComponentHost | undefined,
    private readonly onClosed: (r: CronReader) => void,
  ) {}

  start(): void {
    this.anchor = new Date();
    this.arm(this.anchor);
  }

  private arm(after: Date): void {
    if (this.stopped) return;
    const next = nextFireTime(this.schedule, after, this.anchor);
    if (next === null) return;
    this.wait(next);
  }

  private wait(due: Date): void {
    if (this.stopped) return;
    const delay = due.getTime() - Date.now();
    if (delay > 0) {
      this.timer = setTimeout(() => this.wait(due), Math.min(delay, MAX_TIMER_MS));
      return;
    }
    this.fire();
    // The next tick strictly after both the one just fired and now: late ticks are skipped.
    this.arm(new Date(Math.max(due.getTime(), Date.now())));
  }

  private fire(): void {
    const event = {
      data: new Uint8Array(0),
      metadata: { timeZone: this.schedule.timeZone, readTimeUTC: new Date().toISOString() },
    };
    const p: Promise<void> = Promise.resolve()
      .then(() => this.handler(event))
      .catch((e: unknown) => {
        this.host?.logger?.warn(`cron binding ${this.name}: handler failed; the next tick fires as scheduled`, {
          error: e instanceof Error ? e.message : String(e),
        });
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.onClosed(this);
    await Promise.all([...this.inFlight]);
  }
}
