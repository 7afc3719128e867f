/**
 * Alerts as a read model of AlertOpened / AlertClosed events (rebuilt from the log). Deciding
 * when to open or close one is live work with a clock: see alerts/evaluate.ts.
 */
import { sql } from '../db/statements.js';
import type { Alert } from '@sitrep/schemas';
import type { Db, Projection } from './projection.js';

export const alerts: Projection = {
  name: 'alerts',
  ddl: `
    CREATE TABLE IF NOT EXISTS alerts (
      event_id INTEGER PRIMARY KEY,
      alert_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      node TEXT NOT NULL,
      target TEXT,
      since INTEGER NOT NULL,
      opened_at INTEGER NOT NULL,
      message TEXT NOT NULL,
      closed_at INTEGER,
      close_reason TEXT
    );
    CREATE INDEX IF NOT EXISTS alerts_open ON alerts (alert_id) WHERE closed_at IS NULL;
    CREATE INDEX IF NOT EXISTS alerts_opened_at ON alerts (opened_at);
  `,
  rebuildTables: ['alerts'],
  rebuildIndexes: ['alerts_opened_at'],
  handles: ['AlertOpened', 'AlertClosed'],
  evolve({ db }, e) {
    if (e.type === 'AlertOpened') {
      const a = e.data as unknown as Alert;
      sql(db, 
        'INSERT INTO alerts (event_id, alert_id, kind, node, target, since, opened_at, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(e.id, a.id, a.kind, a.node, a.target, a.since, a.openedAt, a.message);
    } else {
      const d = e.data as { alertId: string; closedAt: number; reason: string };
      sql(db, 'UPDATE alerts SET closed_at = ?, close_reason = ? WHERE alert_id = ? AND closed_at IS NULL').run(d.closedAt, d.reason, d.alertId);
    }
  },
};

interface AlertRow {
  event_id: number;
  alert_id: string;
  kind: Alert['kind'];
  node: string;
  target: string | null;
  since: number;
  opened_at: number;
  message: string;
  closed_at: number | null;
  close_reason: string | null;
}

const toAlert = (r: AlertRow): Alert => ({ id: r.alert_id, kind: r.kind, node: r.node, target: r.target, since: r.since, openedAt: r.opened_at, message: r.message });

export function openAlerts(db: Db): Alert[] {
  return (sql(db, 'SELECT * FROM alerts WHERE closed_at IS NULL ORDER BY opened_at, event_id').all() as AlertRow[]).map(toAlert);
}

export function alertHistory(db: Db, q: { from: number; to: number; node?: string; limit: number }): (Alert & { closedAt: number | null; closeReason: string | null })[] {
  return (
    db
      .prepare(
        `SELECT * FROM alerts WHERE opened_at < ? AND (closed_at IS NULL OR closed_at >= ?) AND (? IS NULL OR node = ?)
         ORDER BY opened_at DESC LIMIT ?`,
      )
      .all(q.to, q.from, q.node ?? null, q.node ?? null, q.limit) as AlertRow[]
  ).map((r) => ({ ...toAlert(r), closedAt: r.closed_at, closeReason: r.close_reason }));
}
