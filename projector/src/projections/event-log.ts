/**
 * The append-only event log: every accepted event, idempotent on (node, seq) for agent events and
 * on a derived key for the projector's own events. Triggers refuse UPDATE and DELETE, so nothing
 * in the code base can rewrite history by accident. `checkpoints` records, per node, how far the
 * log has been folded (contiguous_seq) and the highest seq seen; it is fold state, rebuilt.
 */
import { sql } from '../db/statements.js';
import type { AgentEvent } from '@sitrep/schemas';
import type { Db, LoggedEvent, Projection } from './projection.js';

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
  rebuildTables: ['checkpoints'],
};

interface Row {
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

export function toLogged(r: Row): LoggedEvent {
  return {
    id: r.id,
    node: r.node,
    seq: r.seq,
    session: r.session,
    ts: r.ts,
    type: r.type,
    data: JSON.parse(r.data) as Record<string, unknown>,
    origin: r.origin,
    receivedAt: r.received_at,
  };
}

/** Append an agent event; null when (node, seq) is already in the log (a redelivery). */
export function appendAgentEvent(db: Db, e: AgentEvent, receivedAt: number): LoggedEvent | null {
  const data = JSON.stringify(e.data);
  const r = sql(
    db,
    `INSERT INTO events (node, seq, session, ts, type, data, origin, received_at)
     VALUES (?, ?, ?, ?, ?, ?, 'agent', ?) ON CONFLICT DO NOTHING`,
  ).run(e.node, e.seq, e.session, e.ts, e.type, data, receivedAt);
  if (r.changes === 0) return null;
  return { id: Number(r.lastInsertRowid), node: e.node, seq: e.seq, session: e.session, ts: e.ts, type: e.type, data: e.data as Record<string, unknown>, origin: 'agent', receivedAt };
}

export interface DerivedEvent {
  node: string;
  ts: number;
  type: string;
  data: Record<string, unknown>;
  session?: string;
}

/** Append an event the projector derived; `key` makes deriving it again (a redelivery) a no-op. */
export function appendDerivedEvent(db: Db, e: DerivedEvent, key: string): LoggedEvent | null {
  const session = e.session ?? 'projector';
  const r = sql(
    db,
    `INSERT INTO events (node, seq, session, ts, type, data, origin, derived_key, received_at)
     VALUES (?, NULL, ?, ?, ?, ?, 'projector', ?, ?) ON CONFLICT DO NOTHING`,
  ).run(e.node, session, e.ts, e.type, JSON.stringify(e.data), key, e.ts);
  if (r.changes === 0) return null;
  return { id: Number(r.lastInsertRowid), node: e.node, seq: null, session, ts: e.ts, type: e.type, data: e.data, origin: 'projector', receivedAt: e.ts };
}

export interface Checkpoint {
  contiguous_seq: number;
  max_seq: number;
}

export function checkpoint(db: Db, node: string): Checkpoint | undefined {
  return sql(db, 'SELECT contiguous_seq, max_seq FROM checkpoints WHERE node = ?').get(node) as Checkpoint | undefined;
}

export function saveCheckpoint(db: Db, node: string, cp: Checkpoint, now: number): void {
  sql(db, 
    `INSERT INTO checkpoints (node, contiguous_seq, max_seq, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (node) DO UPDATE SET contiguous_seq = excluded.contiguous_seq, max_seq = excluded.max_seq, updated_at = excluded.updated_at`,
  ).run(node, cp.contiguous_seq, cp.max_seq, now);
}

/** Move the checkpoint past `seq` when it is the next one and nothing waits behind it; false otherwise. */
export function advanceCheckpoint(db: Db, node: string, seq: number, now: number): boolean {
  return (
    sql(db, 'UPDATE checkpoints SET contiguous_seq = @seq, max_seq = @seq, updated_at = @now WHERE node = @node AND contiguous_seq = @seq - 1 AND max_seq = @seq - 1')
      .run({ seq, now, node }).changes === 1
  );
}

/** The agent event of `node` with `seq`, if the log has it among rows up to `maxId`. */
export function agentEventAt(db: Db, node: string, seq: number, maxId: number): LoggedEvent | undefined {
  const r = sql(db, 'SELECT * FROM events WHERE node = ? AND seq = ? AND id <= ?').get(node, seq, maxId) as Row | undefined;
  return r === undefined ? undefined : toLogged(r);
}

/** The smallest seq above `seq` present for `node` (the far edge of a gap). */
export function nextPresentSeq(db: Db, node: string, seq: number): number | undefined {
  const r = sql(db, 'SELECT min(seq) AS s FROM events WHERE node = ? AND seq > ?').get(node, seq) as { s: number | null };
  return r.s ?? undefined;
}

/** Nodes whose log has a gap: events beyond what could be folded in order. */
export function nodesWithGaps(db: Db): { node: string; contiguous_seq: number; max_seq: number }[] {
  return sql(db, 'SELECT node, contiguous_seq, max_seq FROM checkpoints WHERE max_seq > contiguous_seq').all() as {
    node: string;
    contiguous_seq: number;
    max_seq: number;
  }[];
}

export function eventsOf(db: Db, node: string): (Row & { derived_key: string | null })[] {
  return sql(db, 'SELECT * FROM events WHERE node = ? ORDER BY id').all(node) as (Row & { derived_key: string | null })[];
}

/** Events in log order after `afterId`, for rebuilds. */
export function eventsAfter(db: Db, afterId: number, limit: number): LoggedEvent[] {
  return (sql(db, 'SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as Row[]).map(toLogged);
}

export function eventCount(db: Db): number {
  return (sql(db, 'SELECT count(*) AS n FROM events').get() as { n: number }).n;
}
