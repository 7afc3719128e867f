/**
 * `/metrics` for Prometheus, read from the projector's SQLite read models: nodes, services, checks
 * and open alerts as gauges, and the projector's own health (how far behind it folds, dead letters,
 * fold rate, events waiting behind a gap). Every query is bounded; nothing here writes.
 */
import { AlertKind, type Metrics } from '@sitrep/schemas';
import { sql } from '../db/statements.js';
import { openAlerts } from '../projections/alerts.js';
import { listNodes } from '../projections/nodes.js';
import type { Db } from '../projections/projection.js';
import { isHealthy, listServices } from '../projections/services.js';
import { CONTENT_TYPE, Exposition } from './exposition.js';

export { CONTENT_TYPE };

const ALERT_KINDS = AlertKind.anyOf.map((k) => k.const);
const NODE_STATES = ['online', 'offline', 'lost', 'unknown'] as const;
const SERVICE_STATES = ['running', 'stopped', 'failed', 'unknown'] as const;
const CHECK_STATUSES = ['OK', 'UPDATE', 'WARNING', 'FAILURE', 'ERROR'] as const;
/** The fold rate looks back this far, scanning at most FOLD_RATE_SCAN rows. */
const FOLD_RATE_WINDOW_MS = 60_000;
const FOLD_RATE_SCAN = 100_000;

const seconds = (ms: number) => ms / 1000;

function nodeFamilies(x: Exposition, db: Db): void {
  const up = x.family('sitrep_node_up', 'gauge', '1 when the node is online, 0 when offline, lost or unknown');
  const state = x.family('sitrep_node_state', 'gauge', 'the node state: 1 for the current one');
  const lastSeen = x.family('sitrep_node_last_seen_timestamp_seconds', 'gauge', 'when the hub last heard from the node');
  const cpu = x.family('sitrep_node_cpu_percent', 'gauge', 'CPU use, percent of all cores');
  const mem = x.family('sitrep_node_memory_percent', 'gauge', 'memory in use, percent');
  const memBytes = x.family('sitrep_node_memory_used_bytes', 'gauge', 'memory in use, bytes');
  const disk = x.family('sitrep_node_disk_used_percent', 'gauge', 'filesystem use per mount, percent');
  const diskFree = x.family('sitrep_node_disk_available_bytes', 'gauge', 'filesystem space available per mount, bytes');
  const load = x.family('sitrep_node_load', 'gauge', 'load average over 1, 5 and 15 minutes');
  const uptime = x.family('sitrep_node_uptime_seconds', 'gauge', 'seconds since boot');
  const temp = x.family('sitrep_node_temperature_celsius', 'gauge', 'hardware sensor temperature');
  const updates = x.family('sitrep_node_updates_available', 'gauge', 'pending package updates');
  const security = x.family('sitrep_node_security_updates_available', 'gauge', 'pending security updates (when the package manager tells)');
  for (const n of listNodes(db)) {
    const node = { node: n.node };
    up(node, n.state === 'online' ? 1 : 0);
    for (const s of NODE_STATES) state({ ...node, state: s }, n.state === s ? 1 : 0);
    lastSeen(node, seconds(n.last_seen));
    if (n.metrics === null) continue;
    const m = JSON.parse(n.metrics) as Metrics;
    cpu(node, m.cpu.percent);
    mem(node, m.memory.percent);
    memBytes(node, m.memory.used);
    for (const d of m.disks) {
      disk({ ...node, mount: d.mount, fs: d.fs }, d.percent);
      diskFree({ ...node, mount: d.mount, fs: d.fs }, d.available);
    }
    m.load.forEach((v, i) => load({ ...node, window: ['1m', '5m', '15m'][i] ?? String(i) }, v));
    uptime(node, m.uptime);
    for (const t of m.temperatures ?? []) temp({ ...node, sensor: t.sensor }, t.celsius);
    if (m.updates) {
      updates(node, m.updates.available);
      if (m.updates.security !== null) security(node, m.updates.security);
    }
  }
}

function serviceFamilies(x: Exposition, db: Db): void {
  const up = x.family('sitrep_service_up', 'gauge', '1 when the service is running');
  const healthy = x.family('sitrep_service_healthy', 'gauge', '1 when the service is in its expected state (and its health probe, if any, passes)');
  const state = x.family('sitrep_service_state', 'gauge', 'the service state: 1 for the current one');
  const restarts = x.family('sitrep_service_restarts', 'gauge', 'restarts systemd or the supervisor counted');
  const mem = x.family('sitrep_service_memory_bytes', 'gauge', 'memory of the service');
  const cpu = x.family('sitrep_service_cpu_percent', 'gauge', 'CPU use of the service, percent of one core');
  for (const s of listServices(db)) {
    const l = { node: s.node, service: s.service, kind: s.kind, expect: s.expect };
    up(l, s.state === 'running' ? 1 : 0);
    healthy(l, isHealthy(s.state, s.expect) && s.health !== 'unhealthy' ? 1 : 0);
    for (const st of SERVICE_STATES) state({ node: s.node, service: s.service, state: st }, s.state === st ? 1 : 0);
    if (s.restarts !== null) restarts({ node: s.node, service: s.service }, s.restarts);
    if (s.memory_bytes !== null) mem({ node: s.node, service: s.service }, s.memory_bytes);
    if (s.cpu_percent !== null) cpu({ node: s.node, service: s.service }, s.cpu_percent);
  }
}

function checkFamilies(x: Exposition, db: Db): void {
  const ok = x.family('sitrep_check_ok', 'gauge', '1 when the last result of the check was OK');
  const status = x.family('sitrep_check_status', 'gauge', 'the last check status: 1 for the current one');
  const last = x.family('sitrep_check_last_run_timestamp_seconds', 'gauge', 'when the check last ran');
  const duration = x.family('sitrep_check_duration_seconds', 'gauge', 'how long the last run took');
  const rows = sql(db, 'SELECT node, check_id, status, duration_ms, ts FROM checks_current ORDER BY node, check_id').all() as { node: string; check_id: string; status: string; duration_ms: number; ts: number }[];
  for (const c of rows) {
    const l = { node: c.node, check: c.check_id };
    ok(l, c.status === 'OK' ? 1 : 0);
    for (const st of CHECK_STATUSES) status({ ...l, status: st }, c.status === st ? 1 : 0);
    last(l, seconds(c.ts));
    duration(l, seconds(c.duration_ms));
  }
}

function alertFamilies(x: Exposition, db: Db): void {
  const open = openAlerts(db);
  const count = x.family('sitrep_alerts_open', 'gauge', 'open alerts by kind');
  for (const kind of ALERT_KINDS) count({ kind }, open.filter((a) => a.kind === kind).length);
  const since = x.family('sitrep_alert_open_since_timestamp_seconds', 'gauge', 'one series per open alert: when its condition began');
  for (const a of open) since({ kind: a.kind, node: a.node, target: a.target ?? '' }, seconds(a.since));
}

function projectorFamilies(x: Exposition, db: Db, now: number): void {
  const last = sql(db, "SELECT id, ts, received_at FROM events WHERE origin = 'agent' ORDER BY id DESC LIMIT 1").get() as { id: number; ts: number; received_at: number } | undefined;
  const total = (sql(db, 'SELECT max(id) AS n FROM events').get() as { n: number | null }).n ?? 0;
  x.family('sitrep_projector_events_total', 'counter', 'events appended to the log (the log is append-only: its highest id)')({}, total);
  const recent = (sql(db, `SELECT count(*) AS n FROM (SELECT received_at FROM events ORDER BY id DESC LIMIT ${FOLD_RATE_SCAN}) WHERE received_at >= ?`).get(now - FOLD_RATE_WINDOW_MS) as { n: number }).n;
  x.family('sitrep_projector_fold_rate_events_per_second', 'gauge', `events folded per second over the last ${FOLD_RATE_WINDOW_MS / 1000} s`)({}, recent / seconds(FOLD_RATE_WINDOW_MS));
  // Clock skew between an agent and the hub can make this negative: reported as is, not hidden.
  const lag = x.family('sitrep_projector_lag_seconds', 'gauge', 'for the newest agent event: when the projector received it minus when the agent stamped it');
  if (last !== undefined) lag({}, seconds(last.received_at - last.ts));
  const age = x.family('sitrep_projector_last_event_age_seconds', 'gauge', 'how long ago the newest agent event was received');
  if (last !== undefined) age({}, seconds(now - last.received_at));
  const gaps = sql(db, 'SELECT count(*) AS nodes, coalesce(sum(max_seq - contiguous_seq), 0) AS waiting FROM checkpoints WHERE max_seq > contiguous_seq').get() as { nodes: number; waiting: number };
  x.family('sitrep_projector_nodes_with_gaps', 'gauge', 'nodes whose event sequence has a gap the projector is replaying')({}, gaps.nodes);
  x.family('sitrep_projector_events_behind_gaps', 'gauge', 'sequence numbers seen past a gap, not yet folded in order')({}, gaps.waiting);
  const dead = sql(db, 'SELECT count(*) AS kept, count(CASE WHEN received_at >= ? THEN 1 END) AS hour, max(id) AS total FROM dead_letters').get(now - 3_600_000) as { kept: number; hour: number; total: number | null };
  x.family('sitrep_projector_dead_letters', 'gauge', 'rejected messages kept (30 days)')({}, dead.kept);
  x.family('sitrep_projector_dead_letters_last_hour', 'gauge', 'messages rejected in the last hour')({}, dead.hour);
}

/** The whole exposition for one scrape. */
export function renderFleetMetrics(db: Db, now: number): string {
  const x = new Exposition();
  nodeFamilies(x, db);
  serviceFamilies(x, db);
  checkFamilies(x, db);
  alertFamilies(x, db);
  projectorFamilies(x, db, now);
  x.family('sitrep_scrape_timestamp_seconds', 'gauge', 'when the hub rendered this page')({}, seconds(now));
  return x.render();
}
