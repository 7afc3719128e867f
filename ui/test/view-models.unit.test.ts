/** Smaller view models: staleness of cards, row windows, timelines, schedules, chart columns, trails. */
import { describe, expect, it } from 'vitest';
import { metricsColumns } from '../src/model/metrics-series.js';
import { cachedNodeView, nodeView, type NodeView } from '../src/model/node-view.js';
import type { NodeRecord } from '../src/model/fleet-state.js';
import { formatUntil, intervalMs, nextRun } from '../src/model/schedule.js';
import { timeline } from '../src/model/timeline.js';
import { appendTrail, sparkPoints } from '../src/model/trail.js';
import { rowWindow } from '../src/model/window.js';
import type { TransitionRow } from '../src/queries/results.js';
import { birth, metrics, status, T0 } from './fixtures.js';

describe('staleness', () => {
  const record: NodeRecord = { status: status(), birth: birth({ interval: 10 }), metrics: metrics({ ts: T0 }) };
  it('greys a node that is not online and says when it was last seen', () => {
    const lost = nodeView('web-1', { ...record, status: status({ state: 'lost', ts: T0 }) }, T0 + 125_000);
    expect(lost).toMatchObject({ dimmed: true, state: 'lost', lastSeen: '2 min ago' });
    const fresh = nodeView('web-1', record, T0 + 5_000);
    expect(fresh).toMatchObject({ dimmed: false, stale: false, lastSeen: null });
    const stale = nodeView('web-1', record, T0 + 31_000);
    expect(stale).toMatchObject({ dimmed: false, stale: true, lastSeen: '31 s ago' });
  });

  it('reuses a card view while the clock cannot change it, and recomputes once it can', () => {
    const cache = new WeakMap<NodeRecord, NodeView>();
    const a = cachedNodeView(cache, 'web-1', record, T0 + 1000);
    expect(cachedNodeView(cache, 'web-1', record, T0 + 6000)).toBe(a);
    const later = cachedNodeView(cache, 'web-1', record, T0 + 31_000);
    expect(later).not.toBe(a);
    expect(later.stale).toBe(true);
  });
});

describe('row window', () => {
  it('renders the rows in view plus overscan and stands spacers in for the rest', () => {
    expect(rowWindow(500, 28, 0, 560, 10)).toEqual({ start: 0, end: 30, padTop: 0, padBottom: 470 * 28 });
    expect(rowWindow(500, 28, 2800, 560, 10)).toEqual({ start: 90, end: 130, padTop: 90 * 28, padBottom: 370 * 28 });
    expect(rowWindow(500, 28, 1e9, 560, 10)).toMatchObject({ start: 499, end: 500, padBottom: 0 });
    expect(rowWindow(3, 28, 0, 560)).toEqual({ start: 0, end: 3, padTop: 0, padBottom: 0 });
    expect(rowWindow(0, 28, 0, 560)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });
});

describe('timeline', () => {
  const row = (over: Partial<TransitionRow>): TransitionRow => ({
    event_id: 1, node: 'web-1', service: 'worker', ts: T0, from_state: 'running', to_state: 'failed', expect: 'running', result: null, exit_code: null, signal: 'SIGKILL', last_lines: [], ...over,
  });
  it('colours the window from its transitions, newest-first input, short segments kept visible', () => {
    const from = T0 - 100_000;
    const to = T0 + 100_000;
    const segs = timeline([row({ event_id: 2, ts: T0 + 1_000, from_state: 'failed', to_state: 'running' }), row({})], from, to);
    expect(segs.map((s) => [s.state, s.light])).toEqual([['running', 'healthy'], ['failed', 'down'], ['running', 'healthy']]);
    expect(segs[0]).toMatchObject({ start: from, end: T0, left: 0, width: 50 });
    expect(segs[1]?.width).toBeGreaterThanOrEqual(0.4);
    expect(segs.every((s) => s.left + s.width <= 100.0001)).toBe(true);
    expect(timeline([], from, to)).toEqual([]);
  });
});

describe('schedule', () => {
  it('knows the next run of interval schedules only', () => {
    expect(intervalMs('30')).toBe(30_000);
    expect(intervalMs('5m')).toBe(300_000);
    expect(intervalMs('1h')).toBe(3_600_000);
    expect(intervalMs('500ms')).toBeNull();
    expect(intervalMs('*/5 * * * *')).toBeNull();
    expect(nextRun('90s', T0)).toBe(T0 + 90_000);
    expect(nextRun('hourly', T0)).toBeNull();
    expect(nextRun('60s', null)).toBeNull();
    expect(formatUntil(T0 + 12_000, T0)).toBe('in 12 s');
    expect(formatUntil(T0 + 600_000, T0)).toBe('in 10 min');
    expect(formatUntil(T0 - 1, T0)).toBe('due');
  });
});

describe('metrics series and trails', () => {
  it('extends history with live points newer than it, within the window', () => {
    const p = (ts: number, cpu: number) => ({ ts, n: 1, cpu, cpuMax: cpu, mem: 10, memMax: 10, swap: null, disk: 40, load1: 0, rxBytesPerSec: null, txBytesPerSec: null, processes: null });
    const cols = metricsColumns([p(T0, 1), p(T0 + 10_000, 2)], [{ ts: T0 + 5_000, cpu: 9, mem: 1, disk: null }, { ts: T0 + 20_000, cpu: 3, mem: 11, disk: 41 }], T0);
    expect(cols[0]).toEqual([T0 / 1000, T0 / 1000 + 10, T0 / 1000 + 20]);
    expect(cols[1]).toEqual([1, 2, 3]);
  });

  it('keeps the last points per node, ignores repeats, draws them in the box', () => {
    let trails = appendTrail(new Map(), 'web-1', metrics({ ts: T0 }), 3);
    for (let i = 1; i <= 4; i++) trails = appendTrail(trails, 'web-1', metrics({ ts: T0 + i * 1000, cpu: { percent: i * 10 } }), 3);
    const before = trails;
    expect(appendTrail(trails, 'web-1', metrics({ ts: T0 + 4000 }), 3)).toBe(before);
    expect(trails.get('web-1')?.map((p) => p.cpu)).toEqual([20, 30, 40]);
    expect(sparkPoints([0, 50, 100], 100, 20)).toBe('0.0,20.0 50.0,10.0 100.0,0.0');
    expect(sparkPoints([], 100, 20)).toBe('');
  });
});
