/**
 * The calendar engine behind systemd-style and cron schedules: a set of allowed values per field,
 * and `nextCalendarTime`, the first instant after a given one whose local wall-clock time matches.
 *
 * Time zone and DST: an instant matches when its wall-clock time in the host's zone (whatever
 * `Date` uses, i.e. TZ or /etc/localtime) is in every field. That one rule decides the DST cases:
 * - spring forward: wall times in the gap (02:30 on the night clocks jump from 02:00 to 03:00)
 *   never happen, so they are skipped that day (as systemd does);
 * - fall back: wall times in the repeated hour happen twice and match twice, so `*:0/5` keeps
 *   ticking every five minutes through the night and a check at 02:30 runs twice that night.
 */

export interface CalendarFields {
  /** Sorted, unique, 0-59. */
  seconds: readonly number[];
  minutes: readonly number[];
  /** 0-23. */
  hours: readonly number[];
  /** Days of the month, 1-31; null for any day. */
  days: readonly number[] | null;
  /** 1-12. */
  months: readonly number[];
  /** 0-6, 0 = Sunday; null for any weekday. */
  weekdays: readonly number[] | null;
  /**
   * How `days` and `weekdays` combine when both are given: systemd requires both ('and'); cron
   * fires on either ('or') when both of its fields are restricted.
   */
  dayMatch: 'and' | 'or';
}

const SECOND = 1000;
const HOUR = 3_600_000;
/** No zone has two offset changes within 36 h, so the offsets 36 h either side bracket any instant near. */
const NEAR = 36 * HOUR;
/** A feasible spec matches within 28 years (weekday cycle); this many field steps is far beyond that. */
const MAX_STEPS = 200_000;
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Why the fields can never match (e.g. February 30), or null. */
export function calendarProblem(f: CalendarFields): string | null {
  if (f.days === null || (f.weekdays !== null && f.dayMatch === 'or')) return null;
  const days = f.days;
  const possible = f.months.some((m) => days.some((d) => d <= MAX_DAYS[m - 1]!));
  return possible ? null : `day ${days.join(',')} never occurs in month ${f.months.join(',')}`;
}

/** Offset east of UTC in ms at instant `t` (UTC+2 gives 7 200 000). */
const eastOf = (t: number) => -new Date(t).getTimezoneOffset() * 60_000;

/** The smaller and larger offset in force around `t` (equal when no transition is near). */
function offsetsNear(t: number): [number, number] {
  const a = eastOf(t - NEAR);
  const b = eastOf(t + NEAR);
  return a <= b ? [a, b] : [b, a];
}

/**
 * The instants whose local wall time is `wall` (a wall time encoded as if it were UTC ms):
 * none in a spring-forward gap, two in a fall-back hour, earliest first.
 */
function instantsOf(wall: number): number[] {
  const [lo, hi] = offsetsNear(wall);
  const out: number[] = [];
  for (const off of lo === hi ? [lo] : [hi, lo]) {
    const t = wall - off;
    if (t + eastOf(t) === wall) out.push(t);
  }
  return out;
}

function firstAtLeast(sorted: readonly number[], v: number): number | undefined {
  for (const x of sorted) if (x >= v) return x;
  return undefined;
}

function dayMatches(f: CalendarFields, y: number, m: number, d: number): boolean {
  const domOk = f.days === null || f.days.includes(d);
  if (f.weekdays === null) return domOk;
  const dowOk = f.weekdays.includes(new Date(Date.UTC(y, m - 1, d)).getUTCDay());
  if (f.days !== null && f.dayMatch === 'or') return domOk || dowOk;
  return domOk && dowOk;
}

/** The first wall time (UTC-encoded ms) at or after `from` that matches the fields. */
function nextWall(f: CalendarFields, from: number): number {
  let t = Math.ceil(from / SECOND) * SECOND;
  for (let step = 0; step < MAX_STEPS; step++) {
    const d = new Date(t);
    const y = d.getUTCFullYear();
    const mo = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    const h = d.getUTCHours();
    const mi = d.getUTCMinutes();
    const s = d.getUTCSeconds();
    // Each mismatch jumps to the start of the next candidate value of that field.
    const nmo = firstAtLeast(f.months, mo);
    if (nmo === undefined) t = Date.UTC(y + 1, f.months[0]! - 1, 1);
    else if (nmo !== mo) t = Date.UTC(y, nmo - 1, 1);
    else if (!dayMatches(f, y, mo, day)) t = Date.UTC(y, mo - 1, day + 1);
    else {
      const nh = firstAtLeast(f.hours, h);
      if (nh === undefined) t = Date.UTC(y, mo - 1, day + 1);
      else if (nh !== h) t = Date.UTC(y, mo - 1, day, nh);
      else {
        const nmi = firstAtLeast(f.minutes, mi);
        if (nmi === undefined) t = Date.UTC(y, mo - 1, day, h + 1);
        else if (nmi !== mi) t = Date.UTC(y, mo - 1, day, h, nmi);
        else {
          const ns = firstAtLeast(f.seconds, s);
          if (ns === undefined) t = Date.UTC(y, mo - 1, day, h, mi + 1);
          else return Date.UTC(y, mo - 1, day, h, mi, ns);
        }
      }
    }
  }
  throw new Error(`calendar search gave up after ${MAX_STEPS} steps (fields never match?)`);
}

/** The first instant strictly after `afterMs` whose local wall-clock time matches (whole seconds). */
export function nextCalendarTime(f: CalendarFields, afterMs: number): number {
  const [lo0, hi0] = offsetsNear(afterMs);
  // Any later instant t has wall(t) = t + offset(t) > afterMs + lo0, so no match hides before this.
  let wall = Math.floor((afterMs + lo0) / SECOND) * SECOND;
  let best = Number.POSITIVE_INFINITY;
  for (let step = 0; step < MAX_STEPS; step++) {
    wall = nextWall(f, wall);
    const [lo, hi] = offsetsNear(wall);
    // Every instant of this or a later wall time is at least wall - hi: none can beat `best`.
    if (wall - hi > best) return best;
    for (const t of instantsOf(wall)) if (t > afterMs && t < best) best = t;
    // No transition near either end: wall time and instant move together, the first hit is the answer.
    if (best !== Number.POSITIVE_INFINITY && lo0 === hi0 && lo === hi) return best;
    wall += SECOND;
  }
  throw new Error('calendar search gave up');
}
