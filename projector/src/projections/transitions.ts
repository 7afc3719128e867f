/**
 * Service transitions with their evidence, and hourly healthy-ratio buckets, both folded from
 * ServiceStateChanged events, so both are rebuilt from the log. Buckets add up, per service and
 * hour, how long the service was healthy and observed; the interval still open (since the last
 * transition) is added at query time, so folding never depends on the wall clock.
 */
import { sql } from '../db/statements.js';
import type { Db, LoggedEvent, Projection } from './projection.js';
import { isHealthy } from './services.js';

const HOUR = 3_600_000;

export const transitions: Projection = {
  name: 'transitions',
  ddl: `
    CREATE TABLE IF NOT EXISTS transitions (
      event_id INTEGER PRIMARY KEY,
      node TEXT NOT NULL,
      service TEXT NOT NULL,
      ts INTEGER NOT NULL,
      from_state TEXT NOT NULL,
      to_state TEXT NOT NULL,
      expect TEXT NOT NULL,
      result TEXT,
      exit_code INTEGER,
      signal TEXT,
      last_lines TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS transitions_service_ts ON transitions (node, service, ts);
    CREATE INDEX IF NOT EXISTS transitions_ts ON transitions (ts);
    CREATE TABLE IF NOT EXISTS service_timeline (
      node TEXT NOT NULL,
      service TEXT NOT NULL,
      state TEXT NOT NULL,
      expect TEXT NOT NULL,
      since INTEGER NOT NULL,
      PRIMARY KEY (node, service)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS service_hourly (
      node TEXT NOT NULL,
      service TEXT NOT NULL,
      hour INTEGER NOT NULL,
      healthy_ms INTEGER NOT NULL,
      total_ms INTEGER NOT NULL,
      transitions INTEGER NOT NULL,
      PRIMARY KEY (node, service, hour)
    ) WITHOUT ROWID;
  `,
  rebuildTables: ['transitions', 'service_timeline', 'service_hourly'],
  handles: ['ServiceStateChanged'],
  evolve({ db }, e) {
    foldTransition(db, e);
  },
};

interface Timeline {
  state: string;
  expect: string;
  since: number;
}

/**
 * Add [from, to) to the hourly buckets. The transition at `to` is counted in the row of its hour
 * when that row is written here anyway; true when it was.
 */
function addToBuckets(db: Db, node: string, service: string, from: number, to: number, healthy: boolean, countHour: number): boolean {
  const upsert = sql(db,
    `INSERT INTO service_hourly (node, service, hour, healthy_ms, total_ms, transitions) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (node, service, hour) DO UPDATE SET healthy_ms = healthy_ms + excluded.healthy_ms, total_ms = total_ms + excluded.total_ms,
       transitions = transitions + excluded.transitions`,
  );
  let counted = false;
  for (let start = from; start < to; ) {
    const hour = Math.floor(start / HOUR) * HOUR;
    const end = Math.min(to, hour + HOUR);
    const count = end === to && hour === countHour ? 1 : 0;
    upsert.run(node, service, hour, healthy ? end - start : 0, end - start, count);
    counted ||= count === 1;
    start = end;
  }
  return counted;
}

function foldTransition(db: Db, e: LoggedEvent): void {
  const d = e.data as { service: string; from: string; to: string; expect?: string; result?: string; exitCode?: number | null; signal?: string | null; lastLines?: string[] };
  const prev = sql(db, 'SELECT state, expect, since FROM service_timeline WHERE node = ? AND service = ?').get(e.node, d.service) as Timeline | undefined;
  const expect = d.expect ?? prev?.expect ?? 'running';
  sql(db,
    `INSERT INTO transitions (event_id, node, service, ts, from_state, to_state, expect, result, exit_code, signal, last_lines)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(e.id, e.node, d.service, e.ts, d.from, d.to, expect, d.result ?? null, d.exitCode ?? null, d.signal ?? null, JSON.stringify(d.lastLines ?? []));
  const hour = Math.floor(e.ts / HOUR) * HOUR;
  // Clock skew can put an event before the previous one: never count negative time.
  const counted = prev !== undefined && e.ts > prev.since && addToBuckets(db, e.node, d.service, prev.since, e.ts, isHealthy(prev.state, prev.expect), hour);
  if (!counted) {
    sql(db,
      `INSERT INTO service_hourly (node, service, hour, healthy_ms, total_ms, transitions) VALUES (?, ?, ?, 0, 0, 1)
       ON CONFLICT (node, service, hour) DO UPDATE SET transitions = transitions + 1`,
    ).run(e.node, d.service, hour);
  }
  sql(db,
    `INSERT INTO service_timeline (node, service, state, expect, since) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (node, service) DO UPDATE SET state = excluded.state, expect = excluded.expect, since = max(since, excluded.since)`,
  ).run(e.node, d.service, d.to, expect, e.ts);
}

export interface TransitionRow {
  event_id: number;
  node: string;
  service: string;
  ts: number;
  from_state: string;
  to_state: string;
  expect: string;
  result: string | null;
  exit_code: number | null;
  signal: string | null;
  last_lines: string;
}

export function queryTransitions(db: Db, q: { node?: string; service?: string; from: number; to: number; limit: number }): TransitionRow[] {
  return db
    .prepare(
      `SELECT * FROM transitions WHERE ts >= ? AND ts < ? AND (? IS NULL OR node = ?) AND (? IS NULL OR service = ?)
       ORDER BY ts DESC, event_id DESC LIMIT ?`,
    )
    .all(q.from, q.to, q.node ?? null, q.node ?? null, q.service ?? null, q.service ?? null, q.limit) as TransitionRow[];
}

export interface HourlyRatio {
  hour: number;
  healthyMs: number;
  totalMs: number;
  ratio: number | null;
  transitions: number;
}

/** Hourly buckets of one service over [from, to), the open interval included up to `now`. */
export function hourlyRatios(db: Db, q: { node: string; service: string; from: number; to: number; now: number }): { hours: HourlyRatio[]; ratio: number | null } {
  const from = Math.floor(q.from / HOUR) * HOUR;
  const rows = db
    .prepare('SELECT hour, healthy_ms, total_ms, transitions FROM service_hourly WHERE node = ? AND service = ? AND hour >= ? AND hour < ? ORDER BY hour')
    .all(q.node, q.service, from, q.to) as { hour: number; healthy_ms: number; total_ms: number; transitions: number }[];
  const byHour = new Map(rows.map((r) => [r.hour, { healthyMs: r.healthy_ms, totalMs: r.total_ms, transitions: r.transitions }]));
  const open = sql(db, 'SELECT state, expect, since FROM service_timeline WHERE node = ? AND service = ?').get(q.node, q.service) as Timeline | undefined;
  if (open !== undefined) {
    const healthy = isHealthy(open.state, open.expect);
    for (let start = Math.max(open.since, from); start < Math.min(q.now, q.to); ) {
      const hour = Math.floor(start / HOUR) * HOUR;
      const end = Math.min(q.now, q.to, hour + HOUR);
      const b = byHour.get(hour) ?? { healthyMs: 0, totalMs: 0, transitions: 0 };
      byHour.set(hour, { ...b, healthyMs: b.healthyMs + (healthy ? end - start : 0), totalMs: b.totalMs + end - start });
      start = end;
    }
  }
  const hours = [...byHour.entries()]
    .sort(([a], [b]) => a - b)
    .map(([hour, b]) => ({ hour, ...b, ratio: b.totalMs > 0 ? b.healthyMs / b.totalMs : null }));
  const healthy = hours.reduce((s, h) => s + h.healthyMs, 0);
  const total = hours.reduce((s, h) => s + h.totalMs, 0);
  return { hours, ratio: total > 0 ? healthy / total : null };
}
