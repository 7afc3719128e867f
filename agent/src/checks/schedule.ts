/**
 * When a check runs. One text, three forms, told apart by shape:
 * - an interval: a number of seconds or a duration, `30`, `90s`, `5m`, `1h` (at least 1 s);
 *   runs every that long, counted from the previous slot;
 * - a cron expression: exactly 5 fields (`*\/5 * * * *`, `0 3 * * 1-5`) or a macro (`@daily`);
 * - a systemd calendar event: anything else (`*:0/5`, `hourly`, `Mon..Fri *-*-* 09:00`).
 *
 * `next(afterMs)` is pure: the first slot strictly after `afterMs`, in the host's local time zone
 * (see calendar-match.ts for DST: slots in a spring-forward gap are skipped, slots in a fall-back
 * hour happen twice). Intervals ignore the wall clock and DST.
 */
import { Duration } from '@sitrep/schemas/config';
import { calendarProblem, nextCalendarTime, type CalendarFields } from './calendar-match.js';
import { ScheduleError } from './errors.js';
import { looksLikeCron, parseCron } from './schedule-cron.js';
import { ScheduleReason } from './schedule-fields.js';
import { parseSystemdCalendar } from './schedule-systemd.js';

export interface Schedule {
  /** The text as written (trimmed). */
  readonly text: string;
  readonly kind: 'interval' | 'cron' | 'calendar';
  /** The first slot strictly after `afterMs` (ms since the epoch). */
  next(afterMs: number): number;
}

/** Same limit as the config's ScheduleText. */
export const MAX_SCHEDULE_LENGTH = 200;
/** Shorter intervals would make a check a busy loop. */
export const MIN_INTERVAL_MS = 1000;
const INTERVAL_RE = /^\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)?$/i;

function interval(text: string): Schedule {
  const parsed = Duration.safeParse(text.toLowerCase());
  if (!parsed.success) throw new ScheduleReason(parsed.error.issues[0]?.message ?? 'not a duration');
  const ms = parsed.data;
  if (ms < MIN_INTERVAL_MS) throw new ScheduleReason(`an interval must be at least 1s, got ${ms} ms`);
  return { text, kind: 'interval', next: (afterMs) => afterMs + ms };
}

function calendar(text: string, kind: 'cron' | 'calendar', fields: CalendarFields): Schedule {
  const problem = calendarProblem(fields);
  if (problem !== null) throw new ScheduleReason(`it never matches: ${problem}`);
  return { text, kind, next: (afterMs) => nextCalendarTime(fields, afterMs) };
}

/** Parses a schedule; throws ScheduleError with the reason. */
export function parseSchedule(input: string): Schedule {
  const text = input.trim();
  try {
    if (text === '') throw new ScheduleReason('it is empty');
    if (text.length > MAX_SCHEDULE_LENGTH) throw new ScheduleReason(`it is longer than ${MAX_SCHEDULE_LENGTH} characters`);
    if (INTERVAL_RE.test(text)) return interval(text);
    if (looksLikeCron(text)) return calendar(text, 'cron', parseCron(text));
    return calendar(text, 'calendar', parseSystemdCalendar(text));
  } catch (err) {
    if (err instanceof ScheduleReason) throw new ScheduleError(input, err.message);
    throw err;
  }
}
