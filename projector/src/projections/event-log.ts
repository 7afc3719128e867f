/**
 * The append-only event log: every accepted event, idempotent on (node, seq) for agent events and
 * on a derived key for the projector's own events. Triggers refuse UPDATE and DELETE, so nothing
 * in the code base can rewrite history by accident. `checkpoints` records, per node, how far the
 * log has been folded (contiguous_seq) and the highest seq seen; it is fold state, rebuilt.
 *
 * Histories that are the events themselves (transitions, check results, the command audit) are
 * views over this table, served by two indexes: `events_type_ts` (fleet-wide, by time) and
 * `events_subject` (one service's or check's history, hour by hour; log-views.ts). `subject` is set
 * when an event is appended, so neither index parses JSON on insert.
 */
import { insertRows } from '../db/bulk.js';
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
      derived_key TEXT,
      received_at INTEGER NOT NULL,
      -- The service or check a history is queried by (subjectOf); NULL for other events.
      subject TEXT,
      CHECK ((origin = 'agent') = (seq IS NOT NULL))
    );
    CREATE INDEX IF NOT EXISTS events_type_ts ON events (type, ts);
    -- Clustered by hour first: the entries a batch adds sit together in the current hour's pages
    -- instead of one page per service, so a commit writes a few pages, not a thousand.
    CREATE INDEX IF NOT EXISTS events_subject ON events (type, ts / 3600000, node, subject, ts) WHERE subject IS NOT NULL;
    CREATE UNIQUE INDEX IF NOT EXISTS events_node_seq ON events (node, seq) WHERE seq IS NOT NULL;
    -- Partial: agent events (all but a few rows) have no derived key and need no entry. Files
    -- created before this keep their inline UNIQUE too; both refuse the same duplicates.
    CREATE UNIQUE INDEX IF NOT EXISTS events_derived_key ON events (derived_key) WHERE derived_key IS NOT NULL;
    -- No query reads events by (node, ts); the index cost a B-tree insert per event.
    DROP INDEX IF EXISTS events_node_ts;
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
    -- Agent events in the log that were never folded: late arrivals after their gap was declared.
    CREATE TABLE IF NOT EXISTS skipped_events (event_id INTEGER PRIMARY KEY);
  `,
  rebuildTables: ['checkpoints', 'skipped_events'],
  migrate(db) {
    const columns = db.prepare('PRAGMA table_info(events)').all() as { name: string }[];
    if (columns.length === 0 || columns.some((c) => c.name === 'subject')) return;
    // A file from before `subject`: add it and fill it in for the rows already logged. The log
    // refuses UPDATE; its trigger is set aside for this one statement and recreated by the DDL.
    db.exec(`ALTER TABLE events ADD COLUMN subject TEXT;
      DROP TRIGGER IF EXISTS events_no_update;
      UPDATE events SET subject = CASE type ${Object.entries(SUBJECT_FIELDS).map(([type, field]) => `WHEN '${type}' THEN data ->> '$.${field}'`).join(' ')} END
        WHERE type IN (${Object.keys(SUBJECT_FIELDS).map((type) => `'${type}'`).join(', ')});`);
  },
};

/** Event types whose history is queried per item, and the data field naming the item. */
const SUBJECT_FIELDS: Record<string, string> = { ServiceStateChanged: 'service', CheckCompleted: 'check' };

/** The `subject` column of an event: the service or check its history is queried by, else null. */
export function subjectOf(type: string, data: unknown): string | null {
  const field = SUBJECT_FIELDS[type];
  if (field === undefined) return null;
  const value = (data as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : null;
}

export function recordSkipped(db: Db, eventId: number): void {
  sql(db, 'INSERT OR IGNORE INTO skipped_events (event_id) VALUES (?)').run(eventId);
}

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

export interface Arrived {
  event: AgentEvent;
  receivedAt: number;
}

/**
 * Append agent events in the given order; per event the stored row, or null for a redelivery
 * (already in the log, or earlier in `arrived`).
 */
export function appendAgentEvents(db: Db, arrived: readonly Arrived[]): (LoggedEvent | null)[] {
  // One prepared INSERT per row: multi-row VALUES (64 rows a statement, RETURNING the ids) cost
  // twice as much per row for these wide rows (bench/README.md, projector-fold). `changes` says
  // whether the row was new, `lastInsertRowid` is its id.
  const insert = sql(
    db,
    `INSERT INTO events (node, seq, session, ts, type, data, origin, received_at, subject)
     VALUES (?, ?, ?, ?, ?, ?, 'agent', ?, ?) ON CONFLICT DO NOTHING`,
  );
  return arrived.map(({ event: e, receivedAt }) => {
    const r = insert.run(e.node, e.seq, e.session, e.ts, e.type, JSON.stringify(e.data), receivedAt, subjectOf(e.type, e.data));
    if (r.changes === 0) return null;
    return { id: Number(r.lastInsertRowid), node: e.node, seq: e.seq, session: e.session, ts: e.ts, type: e.type, data: e.data as Record<string, unknown>, origin: 'agent', receivedAt };
  });
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

/** The checkpoints of `nodes` (those that have one), read in one statement. */
export function checkpointsOf(db: Db, nodes: readonly string[]): Map<string, Checkpoint> {
  const rows = sql(db, 'SELECT node, contiguous_seq, max_seq FROM checkpoints WHERE node IN (SELECT value FROM json_each(?))')
    .raw()
    .all(JSON.stringify(nodes)) as [string, number, number][];
  return new Map(rows.map(([node, contiguous_seq, max_seq]) => [node, { contiguous_seq, max_seq }]));
}

/** Write checkpoints: `rows` flat, (node, contiguous_seq, max_seq, updated_at) each. */
export function saveCheckpoints(db: Db, rows: readonly unknown[]): void {
  insertRows(
    db,
    'INSERT INTO checkpoints (node, contiguous_seq, max_seq, updated_at)',
    4,
    rows,
    'ON CONFLICT (node) DO UPDATE SET contiguous_seq = excluded.contiguous_seq, max_seq = excluded.max_seq, updated_at = excluded.updated_at',
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

type RawRow = [number, string, number | null, string, number, string, string | null, 'agent' | 'projector', number];

/** Event types whose data the fold itself reads (the rest is read by projections). */
export const FOLDER_READS: readonly string[] = ['GapDetected'];

/**
 * Data fields no fold reads: evidence the history views show straight from the log. A rebuild
 * leaves them out of the data it parses: the last log lines of a failure are ~8 % of the events
 * but most of the JSON a rebuild would parse (and garbage it would collect). A projection that
 * starts reading one of these must take it out of here (rebuild.unit.test.ts folds the same
 * events with and without them and compares every read model).
 */
export const UNFOLDED_FIELDS: Readonly<Record<string, readonly string[]>> = { ServiceStateChanged: ['lastLines'], ProcessGaveUp: ['lastLines'] };

/** SQL for the `data` a rebuild reads: NULL for types not in `parsed`, the rest without UNFOLDED_FIELDS. */
function foldedDataSql(): string {
  // `instr` first: json_remove parses and writes the JSON again, so only rows that have the field pay.
  const trims = Object.entries(UNFOLDED_FIELDS).map(([type, fields]) => {
    const has = fields.map((f) => `instr(data, '"${f}"') > 0`).join(' OR ');
    return `WHEN type = '${type}' AND (${has}) THEN json_remove(data, ${fields.map((f) => `'$.${f}'`).join(', ')})`;
  });
  return `CASE WHEN type NOT IN (SELECT value FROM json_each(?)) THEN NULL ${trims.join(' ')} ELSE data END`;
}
const FOLDED_DATA_SQL = foldedDataSql();

/**
 * Events in log order after `afterId`, for rebuilds: rows read as arrays, not objects, and `data`
 * parsed only for the types in `parsed` (what some projection or the folder reads; the others get
 * an empty object: parsing every row's JSON was most of a rebuild's garbage), without the fields
 * no fold reads (UNFOLDED_FIELDS): naming `parsed` means "rows for folding". Without it, every
 * row whole.
 */
export function eventsAfter(db: Db, afterId: number, limit: number, parsed?: ReadonlySet<string>): LoggedEvent[] {
  // The data of the other types is not even read out of SQLite: no string to allocate and drop.
  const data = parsed === undefined ? 'data' : FOLDED_DATA_SQL;
  const select = sql(db, `SELECT id, node, seq, session, ts, type, ${data}, origin, received_at FROM events WHERE id > ? ORDER BY id LIMIT ?`).raw();
  const rows = (parsed === undefined ? select.all(afterId, limit) : select.all(JSON.stringify([...parsed]), afterId, limit)) as RawRow[];
  return rows.map(([id, node, seq, session, ts, type, data, origin, receivedAt]) => ({
    id, node, seq, session, ts, type, data: data === null ? {} : (JSON.parse(data) as Record<string, unknown>), origin, receivedAt,
  }));
}

export function eventCount(db: Db): number {
  return (sql(db, 'SELECT count(*) AS n FROM events').get() as { n: number }).n;
}
