/** Absolute times for tooltips; relative ones are in format.ts. Pure: the zone comes in. */

/** `2025-01-01 12:00:05` in the given zone (default: the browser's). */
export function formatAbsolute(ts: number, timeZone?: string): string {
  const d = new Date(ts);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

/** `12:00:05`: for lists of today's events. */
export function formatClock(ts: number, timeZone?: string): string {
  return formatAbsolute(ts, timeZone).slice(11);
}
