/**
 * One field of a calendar or cron schedule (`0/5`, `1..5`, `1-5/2`, `mon,wed`, `*`) expanded
 * into the sorted values it allows. Shared by the systemd and cron parsers, which differ only in
 * how a range is written (`..` or `-`) and in names.
 */

/** A problem with the schedule text; parseSchedule adds the text and makes it a ScheduleError. */
export class ScheduleReason extends Error {
  override readonly name = 'ScheduleReason';
}

export interface FieldSpec {
  /** For messages: "minute", "day of week". */
  label: string;
  min: number;
  max: number;
  /** Range separators accepted, e.g. ['..'] for systemd dates, ['-'] for cron. */
  ranges: readonly string[];
  /** Lower-case names accepted for values (months, weekdays). */
  names?: Readonly<Record<string, number>>;
}

function value(token: string, spec: FieldSpec): number {
  const named = spec.names?.[token.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d{1,4}$/.test(token)) {
    const hint = spec.names === undefined ? 'a number' : 'a number or a name';
    throw new ScheduleReason(`${spec.label} "${token}" is not ${hint}`);
  }
  const n = Number(token);
  if (n < spec.min || n > spec.max) throw new ScheduleReason(`${spec.label} ${n} is outside ${spec.min}..${spec.max}`);
  return n;
}

function splitRange(item: string, spec: FieldSpec): [string, string] | null {
  for (const sep of spec.ranges) {
    const at = item.indexOf(sep);
    if (at > 0) return [item.slice(0, at), item.slice(at + sep.length)];
  }
  return null;
}

function expandItem(item: string, spec: FieldSpec, out: Set<number>): void {
  if (item === '') throw new ScheduleReason(`empty item in the ${spec.label} field`);
  if (item.includes('~')) throw new ScheduleReason('~ (days counted from the end of the month) is not supported');
  const [base = '', stepText, extra] = item.split('/');
  if (extra !== undefined) throw new ScheduleReason(`${spec.label} "${item}" has more than one /`);
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d{1,4}$/.test(stepText) || Number(stepText) === 0) {
      throw new ScheduleReason(`${spec.label} step "${stepText}" is not a whole number of at least 1`);
    }
    step = Number(stepText);
  }
  let from: number;
  let to: number;
  const range = base === '*' ? null : splitRange(base, spec);
  if (base === '*') [from, to] = [spec.min, spec.max];
  else if (range !== null) {
    [from, to] = [value(range[0], spec), value(range[1], spec)];
    if (to < from) throw new ScheduleReason(`${spec.label} range "${base}" runs backwards`);
  } else {
    from = value(base, spec);
    // `5/15`: 5 and every 15 after it (systemd's repetition, cron's "5-max/15").
    to = stepText === undefined ? from : spec.max;
  }
  for (let v = from; v <= to; v += step) out.add(v);
}

/** The sorted values a field allows; throws ScheduleReason. */
export function expandField(text: string, spec: FieldSpec): number[] {
  const out = new Set<number>();
  for (const item of text.split(',')) expandItem(item, spec, out);
  return [...out].sort((a, b) => a - b);
}

/** True when the field allows every value from min to max. */
export function isEvery(values: readonly number[], spec: FieldSpec): boolean {
  return values.length === spec.max - spec.min + 1;
}

export const WEEKDAY_NAMES: Readonly<Record<string, number>> = {
  sun: 0, sunday: 0, mon: 1, monday: 1, tue: 2, tuesday: 2, wed: 3, wednesday: 3,
  thu: 4, thursday: 4, fri: 5, friday: 5, sat: 6, saturday: 6,
};

export const MONTH_NAMES: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
