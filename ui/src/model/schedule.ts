/**
 * The next run of a check, where the ui can tell: interval schedules (`30`, `90s`, `5m`, `1h`,
 * `1d`) run one interval after the last run. Cron and calendar schedules depend on the host's
 * zone and rules that live in the agent, so for them the ui shows the schedule text only.
 */
const INTERVAL = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function intervalMs(schedule: string): number | null {
  const m = INTERVAL.exec(schedule.trim());
  if (m === null) return null;
  const ms = Number(m[1]) * (UNIT_MS[(m[2] ?? 's').toLowerCase()] ?? 1000);
  return ms >= 1000 ? ms : null;
}

/** When the check should run next after a run at `lastRun`, or null when the ui cannot tell. */
export function nextRun(schedule: string | null, lastRun: number | null): number | null {
  if (schedule === null || lastRun === null) return null;
  const ms = intervalMs(schedule);
  return ms === null ? null : lastRun + ms;
}

/** `in 12 s`, `due` once past (the agent may be late or away). */
export function formatUntil(ts: number, now: number): string {
  const s = Math.ceil((ts - now) / 1000);
  if (s <= 0) return 'due';
  if (s < 120) return `in ${s} s`;
  if (s < 7200) return `in ${Math.round(s / 60)} min`;
  return `in ${Math.round(s / 3600)} h`;
}
