/**
 * Restart delays of a crash-looping process: 1, 2, 5, 10, 30 s, then 30 s for every further quick
 * crash. Each delay is spread by ±`jitter` (a fraction) so that processes that died together (a
 * shared dependency went away) do not come back in lockstep.
 */
export const DEFAULT_BACKOFF_MS: readonly number[] = [1000, 2000, 5000, 10_000, 30_000];

/** ±20 %. */
export const DEFAULT_JITTER = 0.2;

/**
 * The delay before the restart that follows `step` earlier quick crashes (0: the first one).
 * `rand` is a number in [0, 1): 0 gives the shortest delay, 0.5 the nominal one.
 */
export function backoffDelay(schedule: readonly number[], step: number, jitter: number, rand: number): number {
  const base = schedule[Math.min(Math.max(0, step), schedule.length - 1)] ?? 0;
  return Math.max(0, Math.round(base * (1 + jitter * (2 * rand - 1))));
}
