/**
 * A token bucket for commands: a flood (a script gone wrong, a stolen operator password) cannot
 * make the agent restart services in a loop. Commands past the limit are answered with a refusal.
 */
export interface RateLimiter {
  /** True when a command may run now (and takes a token). */
  take(): boolean;
}

export function createRateLimiter(perSecond: number, burst: number, now: () => number = Date.now): RateLimiter {
  let tokens = burst;
  let last = now();
  return {
    take() {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * perSecond);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
