/** Whether an instant falls in the quiet hours, read on the wall clock of their time zone. */
import type { QuietHours } from './config.js';

export type QuietCheck = (atMs: number) => boolean;

/** A check for `quiet`; no quiet hours configured: never quiet. */
export function quietHoursCheck(quiet: QuietHours | undefined): QuietCheck {
  if (quiet === undefined) return () => false;
  const from = minutes(quiet.from);
  const to = minutes(quiet.to);
  const clock = new Intl.DateTimeFormat('en-GB', { timeZone: quiet.timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return (atMs) => {
    let hour = 0;
    let minute = 0;
    for (const part of clock.formatToParts(atMs)) {
      if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
    }
    const t = hour * 60 + minute;
    // from < to: a window inside one day; otherwise it spans midnight (22:00 -> 07:00).
    return from < to ? t >= from && t < to : t >= from || t < to;
  };
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}
