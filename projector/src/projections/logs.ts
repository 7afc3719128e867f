/**
 * Log lines per node and source, bounded: only the newest LINES_PER_SOURCE are kept, so a chatty
 * service cannot grow the database. From `logs/{source}` batches (QoS 0, not in the log).
 */
import { sql } from '../db/statements.js';
import type { Db, Projection } from './projection.js';

export const LINES_PER_SOURCE = 1000;

export const logLines: Projection = {
  name: 'log-lines',
  ddl: `
    CREATE TABLE IF NOT EXISTS log_lines (
      id INTEGER PRIMARY KEY,
      node TEXT NOT NULL,
      source TEXT NOT NULL,
      ts INTEGER NOT NULL,
      text TEXT NOT NULL,
      priority INTEGER,
      stream TEXT
    );
    CREATE INDEX IF NOT EXISTS log_lines_source ON log_lines (node, source, id);
  `,
  onState({ db }, msg) {
    if (msg.kind !== 'logs') return;
    const b = msg.value;
    const insert = sql(db, 'INSERT INTO log_lines (node, source, ts, text, priority, stream) VALUES (?, ?, ?, ?, ?, ?)');
    for (const l of b.lines) insert.run(b.node, b.source, l.ts, l.text, l.priority ?? null, l.stream ?? null);
    if (b.dropped !== undefined && b.dropped > 0) {
      const ts = b.lines[b.lines.length - 1]?.ts ?? 0;
      insert.run(b.node, b.source, ts, `[${b.dropped} lines not forwarded: rate limit]`, 4, null);
    }
    const cutoff = sql(db, 'SELECT id FROM log_lines WHERE node = ? AND source = ? ORDER BY id DESC LIMIT 1 OFFSET ?')
      .get(b.node, b.source, LINES_PER_SOURCE) as { id: number } | undefined;
    if (cutoff !== undefined) sql(db, 'DELETE FROM log_lines WHERE node = ? AND source = ? AND id <= ?').run(b.node, b.source, cutoff.id);
  },
};

export function recentLogs(db: Db, q: { node: string; source?: string; limit: number; beforeId?: number }): unknown[] {
  return db
    .prepare(
      `SELECT id, node, source, ts, text, priority, stream FROM log_lines
       WHERE node = ? AND (? IS NULL OR source = ?) AND id < ? ORDER BY id DESC LIMIT ?`,
    )
    .all(q.node, q.source ?? null, q.source ?? null, q.beforeId ?? Number.MAX_SAFE_INTEGER, q.limit);
}
