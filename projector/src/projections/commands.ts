/** The command audit log: every CommandCompleted event (who, what, when, outcome). Rebuilt from the log. */
import { insertRows } from '../db/bulk.js';
import type { Db, LoggedEvent, Projection } from './projection.js';

export const commandAudit: Projection = {
  name: 'command-audit',
  ddl: `
    CREATE TABLE IF NOT EXISTS command_audit (
      event_id INTEGER PRIMARY KEY,
      node TEXT NOT NULL,
      ts INTEGER NOT NULL,
      command_id TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      by TEXT,
      outcome TEXT NOT NULL,
      message TEXT NOT NULL,
      duration_ms REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS command_audit_ts ON command_audit (ts);
  `,
  rebuildTables: ['command_audit'],
  rebuildIndexes: ['command_audit_ts'],
  handles: ['CommandCompleted'],
  evolve({ db }, e) {
    foldCommands(db, [e]);
  },
  evolveRun: foldCommands,
};

function foldCommands(db: Db, events: readonly LoggedEvent[]): void {
  const values: unknown[] = [];
  for (const e of events) {
    const d = e.data as { id: string; action: string; target: string; by?: string; outcome: string; message: string; durationMs: number };
    values.push(e.id, e.node, e.ts, d.id, d.action, d.target, d.by ?? null, d.outcome, d.message, d.durationMs);
  }
  insertRows(db, 'INSERT INTO command_audit (event_id, node, ts, command_id, action, target, by, outcome, message, duration_ms)', 10, values);
}

export function commandHistory(db: Db, q: { node?: string; from: number; to: number; limit: number }): unknown[] {
  return db
    .prepare('SELECT * FROM command_audit WHERE ts >= ? AND ts < ? AND (? IS NULL OR node = ?) ORDER BY ts DESC, event_id DESC LIMIT ?')
    .all(q.from, q.to, q.node ?? null, q.node ?? null, q.limit);
}
