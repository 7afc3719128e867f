/** A service's state over a window as coloured segments, from its transitions (any order). */
import type { TransitionRow } from '../queries/results.js';
import { runLight, type Light } from './service-light.js';

export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly state: string;
  readonly light: Light;
  /** Left offset and width in percent of the window. */
  readonly left: number;
  readonly width: number;
}

/** Percent of the bar a segment takes at least. */
export const MIN_WIDTH = 0.4;

export function timeline(rows: readonly TransitionRow[], from: number, to: number): Segment[] {
  const asc = [...rows].sort((a, b) => a.ts - b.ts || a.event_id - b.event_id);
  const first = asc[0];
  if (first === undefined || to <= from) return [];
  const span = to - from;
  const out: Segment[] = [];
  const push = (start: number, end: number, state: string, expect: string) => {
    const s = Math.max(start, from);
    const e = Math.min(end, to);
    if (e <= s) return;
    // At least MIN_WIDTH so a short outage stays visible, kept inside the bar.
    const width = Math.max(((e - s) / span) * 100, MIN_WIDTH);
    const left = Math.min(((s - from) / span) * 100, 100 - width);
    out.push({ start: s, end: e, state, light: runLight(state, expect), left, width });
  };
  push(from, first.ts, first.from_state, first.expect);
  asc.forEach((t, i) => push(t.ts, asc[i + 1]?.ts ?? to, t.to_state, t.expect));
  return out;
}
