// bindings.cron: schedule parsing (pure) and real timers firing events.
import type { Binding, BindingReadEvent, ComponentMetadata } from '@tessera/spi';
import { createCronBinding } from './cron-binding';
import { nextFireTime, parseCronSchedule } from './cron-schedule';

function meta(properties: Record<string, string>): ComponentMetadata {
  return { name: 'tick', type: 'bindings.cron', version: 'v1', appId: 'app', properties };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function nth<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`no element ${i}`);
  return x;
}

function readOf(b: Binding): NonNullable<Binding['read']> {
  if (!b.read) throw new Error('not an input binding');
  return b.read.bind(b);
}

function fieldOf(schedule: string): string | undefined {
  try {
    parseCronSchedule(schedule);
  } catch (e) {
    return (e as { field?: string }).field;
  }
  return undefined;
}

describe('bindings.cron schedule', () => {
  it('reads 6-field patterns in UTC, or in the CRON_TZ zone', () => {
    expect(parseCronSchedule('*/10 * * * * *')).toEqual({ kind: 'pattern', pattern: '*/10 * * * * *', timeZone: 'UTC' });
    const after = new Date('2024-06-01T10:00:00.000Z');
    expect(nextFireTime(parseCronSchedule('30 15 12 * * *'), after)?.toISOString()).toBe('2024-06-01T12:15:30.000Z');
    const ny = parseCronSchedule('CRON_TZ=America/New_York 0 0 12 * * *');
    expect(ny.timeZone).toBe('America/New_York');
    // 12:00 EDT (UTC-4) in June.
    expect(nextFireTime(ny, after)?.toISOString()).toBe('2024-06-01T16:00:00.000Z');
    expect(nextFireTime(parseCronSchedule('TZ=Europe/Berlin 0 0 12 * * *'), after)?.toISOString()).toBe('2024-06-02T10:00:00.000Z');
  });

  it('maps the descriptors', () => {
    const after = new Date('2024-06-01T10:20:00.000Z');
    expect(nextFireTime(parseCronSchedule('@hourly'), after)?.toISOString()).toBe('2024-06-01T11:00:00.000Z');
    expect(nextFireTime(parseCronSchedule('@daily'), after)?.toISOString()).toBe('2024-06-02T00:00:00.000Z');
    expect(nextFireTime(parseCronSchedule('@weekly'), after)?.toISOString()).toBe('2024-06-02T00:00:00.000Z');
    expect(nextFireTime(parseCronSchedule('@monthly'), after)?.toISOString()).toBe('2024-07-01T00:00:00.000Z');
    expect(nextFireTime(parseCronSchedule('@yearly'), after)?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(nextFireTime(parseCronSchedule('@annually'), after)?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });

  it('anchors @every ticks at the start, skipping missed ones', () => {
    const s = parseCronSchedule('@every 1m30s');
    expect(s).toEqual({ kind: 'every', intervalMs: 90_000, timeZone: 'UTC' });
    const anchor = new Date('2024-01-01T00:00:00.000Z');
    expect(nextFireTime(s, anchor, anchor)?.toISOString()).toBe('2024-01-01T00:01:30.000Z');
    expect(nextFireTime(s, new Date('2024-01-01T00:01:30.000Z'), anchor)?.toISOString()).toBe('2024-01-01T00:03:00.000Z');
    expect(nextFireTime(s, new Date('2024-01-01T00:07:01.000Z'), anchor)?.toISOString()).toBe('2024-01-01T00:07:30.000Z');
    expect(parseCronSchedule('@every 100ms')).toEqual({ kind: 'every', intervalMs: 100, timeZone: 'UTC' });
  });

  it('refuses bad schedules with ComponentConfigError on `schedule`', () => {
    for (const bad of ['', 'bad', '61 * * * * *', '* * * * * * 2030', '@every', '@every soon', '@every 0s', '@every -5s', '@fortnightly', 'CRON_TZ=Mars/Base * * * * * *', 'CRON_TZ=UTC @every 1s']) {
      expect([bad, fieldOf(bad)]).toEqual([bad, 'schedule']);
    }
  });
});

describe('bindings.cron binding (real timers)', () => {
  const open: Binding[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  async function start(schedule: string): Promise<Binding> {
    const b = createCronBinding(meta({ schedule }));
    open.push(b);
    await b.init();
    return b;
  }

  it('is input only and refuses a missing or bad schedule at init', async () => {
    const b = createCronBinding(meta({ schedule: '@every 1s' }));
    expect(b.read).toBeInstanceOf(Function);
    expect(b.invoke).toBeUndefined();
    expect(b.operations).toBeUndefined();
    await expect(createCronBinding(meta({})).init()).rejects.toMatchObject({ kind: 'tessera.component-config', field: 'schedule' });
    await expect(createCronBinding(meta({ schedule: '* * *' })).init()).rejects.toMatchObject({ kind: 'tessera.component-config', field: 'schedule' });
  });

  it('fires `@every 100ms` with an empty body, timeZone and readTimeUTC, without drift', async () => {
    const b = await start('@every 100ms');
    const events: Array<BindingReadEvent & { at: number }> = [];
    const t0 = Date.now();
    const reader = await readOf(b)(async (e) => {
      events.push({ ...e, at: Date.now() });
    });
    await waitFor(() => events.length >= 5, 3000);
    await reader.close();
    const first = nth(events, 0);
    expect(first.data).toEqual(new Uint8Array(0));
    expect(first.metadata['timeZone']).toBe('UTC');
    expect(first.metadata['readTimeUTC']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Math.abs(Date.parse(String(first.metadata['readTimeUTC'])) - first.at)).toBeLessThan(50);
    // Tick k is due at start + k·100ms: the 5th event comes at ~500ms, not later.
    expect(nth(events, 4).at - t0).toBeGreaterThanOrEqual(490);
    expect(nth(events, 4).at - t0).toBeLessThan(900);
    const n = events.length;
    await sleep(250);
    expect(events.length).toBe(n);
  });

  it('fires a seconds schedule on whole seconds, in the CRON_TZ zone', async () => {
    const b = await start('CRON_TZ=Europe/Berlin * * * * * *');
    const events: BindingReadEvent[] = [];
    const reader = await readOf(b)(async (e) => {
      events.push(e);
    });
    await waitFor(() => events.length >= 2, 3500);
    await reader.close();
    expect(nth(events, 0).metadata['timeZone']).toBe('Europe/Berlin');
    const ms = events.slice(0, 2).map((e) => Date.parse(String(e.metadata['readTimeUTC'])));
    expect(nth(ms, 1) - nth(ms, 0)).toBeGreaterThanOrEqual(900);
    expect(nth(ms, 1) - nth(ms, 0)).toBeLessThan(1250);
    for (const t of ms) expect(t % 1000).toBeLessThan(250);
  });

  it('keeps firing after a handler rejected, and close() waits for handlers in flight', async () => {
    const b = await start('@every 50ms');
    let calls = 0;
    let finished = 0;
    const reader = await readOf(b)(async () => {
      calls++;
      if (calls === 1) throw new Error('app said no');
      await sleep(150);
      finished++;
    });
    await waitFor(() => calls >= 3, 2000);
    await reader.close();
    const c = calls;
    expect(finished).toBe(c - 1);
    await sleep(120);
    expect(calls).toBe(c);
  });

  it('close() of the binding stops its readers and refuses new ones', async () => {
    const b = await start('@every 30ms');
    let calls = 0;
    await readOf(b)(async () => {
      calls++;
    });
    await waitFor(() => calls >= 1, 1000);
    await b.close();
    const c = calls;
    await sleep(100);
    expect(calls).toBe(c);
    await expect(readOf(b)(async () => undefined)).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'closed' });
  });
});
