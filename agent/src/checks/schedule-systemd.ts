/**
 * systemd calendar events (systemd.time(7), "CALENDAR EVENTS"), the common forms:
 * `[WEEKDAYS] [DATE] [TIME]`, e.g. `*:0/5`, `Mon..Fri *-*-* 09:00:00`, `*-*-01 03:00`, plus
 * the shorthands `minutely` ... `yearly`. A missing date means every day, a missing time 00:00:00,
 * missing seconds :00.
 *
 * Not supported, refused with a reason: a fixed year (a check must recur), `~` (days from the end
 * of the month), fractional seconds and a time zone suffix (the host's local time is always used).
 */
import type { CalendarFields } from './calendar-match.js';
import { expandField, ScheduleReason, type FieldSpec } from './schedule-fields.js';

/** systemd.time(7): the shorthands and what they stand for. */
const SHORTHANDS: Readonly<Record<string, string>> = {
  minutely: '*-*-* *:*:00',
  hourly: '*-*-* *:00:00',
  daily: '*-*-* 00:00:00',
  weekly: 'Mon *-*-* 00:00:00',
  monthly: '*-*-01 00:00:00',
  yearly: '*-01-01 00:00:00',
  annually: '*-01-01 00:00:00',
  quarterly: '*-01,04,07,10-01 00:00:00',
  semiannually: '*-01,07-01 00:00:00',
};

/** systemd weeks start on Monday, so `Sat..Sun` is a forward range: index 0 = Monday. */
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const WEEKDAY_HINT = 'Mon, Tue, Wed, Thu, Fri, Sat, Sun or the full name';

const field = (label: string, min: number, max: number): FieldSpec => ({ label, min, max, ranges: ['..'] });
const MONTH = field('month', 1, 12);
const DAY = field('day', 1, 31);
const HOUR = field('hour', 0, 23);
const MINUTE = field('minute', 0, 59);
const SECOND = field('second', 0, 59);

function weekdayIndex(name: string): number {
  const lower = name.toLowerCase();
  const i = WEEKDAYS.findIndex((full) => lower === full || lower === full.slice(0, 3));
  if (i < 0) throw new ScheduleReason(`"${name}" is not a weekday (${WEEKDAY_HINT})`);
  return i;
}

function startsWithWeekday(token: string): boolean {
  const word = /^[A-Za-z]+/.exec(token)?.[0].toLowerCase() ?? '';
  return WEEKDAYS.some((full) => word === full || word === full.slice(0, 3));
}

/** `Mon`, `Mon,Wed`, `Mon..Fri`, `Mon-Fri`, `Sat..Sun`, as 0-6 with 0 = Sunday. */
function parseWeekdays(text: string): number[] {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const [a, b, extra] = item.includes('..') ? item.split('..') : item.split('-');
    if (extra !== undefined || a === undefined || a === '') throw new ScheduleReason(`"${item}" is not a weekday or range of weekdays`);
    const from = weekdayIndex(a);
    const to = b === undefined ? from : weekdayIndex(b);
    if (to < from) throw new ScheduleReason(`weekday range "${item}" runs backwards (weeks start on Monday)`);
    for (let i = from; i <= to; i++) out.add((i + 1) % 7);
  }
  return [...out].sort((x, y) => x - y);
}

function parseDate(text: string): Pick<CalendarFields, 'months' | 'days'> {
  const parts = text.split('-');
  if (parts.length === 3) {
    if (parts[0] !== '*') throw new ScheduleReason(`a fixed year ("${parts[0]}") is not supported: a check must recur, write *`);
    parts.shift();
  }
  if (parts.length !== 2) throw new ScheduleReason(`date "${text}" is not YYYY-MM-DD or MM-DD (use * for any)`);
  const days = expandField(parts[1]!, DAY);
  return { months: expandField(parts[0]!, MONTH), days: days.length === 31 ? null : days };
}

function parseTime(text: string): Pick<CalendarFields, 'hours' | 'minutes' | 'seconds'> {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) throw new ScheduleReason(`time "${text}" is not HH:MM or HH:MM:SS`);
  if (parts[2]?.includes('.')) throw new ScheduleReason(`fractional seconds ("${parts[2]}") are not supported`);
  return {
    hours: expandField(parts[0]!, HOUR),
    minutes: expandField(parts[1]!, MINUTE),
    seconds: expandField(parts[2] ?? '00', SECOND),
  };
}

/** Parses a systemd calendar event; throws ScheduleReason. */
export function parseSystemdCalendar(text: string): CalendarFields {
  const shorthand = SHORTHANDS[text.trim().toLowerCase()];
  if (shorthand !== undefined) return parseSystemdCalendar(shorthand);

  const tokens = text.trim().split(/\s+/);
  let weekdays: number[] | null = null;
  let date: Pick<CalendarFields, 'months' | 'days'> | null = null;
  let time: Pick<CalendarFields, 'hours' | 'minutes' | 'seconds'> | null = null;
  for (const [i, token] of tokens.entries()) {
    if (token.includes(':')) {
      if (time !== null) throw new ScheduleReason(`a second time "${token}"`);
      time = parseTime(token);
    } else if (/^[*\d]/.test(token) && token.includes('-')) {
      if (date !== null || time !== null) throw new ScheduleReason(`date "${token}" must come once, before the time`);
      date = parseDate(token);
    } else if (/^[A-Za-z]/.test(token) && i === 0) {
      weekdays = parseWeekdays(token);
    } else if (/^[A-Za-z]/.test(token) && startsWithWeekday(token)) {
      throw new ScheduleReason(`weekdays ("${token}") must come first`);
    } else if (/^[A-Za-z]/.test(token) && i === tokens.length - 1) {
      throw new ScheduleReason(`time zones ("${token}") are not supported: schedules use the host's local time`);
    } else {
      throw new ScheduleReason(`"${token}" is not a weekday, a date (*-*-01) or a time (03:00)`);
    }
  }
  const weekAll = weekdays !== null && weekdays.length === 7;
  return {
    seconds: time?.seconds ?? [0],
    minutes: time?.minutes ?? [0],
    hours: time?.hours ?? [0],
    days: date?.days ?? null,
    months: date?.months ?? expandField('*', MONTH),
    weekdays: weekAll ? null : weekdays,
    dayMatch: 'and',
  };
}
