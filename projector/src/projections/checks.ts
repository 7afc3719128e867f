/**
 * Checks: the history of results and the current result of each check (retained `checks/{id}`
 * state, not rebuilt). The history is a view over the log's CheckCompleted events with a partial
 * index (event-log.ts), not a copy: one result is one logged event (see transitions.ts for why).
 */
import { sql } from '../db/statements.js';
import { historyOf, logViewDdl, type LogView } from './log-views.js';
import type { Db, Projection } from './projection.js';

export const CHECK_RESULTS: LogView = {
  name: 'check_results',
  type: 'CheckCompleted',
  subject: 'check_id',
  columns: `events.id AS event_id, events.node, events.subject AS check_id, events.ts, events.data ->> '$.status' AS status,
    events.data ->> '$.message' AS message, events.data ->> '$.durationMs' AS duration_ms`,
};

export const checks: Projection = {
  name: 'checks',
  ddl: `
    ${logViewDdl(CHECK_RESULTS)}
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
  logViews: [CHECK_RESULTS.name],
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

export interface CheckResultRow {
  event_id: number;
  node: string;
  check_id: string;
  ts: number;
  status: string;
  message: string;
  duration_ms: number;
}

export function checkHistory(db: Db, q: { node?: string | undefined; check?: string | undefined; from: number; to: number; limit: number }): CheckResultRow[] {
  return historyOf<CheckResultRow>(db, CHECK_RESULTS, { ...q, subject: q.check });
}

export function currentChecks(db: Db, node?: string): { node: string; check_id: string; status: string; message: string; ts: number }[] {
  return db
    .prepare('SELECT node, check_id, status, message, ts FROM checks_current WHERE (? IS NULL OR node = ?) ORDER BY node, check_id')
    .all(node ?? null, node ?? null) as { node: string; check_id: string; status: string; message: string; ts: number }[];
}
