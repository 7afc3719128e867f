/**
 * Checks: the history of results (CheckCompleted events, rebuilt from the log) and the current
 * result of each check (retained `checks/{id}` state, not rebuilt).
 */
import { insertRows } from '../db/bulk.js';
import { sql } from '../db/statements.js';
import type { Db, LoggedEvent, Projection } from './projection.js';

export const checks: Projection = {
  name: 'checks',
  ddl: `
    CREATE TABLE IF NOT EXISTS check_results (
      event_id INTEGER PRIMARY KEY,
      node TEXT NOT NULL,
      check_id TEXT NOT NULL,
      ts INTEGER NOT NULL,
      status TEXT NOT NULL,
      message TEXT NOT NULL,
      duration_ms REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS check_results_check_ts ON check_results (node, check_id, ts);
    CREATE TABLE IF NOT EXISTS checks_current (
      node TEXT NOT NULL,
      check_id TEXT NOT NULL,
      status TEXT NOT NULL,
      message TEXT NOT NULL,
      duration_ms REAL NOT NULL,
      ts INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (node, check_id)
    ) WITHOUT ROWID;
  `,
  rebuildTables: ['check_results'],
  rebuildIndexes: ['check_results_check_ts'],
  handles: ['CheckCompleted'],
  evolve({ db }, e) {
    foldResults(db, [e]);
  },
  evolveRun: foldResults,
  onState({ db }, msg, receivedAt) {
    if (msg.kind !== 'check') return;
    if (msg.value === null) {
      sql(db, 'DELETE FROM checks_current WHERE node = ? AND check_id = ?').run(msg.node, msg.check);
      return;
    }
    const c = msg.value;
    sql(db, 
      `INSERT INTO checks_current (node, check_id, status, message, duration_ms, ts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (node, check_id) DO UPDATE SET status = excluded.status, message = excluded.message,
         duration_ms = excluded.duration_ms, ts = excluded.ts, updated_at = excluded.updated_at WHERE excluded.ts >= checks_current.ts`,
    ).run(c.node, c.check, c.status, c.message, c.durationMs, c.ts, receivedAt);
  },
};

function foldResults(db: Db, events: readonly LoggedEvent[]): void {
  const values: unknown[] = [];
  for (const e of events) {
    const d = e.data as { check: string; status: string; message: string; durationMs: number };
    values.push(e.id, e.node, d.check, e.ts, d.status, d.message, d.durationMs);
  }
  insertRows(db, 'INSERT INTO check_results (event_id, node, check_id, ts, status, message, duration_ms)', 7, values);
}

export interface CheckResultRow {
  event_id: number;
  node: string;
  check_id: string;
  ts: number;
  status: string;
  message: string;
  duration_ms: number;
}

export function checkHistory(db: Db, q: { node?: string; check?: string; from: number; to: number; limit: number }): CheckResultRow[] {
  return db
    .prepare(
      `SELECT * FROM check_results WHERE ts >= ? AND ts < ? AND (? IS NULL OR node = ?) AND (? IS NULL OR check_id = ?)
       ORDER BY ts DESC, event_id DESC LIMIT ?`,
    )
    .all(q.from, q.to, q.node ?? null, q.node ?? null, q.check ?? null, q.check ?? null, q.limit) as CheckResultRow[];
}

export function currentChecks(db: Db, node?: string): { node: string; check_id: string; status: string; message: string; ts: number }[] {
  return db
    .prepare('SELECT node, check_id, status, message, ts FROM checks_current WHERE (? IS NULL OR node = ?) ORDER BY node, check_id')
    .all(node ?? null, node ?? null) as { node: string; check_id: string; status: string; message: string; ts: number }[];
}
