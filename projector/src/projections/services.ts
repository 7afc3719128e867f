/**
 * Current state of every service on every node, from the agents' retained `services/{id}`
 * topics, with expected vs actual side by side. Not derived from the log: never rebuilt.
 */
import { sql } from '../db/statements.js';
import { Expect, ServiceRunState, type ServiceState } from '@sitrep/schemas';
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
    -- Alerting and the summary look for the few services not running as expected (unusualServiceGroups,
    -- listServicesNotRunning) every tick: this finds them without reading the whole fleet's rows.
    CREATE INDEX IF NOT EXISTS services_state ON services (state, expect);
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

/** SQL literals of every value of a payload enum but `except`, from the schema (so a new value is never missed). */
function othersThan(values: { anyOf: readonly { const: string }[] }, except: string): string {
  return values.anyOf
    .map((v) => v.const)
    .filter((v) => v !== except)
    .map((v) => `'${v.replaceAll("'", "''")}'`)
    .join(', ');
}
/** Run states other than running, and expectations other than running (stored values passed these schemas). */
const NOT_RUNNING = othersThan(ServiceRunState, 'running');
const NOT_EXPECTED_RUNNING = othersThan(Expect, 'running');

/** Services that are not running, in `listServices` order: the only ones a service_down alert can be about. */
export function listServicesNotRunning(db: Db): ServiceRow[] {
  return sql(db, `SELECT * FROM services WHERE state IN (${NOT_RUNNING}) ORDER BY node, service`).all() as ServiceRow[];
}

/** When `service` on `node` started running (its since, else its ts), or undefined when it is not running. */
export function runningSince(db: Db, node: string, service: string): number | undefined {
  const r = sql(db, "SELECT since, ts FROM services WHERE node = ? AND service = ? AND state = 'running'").get(node, service) as { since: number | null; ts: number } | undefined;
  return r === undefined ? undefined : (r.since ?? r.ts);
}

/** How many services each node has. */
export function serviceCountsByNode(db: Db): { node: string; n: number }[] {
  return sql(db, 'SELECT node, count(*) AS n FROM services GROUP BY node').all() as { node: string; n: number }[];
}

/** A group of services of one node sharing state and expect; `service` is set only for a named one. */
export interface ServiceGroup {
  node: string;
  state: ServiceState['state'];
  expect: ServiceState['expect'];
  service: string | null;
  n: number;
}

/**
 * Counts of every service that is not the common case, running and expected running, grouped by
 * node, state and expect (found through the services_state index); and one by one, the services
 * named in `named` (those whose expectation a hub override may change), whatever their state.
 * The rest of a node's services are running as expected.
 */
export function unusualServiceGroups(db: Db, named: readonly string[]): ServiceGroup[] {
  const names = JSON.stringify(named);
  const groups = sql(
    db,
    `SELECT node, state, expect, NULL AS service, count(*) AS n FROM services
     WHERE (state IN (${NOT_RUNNING}) OR (state = 'running' AND expect IN (${NOT_EXPECTED_RUNNING})))
       AND service NOT IN (SELECT value FROM json_each(@names))
     GROUP BY node, state, expect`,
  ).all({ names }) as ServiceGroup[];
  if (named.length === 0) return groups;
  const one = sql(db, 'SELECT node, state, expect, service, 1 AS n FROM services WHERE service IN (SELECT value FROM json_each(@names))').all({ names }) as ServiceGroup[];
  return [...groups, ...one];
}
