/**
 * Schedules as a table: text -> the next three slots after a fixed reference time, written in
 * local wall-clock time (so the table holds in any host zone away from DST changes), then the
 * DST rules in a fixed zone, then refused texts with their reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSchedule, ScheduleError } from '../../src/checks/index.js';

/** Wednesday 15 May 2024, 10:07:30 local. */
const REF = new Date(2024, 4, 15, 10, 7, 30).getTime();
const local = (mo: number, d: number, h: number, mi = 0, s = 0, y = 2024) => new Date(y, mo - 1, d, h, mi, s).getTime();
const fmt = (t: number) => new Date(t).toString().slice(0, 24);

function slots(text: string, from: number, n = 3): number[] {
  const s = parseSchedule(text);
  const out: number[] = [];
  let t = from;
  for (let i = 0; i < n; i++) out.push((t = s.next(t)));
  return out;
}

describe('parseSchedule: next slots from Wed 2024-05-15 10:07:30 local', () => {
  it.each<[string, 'interval' | 'cron' | 'calendar', number[]]>([
    // systemd calendar events
    ['*:0/5', 'calendar', [local(5, 15, 10, 10), local(5, 15, 10, 15), local(5, 15, 10, 20)]],
    ['*:*:0/30', 'calendar', [local(5, 15, 10, 8), local(5, 15, 10, 8, 30), local(5, 15, 10, 9)]],
    ['*:15', 'calendar', [local(5, 15, 10, 15), local(5, 15, 11, 15), local(5, 15, 12, 15)]],
    ['minutely', 'calendar', [local(5, 15, 10, 8), local(5, 15, 10, 9), local(5, 15, 10, 10)]],
    ['hourly', 'calendar', [local(5, 15, 11), local(5, 15, 12), local(5, 15, 13)]],
    ['daily', 'calendar', [local(5, 16, 0), local(5, 17, 0), local(5, 18, 0)]],
    ['Daily', 'calendar', [local(5, 16, 0), local(5, 17, 0), local(5, 18, 0)]],
    ['weekly', 'calendar', [local(5, 20, 0), local(5, 27, 0), local(6, 3, 0)]],
    ['monthly', 'calendar', [local(6, 1, 0), local(7, 1, 0), local(8, 1, 0)]],
    ['quarterly', 'calendar', [local(7, 1, 0), local(10, 1, 0), local(1, 1, 0, 0, 0, 2025)]],
    ['yearly', 'calendar', [local(1, 1, 0, 0, 0, 2025), local(1, 1, 0, 0, 0, 2026), local(1, 1, 0, 0, 0, 2027)]],
    ['Mon *-*-* 03:00', 'calendar', [local(5, 20, 3), local(5, 27, 3), local(6, 3, 3)]],
    ['Mon..Fri *-*-* 09:00:00', 'calendar', [local(5, 16, 9), local(5, 17, 9), local(5, 20, 9)]],
    ['Mon-Fri 09:00', 'calendar', [local(5, 16, 9), local(5, 17, 9), local(5, 20, 9)]],
    ['Sat,Sun 12:00', 'calendar', [local(5, 18, 12), local(5, 19, 12), local(5, 25, 12)]],
    ['Sat..Sun 12:00', 'calendar', [local(5, 18, 12), local(5, 19, 12), local(5, 25, 12)]],
    ['*-*-* 03:00', 'calendar', [local(5, 16, 3), local(5, 17, 3), local(5, 18, 3)]],
    ['03:00', 'calendar', [local(5, 16, 3), local(5, 17, 3), local(5, 18, 3)]],
    ['*-*-* 10:07:30', 'calendar', [local(5, 16, 10, 7, 30), local(5, 17, 10, 7, 30), local(5, 18, 10, 7, 30)]],
    ['*-*-01 04:30', 'calendar', [local(6, 1, 4, 30), local(7, 1, 4, 30), local(8, 1, 4, 30)]],
    ['*-*-1..3 00:00', 'calendar', [local(6, 1, 0), local(6, 2, 0), local(6, 3, 0)]],
    ['*-02-29 12:00', 'calendar', [local(2, 29, 12, 0, 0, 2028), local(2, 29, 12, 0, 0, 2032), local(2, 29, 12, 0, 0, 2036)]],
    ['Fri *-*-13 13:00', 'calendar', [local(9, 13, 13), local(12, 13, 13), local(6, 13, 13, 0, 0, 2025)]],
    ['*-*-* 08..10:00/20', 'calendar', [local(5, 15, 10, 20), local(5, 15, 10, 40), local(5, 16, 8, 0)]],
    ['*-*-* 10,22:00', 'calendar', [local(5, 15, 22), local(5, 16, 10), local(5, 16, 22)]],
    // cron
    ['*/5 * * * *', 'cron', [local(5, 15, 10, 10), local(5, 15, 10, 15), local(5, 15, 10, 20)]],
    ['0 3 * * 1-5', 'cron', [local(5, 16, 3), local(5, 17, 3), local(5, 20, 3)]],
    ['0 3 * * mon-fri', 'cron', [local(5, 16, 3), local(5, 17, 3), local(5, 20, 3)]],
    ['30 8,12,18 * * *', 'cron', [local(5, 15, 12, 30), local(5, 15, 18, 30), local(5, 16, 8, 30)]],
    ['0 0 1 * *', 'cron', [local(6, 1, 0), local(7, 1, 0), local(8, 1, 0)]],
    ['0 0 * * 0', 'cron', [local(5, 19, 0), local(5, 26, 0), local(6, 2, 0)]],
    ['0 0 * * 7', 'cron', [local(5, 19, 0), local(5, 26, 0), local(6, 2, 0)]],
    ['0 12 1 * mon', 'cron', [local(5, 20, 12), local(5, 27, 12), local(6, 1, 12)]],
    ['0 12 */10 * *', 'cron', [local(5, 21, 12), local(5, 31, 12), local(6, 1, 12)]],
    ['0 0 1 jan,jul *', 'cron', [local(7, 1, 0), local(1, 1, 0, 0, 0, 2025), local(7, 1, 0, 0, 0, 2025)]],
    ['10-20/5 10 * * *', 'cron', [local(5, 15, 10, 10), local(5, 15, 10, 15), local(5, 15, 10, 20)]],
    ['@hourly', 'cron', [local(5, 15, 11), local(5, 15, 12), local(5, 15, 13)]],
    ['@daily', 'cron', [local(5, 16, 0), local(5, 17, 0), local(5, 18, 0)]],
    // intervals, counted from the previous slot
    ['90s', 'interval', [REF + 90_000, REF + 180_000, REF + 270_000]],
    ['5m', 'interval', [REF + 300_000, REF + 600_000, REF + 900_000]],
    ['1h', 'interval', [REF + 3_600_000, REF + 7_200_000, REF + 10_800_000]],
    ['30', 'interval', [REF + 30_000, REF + 60_000, REF + 90_000]],
    ['1.5m', 'interval', [REF + 90_000, REF + 180_000, REF + 270_000]],
    [' 2 m ', 'interval', [REF + 120_000, REF + 240_000, REF + 360_000]],
  ])('%s (%s)', (text, kind, expected) => {
    expect(parseSchedule(text).kind).toBe(kind);
    expect(slots(text, REF).map(fmt)).toEqual(expected.map(fmt));
  });

  it('returns a slot strictly after the given time, also when that time is a slot', () => {
    const s = parseSchedule('*:0/5');
    expect(s.next(local(5, 15, 10, 10))).toBe(local(5, 15, 10, 15));
    expect(s.next(local(5, 15, 10, 10) - 1)).toBe(local(5, 15, 10, 10));
  });

  it('keeps the text as written (trimmed) for display', () => {
    expect(parseSchedule('  Mon..Fri *-*-* 09:00 ').text).toBe('Mon..Fri *-*-* 09:00');
  });
});

describe('parseSchedule: DST in Europe/Berlin (2024-03-31 02:00 -> 03:00, 2024-10-27 03:00 -> 02:00)', () => {
  const saved = process.env['TZ'];
  beforeAll(() => {
    process.env['TZ'] = 'Europe/Berlin';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
  });
  const iso = (text: string, from: string, n: number) => slots(text, Date.parse(from), n).map((t) => new Date(t).toISOString());

  it('uses the zone it is given', () => {
    expect(new Date(Date.parse('2024-05-15T00:00:00Z')).getHours()).toBe(2);
  });

  it('skips a wall time that does not exist on the spring-forward night', () => {
    // 02:30 does not happen on 31 March: next is 1 April 02:30 CEST.
    expect(iso('*-*-* 02:30', '2024-03-30T12:00:00Z', 2)).toEqual(['2024-04-01T00:30:00.000Z', '2024-04-02T00:30:00.000Z']);
    // Every 30 minutes: 01:30 CET, then straight to 03:00 CEST.
    expect(iso('*:0/30', '2024-03-31T00:20:00Z', 3)).toEqual(['2024-03-31T00:30:00.000Z', '2024-03-31T01:00:00.000Z', '2024-03-31T01:30:00.000Z']);
  });

  it('matches a repeated wall time twice on the fall-back night, so short periods keep their rhythm', () => {
    expect(iso('*:0/30', '2024-10-26T23:40:00Z', 6)).toEqual([
      '2024-10-27T00:00:00.000Z', // 02:00 CEST
      '2024-10-27T00:30:00.000Z', // 02:30 CEST
      '2024-10-27T01:00:00.000Z', // 02:00 CET
      '2024-10-27T01:30:00.000Z', // 02:30 CET
      '2024-10-27T02:00:00.000Z', // 03:00 CET
      '2024-10-27T02:30:00.000Z',
    ]);
    expect(iso('*-*-* 02:30', '2024-10-26T12:00:00Z', 3)).toEqual(['2024-10-27T00:30:00.000Z', '2024-10-27T01:30:00.000Z', '2024-10-28T01:30:00.000Z']);
    // Asked from inside the second 02:xx hour.
    expect(iso('*:0/30', '2024-10-27T01:10:00Z', 2)).toEqual(['2024-10-27T01:30:00.000Z', '2024-10-27T02:00:00.000Z']);
  });

  it('leaves intervals alone: they count real time across the change', () => {
    expect(iso('1h', '2024-03-31T00:30:00Z', 2)).toEqual(['2024-03-31T01:30:00.000Z', '2024-03-31T02:30:00.000Z']);
  });
});

describe('parseSchedule refuses, with the reason', () => {
  it.each<[string, RegExp]>([
    ['', /it is empty/],
    ['   ', /it is empty/],
    ['every tuesday', /"every" is not a weekday \(Mon, Tue/],
    ['Funday 10:00', /"Funday" is not a weekday/],
    ['Fri..Mon', /weekday range "Fri..Mon" runs backwards/],
    ['*-*-* 03:00 Mon', /weekdays \("Mon"\) must come first/],
    ['*-*-* 03:00 Europe/Berlin', /time zones \("Europe\/Berlin"\) are not supported/],
    ['2025-01-01 00:00', /a fixed year \("2025"\) is not supported/],
    ['*-02-30 00:00', /never matches: day 30 never occurs in month 2/],
    ['*-13-01', /month 13 is outside 1..12/],
    ['*-*-* 24:00', /hour 24 is outside 0..23/],
    ['*:60', /minute 60 is outside 0..59/],
    ['*:0/0', /minute step "0" is not a whole number of at least 1/],
    ['*:5..1', /minute range "5..1" runs backwards/],
    ['*:00:00.5', /fractional seconds/],
    ['*-*~03', /~ \(days counted from the end of the month\) is not supported/],
    ['*-*-* 1:2:3:4', /time "1:2:3:4" is not HH:MM or HH:MM:SS/],
    ['61 * * * *', /minute 61 is outside 0..59/],
    ['* * * *', /"\*" is not a weekday/],
    ['*/5 * * * * *', /cron with seconds \(6 fields\) is not supported/],
    ['0 0 L * *', /"L" \(Quartz\/Jenkins cron syntax\) is not supported/],
    ['0 0 ? * MON', /"\?" \(Quartz\/Jenkins cron syntax\) is not supported/],
    ['0 0 * foo *', /month "foo" is not a number or a name/],
    ['0 0 31 2 *', /never matches: day 31 never occurs in month 2/],
    ['@reboot', /"@reboot" is not a cron macro/],
    ['500ms', /an interval must be at least 1s, got 500 ms/],
    ['0', /must be a positive number of seconds|must be greater than zero/],
    ['5 minutes', /"5" is not a weekday|is not a weekday, a date/],
    ['x'.repeat(201), /longer than 200 characters/],
  ])('%j', (text, reason) => {
    let caught: unknown;
    try {
      parseSchedule(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScheduleError);
    expect(caught).toMatchObject({ code: 'SCHEDULE_INVALID', text });
    expect((caught as ScheduleError).reason).toMatch(reason);
    expect((caught as ScheduleError).message).toMatch(/^schedule ".*" is not valid: /);
  });
});
