// The `schedule` metadata of `bindings.cron` (components.md 5.16), parsed once at init into a pure
// "next fire time after t" function. Accepted, as Dapr's cron parser accepts them:
// - `sec min hour dom month dow` (6 fields; a 5-field pattern without seconds is also taken), with
//   an optional `CRON_TZ=<IANA zone>` (or `TZ=`) prefix; without one the pattern is read in UTC;
// - `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`;
// - `@every <Go duration>`: fixed-rate ticks anchored at the moment reading started, so a slow
//   event loop never accumulates drift (missed ticks are skipped, not bunched up). Unlike Dapr,
//   which rounds `@every` down to whole seconds, sub-second intervals are kept.
// Field patterns are evaluated by croner; nothing here touches timers.
import { Cron } from 'croner';
import { ComponentConfigError, tryParseGoDuration } from '@tessera/spi';

export type CronSchedule =
  | { readonly kind: 'pattern'; readonly pattern: string; readonly timeZone: string }
  | { readonly kind: 'every'; readonly intervalMs: number; readonly timeZone: 'UTC' };

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

/** Parses `schedule`; throws ComponentConfigError('schedule', …) when it is not a valid one. */
export function parseCronSchedule(text: string): CronSchedule {
  let s = text.trim();
  if (s === '') throw new ComponentConfigError('schedule', 'a cron schedule (it is required)');
  let timeZone = 'UTC';
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(s);
  if (tz?.[1] !== undefined) {
    timeZone = tz[1];
    if (!validZone(timeZone)) throw new ComponentConfigError('schedule', `a known IANA time zone after CRON_TZ=, got "${timeZone}"`);
    s = s.slice(tz[0].length).trim();
  }
  if (s.startsWith('@every')) {
    if (tz) throw new ComponentConfigError('schedule', '"@every <duration>" without a CRON_TZ= prefix');
    const rest = s.slice('@every'.length);
    const ms = /^\s+\S+$/.test(rest) ? tryParseGoDuration(rest.trim()) : undefined;
    if (ms === undefined || !(ms >= 1)) {
      throw new ComponentConfigError('schedule', `"@every <duration>" with a positive duration of at least 1ms such as "10s", got "${text}"`);
    }
    return { kind: 'every', intervalMs: ms, timeZone: 'UTC' };
  }
  let pattern = s;
  if (s.startsWith('@')) {
    const p = DESCRIPTORS[s.toLowerCase()];
    if (p === undefined) {
      throw new ComponentConfigError('schedule', `one of @yearly, @monthly, @weekly, @daily, @hourly or "@every <duration>", got "${s}"`);
    }
    pattern = p;
  }
  try {
    const probe = new Cron(pattern, { paused: true, mode: '5-or-6-parts', timezone: timeZone });
    const next = probe.nextRun();
    probe.stop();
    if (next === null) throw new Error('the pattern never fires');
  } catch (e) {
    throw new ComponentConfigError('schedule', `"sec min hour dom month dow" (optionally "CRON_TZ=<zone> …") or a @descriptor, got "${text}" (${messageOf(e)})`);
  }
  return { kind: 'pattern', pattern, timeZone };
}

/** The first fire time strictly after `after`; for `@every`, ticks are `anchor + k·interval`. */
export function nextFireTime(schedule: CronSchedule, after: Date, anchor: Date = after): Date | null {
  if (schedule.kind === 'every') {
    const a = anchor.getTime();
    const k = Math.max(1, Math.floor((after.getTime() - a) / schedule.intervalMs) + 1);
    return new Date(a + k * schedule.intervalMs);
  }
  const c = new Cron(schedule.pattern, { paused: true, mode: '5-or-6-parts', timezone: schedule.timeZone });
  try {
    return c.nextRun(after);
  } finally {
    c.stop();
  }
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
