/** Short per-node history of live metrics for sparklines: the last TRAIL_POINTS snapshots. */
import type { Metrics } from '@sitrep/schemas';

export const TRAIL_POINTS = 40;

export interface TrailPoint {
  readonly ts: number;
  readonly cpu: number;
  readonly mem: number;
  readonly disk: number | null;
}

export type Trails = ReadonlyMap<string, readonly TrailPoint[]>;

export function pointOf(m: Metrics): TrailPoint {
  return { ts: m.ts, cpu: m.cpu.percent, mem: m.memory.percent, disk: m.disks[0]?.percent ?? null };
}

/** Append a snapshot; a repeat (same ts, e.g. the retained copy after a reconnect) is ignored. */
export function appendTrail(trails: Trails, node: string, m: Metrics, max = TRAIL_POINTS): Trails {
  const before = trails.get(node) ?? [];
  const last = before[before.length - 1];
  if (last !== undefined && m.ts <= last.ts) return trails;
  const next = new Map(trails);
  next.set(node, [...before.slice(Math.max(0, before.length - max + 1)), pointOf(m)]);
  return next;
}

/** SVG polyline points for values 0-100 in a width x height box, oldest left. */
export function sparkPoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const step = values.length === 1 ? 0 : width / (values.length - 1);
  return values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - (Math.min(100, Math.max(0, v)) / 100) * height).toFixed(1)}`)
    .join(' ');
}
