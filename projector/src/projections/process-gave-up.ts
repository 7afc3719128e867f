/**
 * Supervised processes whose supervisor gave up (ProcessGaveUp: too many restarts in its window),
 * until the process runs again (a ServiceStateChanged to `running` of the same id). Folded from
 * the log, so rebuilt; the alert it feeds is decided in alerts/evaluate.ts.
 */
import { sql } from '../db/statements.js';
import type { Db, LoggedEvent, Projection } from './projection.js';

export const processGaveUp: Projection = {
  name: 'process-gave-up',
  ddl: `
    CREATE TABLE IF NOT EXISTS process_gave_up (
      node TEXT NOT NULL,
      process TEXT NOT NULL,
      event_id INTEGER NOT NULL,
      since INTEGER NOT NULL,
      restarts INTEGER NOT NULL,
      window_ms REAL NOT NULL,
      PRIMARY KEY (node, process)
    ) WITHOUT ROWID;
  `,
  rebuildTables: ['process_gave_up'],
  handles: ['ProcessGaveUp', 'ServiceStateChanged'],
  evolve({ db }, e) {
    foldGaveUp(db, [e]);
  },
  evolveRun: foldGaveUp,
};

const key = (node: string, process: string) => `${node}\n${process}`;

/**
 * Most ServiceStateChanged events concern no process that gave up: the run reads the (small)
 * table once and writes only for the events that change it.
 */
function foldGaveUp(db: Db, events: readonly LoggedEvent[]): void {
  const open = new Set((sql(db, 'SELECT node, process FROM process_gave_up').raw().all() as [string, string][]).map(([n, p]) => key(n, p)));
  for (const e of events) {
    if (e.type === 'ProcessGaveUp') {
      const d = e.data as { process: string; restarts: number; windowMs: number };
      sql(
        db,
        `INSERT INTO process_gave_up (node, process, event_id, since, restarts, window_ms) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (node, process) DO UPDATE SET event_id = excluded.event_id, since = excluded.since,
           restarts = excluded.restarts, window_ms = excluded.window_ms`,
      ).run(e.node, d.process, e.id, e.ts, d.restarts, d.windowMs);
      open.add(key(e.node, d.process));
      continue;
    }
    const d = e.data as { service: string; to: string };
    if (d.to !== 'running' || !open.delete(key(e.node, d.service))) continue;
    sql(db, 'DELETE FROM process_gave_up WHERE node = ? AND process = ?').run(e.node, d.service);
  }
}

export interface GaveUpRow {
  node: string;
  process: string;
  event_id: number;
  since: number;
  restarts: number;
  window_ms: number;
}

export function gaveUpProcesses(db: Db): GaveUpRow[] {
  return sql(db, 'SELECT * FROM process_gave_up ORDER BY node, process').all() as GaveUpRow[];
}
