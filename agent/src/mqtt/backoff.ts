/**
 * Reconnect delays: exponential from `baseMs` to `maxMs`, each multiplied by a random factor in
 * [0.5, 1.5) so that a thousand agents cut off by one broker restart do not return in lockstep.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random, baseMs = 1000, maxMs = 30_000): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exp * (0.5 + random()));
}
