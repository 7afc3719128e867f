/** Metrics history from the projector, extended with live snapshots, as chart columns. */
import type { MetricsPoint } from '../queries/results.js';
import type { TrailPoint } from './trail.js';

export const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type RangeName = keyof typeof RANGES;

/** [x seconds, cpu, mem, disk] columns: history first, then live points newer than its last one. */
export function metricsColumns(history: readonly MetricsPoint[], live: readonly TrailPoint[], from: number): [number[], (number | null)[], (number | null)[], (number | null)[]] {
  const xs: number[] = [];
  const cpu: (number | null)[] = [];
  const mem: (number | null)[] = [];
  const disk: (number | null)[] = [];
  let last = -Infinity;
  for (const p of history) {
    xs.push(p.ts / 1000);
    cpu.push(p.cpu);
    mem.push(p.mem);
    disk.push(p.disk);
    last = p.ts;
  }
  for (const p of live) {
    if (p.ts <= last || p.ts < from) continue;
    xs.push(p.ts / 1000);
    cpu.push(p.cpu);
    mem.push(p.mem);
    disk.push(p.disk);
    last = p.ts;
  }
  return [xs, cpu, mem, disk];
}
