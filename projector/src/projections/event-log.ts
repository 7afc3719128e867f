/**
 * The append-only event log: every accepted event, idempotent on (node, seq) for agent events and
 * on a derived key for the projector's own events. Triggers refuse UPDATE and DELETE, so nothing
 * in the code base can rewrite history by accident.
 */
import type { AgentEvent } from '@sitrep/schemas';
import type { Db, Projection } from './projection.js';

export const eventLog: Projection = {
  name: 'event-log',
  ddl: `
    CREATE TABLE IF NOT EXISTS events (
      id INTEGER PRIMARY KEY,
      node TEXT NOT NULL,
      seq INTEGER,
      session TEXT NOT NULL,
      ts INTEGER NOT NULL,
      type TEXT NOT NULL,
      data TEXT NOT NULL,
      origin TEXT NOT NULL CHECK (origin IN ('agent', 'projector')),
      derived_key TEXT UNIQUE,
      received_at INTEGER NOT NULL,
      CHECK ((origin = 'agent') = (seq IS NOT NULL))
    );
    CREATE UNIQUE INDEX IF NOT EXISTS events_node_seq ON events (node, seq) WHERE seq IS NOT NULL;
    CREATE INDEX IF NOT EXISTS events_node_ts ON events (node, ts);
    CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
      BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
      BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TABLE IF NOT EXISTS checkpoints (
      node TEXT PRIMARY KEY,
      contiguous_seq INTEGER NOT NULL,
      max_seq INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `,
};

export interface StoredEvent {
  id: number;
  node: string;
  seq: number | null;
  session: string;
  ts: number;
  type: string;
  data: string;
  origin: 'agent' | 'projector';
  received_at: number;
}

/** Append an agent event; false when (node, seq) is already in the log (a redelivery). */
export function appendAgentEvent(db: Db, e: AgentEvent, receivedAt: number): boolean {
  const r = db
    .prepare(
      `INSERT INTO events (node, seq, session, ts, type, data, origin, received_at)
       VALUES (?, ?, ?, ?, ?, ?, 'agent', ?) ON CONFLICT DO NOTHING`,
    )
    .run(e.node, e.seq, e.session, e.ts, e.type, JSON.stringify(e.data), receivedAt);
  if (r.changes === 0) return false;
  advanceCheckpoint(db, e.node, e.seq, receivedAt);
  return true;
}

/** Append an event the projector derived; `key` makes re-deriving it from a redelivery a no-op. */
export function appendDerivedEvent(
  db: Db,
  e: { node: string; session: string; ts: number; type: string; data: object },
  key: string,
): boolean {
  const r = db
    .prepare(
      `INSERT INTO events (node, seq, session, ts, type, data, origin, derived_key, received_at)
       VALUES (?, NULL, ?, ?, ?, ?, 'projector', ?, ?) ON CONFLICT DO NOTHING`,
    )
    .run(e.node, e.session, e.ts, e.type, JSON.stringify(e.data), key, e.ts);
  return r.changes > 0;
}

/**
 * The checkpoint per node: the highest seq below which nothing is missing, and the highest seen.
 * It commits in the same transaction as the event, so it can never disagree with the log.
 */
function advanceCheckpoint(db: Db, node: string, seq: number, now: number): void {
  db.prepare(
    `INSERT INTO checkpoints (node, contiguous_seq, max_seq, updated_at) VALUES (?, 0, ?, ?)
     ON CONFLICT (node) DO UPDATE SET max_seq = max(max_seq, excluded.max_seq), updated_at = excluded.updated_at`,
  ).run(node, seq, now);
  // Walk forward over the events now present after the contiguous prefix.
  const cp = db.prepare('SELECT contiguous_seq FROM checkpoints WHERE node = ?').get(node) as { contiguous_seq: number };
  let next = cp.contiguous_seq;
  const has = db.prepare('SELECT 1 FROM events WHERE node = ? AND seq = ?');
  while (has.get(node, next + 1) !== undefined) next++;
  if (next !== cp.contiguous_seq) db.prepare('UPDATE checkpoints SET contiguous_seq = ? WHERE node = ?').run(next, node);
}

export function checkpoint(db: Db, node: string): { contiguous_seq: number; max_seq: number } | undefined {
  return db.prepare('SELECT contiguous_seq, max_seq FROM checkpoints WHERE node = ?').get(node) as
    | { contiguous_seq: number; max_seq: number }
    | undefined;
}

export function eventsOf(db: Db, node: string): StoredEvent[] {
  return db.prepare('SELECT * FROM events WHERE node = ? ORDER BY id').all(node) as StoredEvent[];
}
