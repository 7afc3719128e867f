/**
 * Views over the log: read models that are the logged events themselves (a transition, a check
 * result, a command outcome is one event each), so nothing is copied and nothing is rebuilt. Each
 * shows only events that have been folded, so it agrees with the folded read models beside it.
 *
 * Histories are read from `events` directly with the view's columns rather than through the view,
 * so the query can name the index it needs (`INDEXED BY` is not allowed on a view).
 */
import { sql } from '../db/statements.js';
import type { Db } from './projection.js';

export interface LogView {
  /** The view's name. */
  name: string;
  /** The event type it shows. */
  type: string;
  /** Its columns: a select list over a row of `events`, aliased `events`. */
  columns: string;
  /** The column that holds `events.subject` (a service, a check), when it has one. */
  subject?: string;
}

/**
 * That an agent event has been folded: in seq order up to its node's checkpoint, and not skipped
 * (a late arrival after its gap was declared). An early arrival waiting for the gap before it is
 * not shown until it is folded. (`+seq`: not a term to search events_node_seq by, which would walk
 * every event of the node.)
 */
const FOLDED = `+events.seq <= coalesce((SELECT c.contiguous_seq FROM checkpoints AS c WHERE c.node = events.node), 0)
  AND events.id NOT IN (SELECT event_id FROM skipped_events)`;

/** DDL for the view (replaced on every open, so a changed definition takes effect). */
export function logViewDdl(v: LogView): string {
  return `
    DROP VIEW IF EXISTS ${v.name};
    CREATE VIEW ${v.name} AS SELECT ${v.columns} FROM events WHERE events.type = '${v.type}' AND ${FOLDED};`;
}

const HOUR = 3_600_000;
/** A longer range than this is scanned by time (events_type_ts) instead of hour by hour. */
const MAX_SUBJECT_HOURS = 24 * 92;

export interface HistoryQuery {
  node?: string | undefined;
  subject?: string | undefined;
  from: number;
  to: number;
  limit: number;
}

/**
 * Rows of `v` in [from, to), newest first, of a node and subject when given. With both, the hours
 * of the range are looked up one by one in `events_subject` (an index seek each); otherwise, or
 * over more than MAX_SUBJECT_HOURS, events of the type are walked by time and filtered.
 */
export function historyOf<T>(db: Db, v: LogView, q: HistoryQuery): T[] {
  const select = (from: string) => `SELECT ${v.columns} FROM ${from} WHERE events.type = '${v.type}' AND ${FOLDED}`;
  const order = 'ORDER BY events.ts DESC, events.id DESC LIMIT ?';
  const first = Math.floor(q.from / HOUR);
  const last = Math.floor((q.to - 1) / HOUR);
  if (v.subject !== undefined && q.node !== undefined && q.subject !== undefined && q.to > q.from && last - first < MAX_SUBJECT_HOURS) {
    // Without table statistics SQLite would rather walk events_type_ts (every event of the type
    // in the range, but already in ts order): the index is named, and the range only filters.
    const hours = JSON.stringify(Array.from({ length: last - first + 1 }, (_, i) => first + i));
    return sql(db, `${select('events INDEXED BY events_subject')} AND events.ts / 3600000 IN (SELECT value FROM json_each(?))
      AND events.node = ? AND events.subject = ? AND events.ts >= ? AND events.ts < ? ${order}`).all(hours, q.node, q.subject, q.from, q.to, q.limit) as T[];
  }
  // Only the filters given, spelt out (no `? IS NULL OR`), so the time index is usable.
  const where = ['events.ts >= ?', 'events.ts < ?'];
  const args: unknown[] = [q.from, q.to];
  if (q.node !== undefined) (where.push('events.node = ?'), args.push(q.node));
  if (v.subject !== undefined && q.subject !== undefined) (where.push('events.subject = ?'), args.push(q.subject));
  return sql(db, `${select('events')} AND ${where.join(' AND ')} ${order}`).all(...args, q.limit) as T[];
}
