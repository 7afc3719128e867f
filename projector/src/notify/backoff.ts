/** How long to wait before the next attempt: doubling from `initialDelay`, capped, ±20 % jitter. */
import type { NotifyRetry } from './config.js';

export const JITTER = 0.2;

/**
 * Delay after the `failures`-th failed attempt (1 = the first): initialDelay · 2^(failures-1),
 * at most maxDelay, then scaled by a factor in [0.8, 1.2) so receivers that came back are not hit
 * by every hub at once. `random` returns [0, 1) like Math.random.
 */
export function backoffDelay(failures: number, retry: Pick<NotifyRetry, 'initialDelay' | 'maxDelay'>, random: () => number = Math.random): number {
  const exp = Math.min(retry.maxDelay, retry.initialDelay * 2 ** Math.max(0, failures - 1));
  const factor = 1 - JITTER + 2 * JITTER * random();
  return Math.max(1, Math.round(Math.min(retry.maxDelay, exp * factor)));
}
