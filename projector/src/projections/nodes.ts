/**
 * The `nodes` read model: identity, OS info, status, last seen and latest metrics per node.
 * Folds the retained state topics and derives NodeLost / NodeReturned from status changes.
 */
import { sql } from '../db/statements.js';
import type { Birth, Metrics, Status } from '@sitrep/schemas';
import { appendDerivedEvent } from './event-log.js';
import type { Db, LoggedEvent, Projection } from './projection.js';

export const nodes: Projection = {
  name: 'nodes',
  onState({ db }, msg, receivedAt) {
    // Status is folded by the ingest itself (it derives NodeLost / NodeReturned events to fold).
    if (msg.kind === 'birth') foldBirth(db, msg.value, receivedAt);
    else if (msg.kind === 'metrics') foldMetrics(db, msg.value, receivedAt);
    else if (msg.kind === 'service' || msg.kind === 'check' || msg.kind === 'logs') touchNode(db, msg.node, receivedAt);
  },
  ddl: `
    CREATE TABLE IF NOT EXISTS nodes (
      node TEXT PRIMARY KEY,
      state TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('unknown', 'online', 'offline', 'lost')),
      session TEXT,
      state_since INTEGER,
      last_seen INTEGER NOT NULL,
      hostname TEXT,
      distro TEXT,
      release TEXT,
      kernel TEXT,
      arch TEXT,
      machine_id TEXT,
      agent_version TEXT,
      boot_time INTEGER,
      birth TEXT,
      metrics TEXT,
      metrics_ts INTEGER,
      cpu_percent REAL,
      mem_percent REAL,
      disk_percent REAL
    );
    -- listNodeStates, every alerting tick: a node's row carries its birth and metrics documents
    -- (kilobytes), so reading the state of every node from the table reads them all; this index
    -- holds what the tick needs, the birth's interval included.
    CREATE INDEX IF NOT EXISTS nodes_state ON nodes (node, state, state_since, last_seen, json_extract(birth, '$.interval'));
  `,
};

export interface NodeRow {
  node: string;
  state: 'unknown' | 'online' | 'offline' | 'lost';
  session: string | null;
  state_since: number | null;
  last_seen: number;
  hostname: string | null;
  distro: string | null;
  release: string | null;
  kernel: string | null;
  arch: string | null;
  machine_id: string | null;
  agent_version: string | null;
  boot_time: number | null;
  birth: string | null;
  metrics: string | null;
  metrics_ts: number | null;
  cpu_percent: number | null;
  mem_percent: number | null;
  disk_percent: number | null;
}

function ensure(db: Db, node: string, now: number): void {
  sql(db, 'INSERT INTO nodes (node, last_seen) VALUES (?, ?) ON CONFLICT (node) DO NOTHING').run(node, now);
}

export function getNode(db: Db, node: string): NodeRow | undefined {
  return sql(db, 'SELECT * FROM nodes WHERE node = ?').get(node) as NodeRow | undefined;
}

export function listNodes(db: Db): NodeRow[] {
  return sql(db, 'SELECT * FROM nodes ORDER BY node').all() as NodeRow[];
}

/** What alerting and the summary need of a node: its state and, when online, its metrics interval. */
export interface NodeStateRow {
  node: string;
  state: NodeRow['state'];
  state_since: number | null;
  last_seen: number;
  /** The birth's `interval` (seconds) of an online node, as stored; null otherwise. */
  interval: unknown;
}

/**
 * Every node's state, without the birth and metrics documents `listNodes` carries: this runs
 * every alerting tick. SQLite reads the interval out of the birth JSON, and only for online
 * nodes (the only ones that can be stale).
 */
export function listNodeStates(db: Db): NodeStateRow[] {
  return sql(
    db,
    `SELECT node, state, state_since, last_seen, CASE WHEN state = 'online' THEN json_extract(birth, '$.interval') END AS interval
     FROM nodes ORDER BY node`,
  ).all() as NodeStateRow[];
}

export function touchNode(db: Db, node: string, now: number): void {
  sql(db, 'INSERT INTO nodes (node, last_seen) VALUES (?, ?) ON CONFLICT (node) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)').run(node, now);
}

/** Fold a status; returns the events it derived (NodeLost, NodeReturned), already in the log. */
export function foldStatus(db: Db, s: Status, now: number): LoggedEvent[] {
  const derived: LoggedEvent[] = [];
  const keep = (e: LoggedEvent | null) => e !== null && derived.push(e);
  const before = getNode(db, s.node);
  if (s.state === 'lost') {
    // A will of an older session arriving late must not mark a node lost that has since returned.
    if (before !== undefined && before.session !== null && before.session !== s.session) return derived;
    if (before?.state !== 'lost') {
      keep(appendDerivedEvent(db, { node: s.node, session: s.session, ts: now, type: 'NodeLost', data: {} }, `NodeLost:${s.node}:${s.session}`));
    }
  } else if (s.state === 'online' && before?.state === 'lost' && before.session !== null) {
    keep(appendDerivedEvent(
      db,
      {
        node: s.node,
        session: s.session,
        ts: now,
        type: 'NodeReturned',
        data: { lostSession: before.session, lostForMs: Math.max(0, now - (before.state_since ?? now)) },
      },
      `NodeReturned:${s.node}:${s.session}`,
    ));
  }
  ensure(db, s.node, now);
  const changed = before?.state !== s.state || before.session !== s.session;
  sql(db, 
    `UPDATE nodes SET state = ?, session = ?, state_since = CASE WHEN ? THEN ? ELSE state_since END,
       last_seen = CASE WHEN ? = 'online' THEN max(last_seen, ?) ELSE last_seen END WHERE node = ?`,
  ).run(s.state, s.session, changed ? 1 : 0, now, s.state, now, s.node);
  return derived;
}

export function foldBirth(db: Db, b: Birth, now: number): void {
  touchNode(db, b.node, now);
  const h = b.host;
  sql(db, 
    `UPDATE nodes SET hostname = ?, distro = ?, release = ?, kernel = ?, arch = ?, machine_id = ?,
       agent_version = ?, boot_time = ?, birth = ? WHERE node = ?`,
  ).run(h.hostname, h.distro, h.release, h.kernel, h.arch, h.machineId, b.agent.version, h.bootTime, JSON.stringify(b), b.node);
}

export function foldMetrics(db: Db, m: Metrics, now: number): void {
  touchNode(db, m.node, now);
  sql(db, 
    `UPDATE nodes SET metrics = ?, metrics_ts = ?, cpu_percent = ?, mem_percent = ?, disk_percent = ? WHERE node = ?`,
  ).run(JSON.stringify(m), m.ts, m.cpu.percent, m.memory.percent, m.disks[0]?.percent ?? null, m.node);
}

/** An empty retained payload clears that piece of state (DESIGN.md section 3). */
export function clearNodeState(db: Db, node: string, what: 'status' | 'birth' | 'metrics'): void {
  if (what === 'status') sql(db, 'DELETE FROM nodes WHERE node = ?').run(node);
  else if (what === 'birth') sql(db, 'UPDATE nodes SET birth = NULL WHERE node = ?').run(node);
  else sql(db, 'UPDATE nodes SET metrics = NULL, metrics_ts = NULL, cpu_percent = NULL, mem_percent = NULL, disk_percent = NULL WHERE node = ?').run(node);
}
