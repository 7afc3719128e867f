/**
 * Five-field cron expressions (crontab(5)): `minute hour day-of-month month day-of-week`, with
 * `*`, lists, ranges `a-b`, steps `*\/n` and `a-b/n`, month and weekday names, weekday 7 = Sunday,
 * and the `@hourly`-style macros. Runs at second 0.
 *
 * Day matching follows Vixie cron: when both day fields are restricted (neither starts with `*`)
 * a day matches if EITHER matches (`0 3 1 * mon` = the 1st and every Monday); otherwise both must.
 * Not supported, refused with a reason: seconds (6 fields), `?`, `L`, `W`, `#`, `@reboot`.
 */
import type { CalendarFields } from './calendar-match.js';
import { expandField, isEvery, MONTH_NAMES, ScheduleReason, WEEKDAY_NAMES, type FieldSpec } from './schedule-fields.js';

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const field = (label: string, min: number, max: number, names?: Record<string, number>): FieldSpec => ({
  label,
  min,
  max,
  ranges: ['-'],
  ...(names === undefined ? {} : { names }),
});
const MINUTE = field('minute', 0, 59);
const HOUR = field('hour', 0, 23);
const DAY = field('day of month', 1, 31);
const MONTH = field('month', 1, 12, MONTH_NAMES);
// 0-7 so that both 0 and 7 mean Sunday.
const WEEKDAY = field('day of week', 0, 7, WEEKDAY_NAMES);

/** True when `text` has the shape of a cron expression (5 or 6 fields, or a macro). */
export function looksLikeCron(text: string): boolean {
  const t = text.trim();
  return t.startsWith('@') || [5, 6].includes(t.split(/\s+/).length);
}

/** Parses a cron expression; throws ScheduleReason. */
export function parseCron(text: string): CalendarFields {
  const trimmed = text.trim();
  if (trimmed.startsWith('@')) {
    const macro = MACROS[trimmed.toLowerCase()];
    if (macro === undefined) throw new ScheduleReason(`"${trimmed}" is not a cron macro (@hourly, @daily, @weekly, @monthly, @yearly)`);
    return parseCron(macro);
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length === 6) throw new ScheduleReason('cron with seconds (6 fields) is not supported: use 5 fields, or a calendar spec such as *:*:0/30');
  if (parts.length !== 5) throw new ScheduleReason(`cron needs 5 fields (minute hour day month weekday), got ${parts.length}`);
  const [min, hour, dom, mon, dow] = parts as [string, string, string, string, string];
  const special = /[?#]/.exec(trimmed) ?? /^(L|\d+[LW]|LW)$/i.exec(dom);
  if (special !== null) throw new ScheduleReason(`"${special[0]}" (Quartz/Jenkins cron syntax) is not supported`);
  const days = expandField(dom, DAY);
  const weekdays = [...new Set(expandField(dow, WEEKDAY).map((d) => d % 7))].sort((a, b) => a - b);
  return {
    seconds: [0],
    minutes: expandField(min, MINUTE),
    hours: expandField(hour, HOUR),
    days: isEvery(days, DAY) ? null : days,
    months: expandField(mon, MONTH),
    weekdays: weekdays.length === 7 ? null : weekdays,
    // Vixie cron: a field starting with * counts as unrestricted for the either-or rule.
    dayMatch: dom.startsWith('*') || dow.startsWith('*') ? 'and' : 'or',
  };
}
