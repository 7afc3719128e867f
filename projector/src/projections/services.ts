/**
 * Current state of every service on every node, from the agents' retained `services/{id}`
 * topics, with expected vs actual side by side. Not derived from the log: never rebuilt.
 */
import { sql } from '../db/statements.js';
import type { ServiceState } from '@sitrep/schemas';
import type { Db, Projection } from './projection.js';

export const services: Projection = {
  name: 'services',
  ddl: `
    CREATE TABLE IF NOT EXISTS services (
      node TEXT NOT NULL,
      service TEXT NOT NULL,
      kind TEXT NOT NULL,
      state TEXT NOT NULL,
      expect TEXT NOT NULL,
      exists_ INTEGER NOT NULL,
      since INTEGER,
      pid INTEGER,
      memory_bytes INTEGER,
      cpu_percent REAL,
      restarts INTEGER,
      result TEXT,
      exit_status INTEGER,
      signal TEXT,
      health TEXT,
      ts INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (node, service)
    ) WITHOUT ROWID;
  `,
  onState({ db }, msg, receivedAt) {
    if (msg.kind !== 'service') return;
    if (msg.value === null) {
      sql(db, 'DELETE FROM services WHERE node = ? AND service = ?').run(msg.node, msg.service);
      return;
    }
    const s = msg.value;
    sql(db, 
      `INSERT INTO services (node, service, kind, state, expect, exists_, since, pid, memory_bytes, cpu_percent, restarts, result, exit_status, signal, health, ts, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (node, service) DO UPDATE SET kind = excluded.kind, state = excluded.state, expect = excluded.expect,
         exists_ = excluded.exists_, since = excluded.since, pid = excluded.pid, memory_bytes = excluded.memory_bytes,
         cpu_percent = excluded.cpu_percent, restarts = excluded.restarts, result = excluded.result,
         exit_status = excluded.exit_status, signal = excluded.signal, health = excluded.health, ts = excluded.ts,
         updated_at = excluded.updated_at
       WHERE excluded.ts >= services.ts`,
    ).run(
      s.node, s.service, s.kind, s.state, s.expect, s.exists ? 1 : 0, s.since, s.pid, s.memoryBytes, s.cpuPercent, s.restarts,
      s.result ?? null, s.exitStatus ?? null, s.signal ?? null, s.health ?? null, s.ts, receivedAt,
    );
  },
};

export interface ServiceRow {
  node: string;
  service: string;
  kind: ServiceState['kind'];
  state: ServiceState['state'];
  expect: ServiceState['expect'];
  exists_: number;
  since: number | null;
  pid: number | null;
  memory_bytes: number | null;
  cpu_percent: number | null;
  restarts: number | null;
  result: string | null;
  exit_status: number | null;
  signal: string | null;
  health: string | null;
  ts: number;
  updated_at: number;
}

/** Whether `state` meets `expect`: the one definition of "healthy" for ratios and alerts. */
export function isHealthy(state: string, expect: string): boolean {
  if (expect === 'running') return state === 'running';
  if (expect === 'stopped') return state === 'stopped';
  return state !== 'failed';
}

export function listServices(db: Db, node?: string): ServiceRow[] {
  return (
    node === undefined
      ? sql(db, 'SELECT * FROM services ORDER BY node, service').all()
      : sql(db, 'SELECT * FROM services WHERE node = ? ORDER BY service').all(node)
  ) as ServiceRow[];
}
