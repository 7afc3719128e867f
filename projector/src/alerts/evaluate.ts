/**
 * Which alerts should be open now, from the current read models and a clock; a pure decision
 * (given the database and `now`), so alert timing is tested with an injected clock.
 * - service_down: a service expected running is not running for longer than its threshold
 *   (default 5 minutes; 0 means at once), on a node that is online;
 * - node_lost: the node's will fired (`lost`); node_stale: online but silent for `staleIntervals`
 *   metrics intervals (a half-open connection leaves no will);
 * - check_failing: a check's last result is FAILURE or ERROR (WARNING when enabled);
 * - process_gave_up: a supervisor stopped restarting a process (ProcessGaveUp), until the process
 *   runs again: a transition to running folded after it, or a retained state running since then.
 * A node that is not online suppresses the alerts of its own services: one alert, not twenty.
 */
import type { Alert } from '@sitrep/schemas';
import { openAlerts } from '../projections/alerts.js';
import { sql } from '../db/statements.js';
import { listNodeStates, type NodeStateRow } from '../projections/nodes.js';
import type { Db } from '../projections/projection.js';
import { gaveUpProcesses } from '../projections/process-gave-up.js';
import { listServicesNotRunning, runningSince } from '../projections/services.js';

export interface AlertPolicy {
  serviceDownAfterMs: number;
  /** Per-service thresholds, keyed `node/service` or `service`. */
  serviceDownAfter: Record<string, number>;
  nodeLostAfterMs: number;
  staleIntervals: number;
  checkWarning: boolean;
  /** The hub's expected-state overrides, keyed `node/service` or `service`. */
  expect: Record<string, 'running' | 'stopped' | 'any'>;
}

/** The expectation that counts: the hub's override, else what the agent's config says. */
export function effectiveExpect(policy: Pick<AlertPolicy, 'expect'>, node: string, service: string, agent: string): string {
  return policy.expect[`${node}/${service}`] ?? policy.expect[service] ?? agent;
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = {
  serviceDownAfterMs: 5 * 60_000,
  serviceDownAfter: {},
  nodeLostAfterMs: 0,
  staleIntervals: 3,
  checkWarning: false,
  expect: {},
};

export interface AlertChanges {
  open: Alert[];
  close: { alert: Alert; reason: string }[];
}

/**
 * Online nodes silent for more than `staleIntervals` of their metrics interval (from the birth;
 * 10 s when unknown). SQLite reads the interval out of the birth JSON (`listNodeStates`): this
 * runs every tick, and parsing every node's whole birth in JavaScript each time would cost more
 * than the rest.
 */
export function staleOf(nodes: readonly NodeStateRow[], now: number, staleIntervals: number): Set<string> {
  const stale = new Set<string>();
  for (const r of nodes) {
    if (r.state !== 'online') continue;
    const ms = typeof r.interval === 'number' && r.interval > 0 ? r.interval * 1000 : 10_000;
    if (now - r.last_seen > staleIntervals * ms) stale.add(r.node);
  }
  return stale;
}

/**
 * Every service name an override key could apply to: the key itself (`service`) and what follows
 * each `/` in it (`node/service`; every `/` is taken as a possible separator, so the list stays
 * complete whatever characters ids may hold). A service not named here has the expectation its
 * agent reported.
 */
export function overriddenServices(expect: AlertPolicy['expect']): string[] {
  const names = new Set<string>();
  for (const key of Object.keys(expect)) {
    names.add(key);
    for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) names.add(key.slice(i + 1));
  }
  return [...names];
}

/** Checks whose last result alerts: FAILURE or ERROR, and WARNING when the policy says so. */
function failingChecks(db: Db, warning: boolean): { node: string; check_id: string; status: string; message: string; ts: number }[] {
  return sql(
    db,
    `SELECT node, check_id, status, message, ts FROM checks_current
     WHERE status IN ('FAILURE', 'ERROR') OR (@warning AND status = 'WARNING') ORDER BY node, check_id`,
  ).all({ warning: warning ? 1 : 0 }) as { node: string; check_id: string; status: string; message: string; ts: number }[];
}

/**
 * The alerts the read models call for now. SQL does the filtering: a tick reads the nodes'
 * states, the services that are not running, the failing checks and the gave-up processes,
 * never the whole fleet's services (40,000 rows at 2,000 nodes, every two seconds).
 */
export function desiredAlerts(db: Db, now: number, policy: AlertPolicy, nodes: readonly NodeStateRow[] = listNodeStates(db)): Map<string, Alert> {
  const want = new Map<string, Alert>();
  const add = (a: Omit<Alert, 'openedAt'>) => want.set(a.id, { ...a, openedAt: now });
  const stale = staleOf(nodes, now, policy.staleIntervals);
  const healthyNodes = new Set<string>();
  for (const n of nodes) {
    if (n.state === 'lost' && now - (n.state_since ?? now) >= policy.nodeLostAfterMs) {
      add({ id: `node_lost:${n.node}`, kind: 'node_lost', node: n.node, target: null, since: n.state_since ?? now, message: `node ${n.node} lost its connection` });
    } else if (stale.has(n.node)) {
      add({ id: `node_stale:${n.node}`, kind: 'node_stale', node: n.node, target: null, since: n.last_seen, message: `node ${n.node} has been silent since ${new Date(n.last_seen).toISOString()}` });
    } else if (n.state === 'online') {
      healthyNodes.add(n.node);
    }
  }
  for (const s of listServicesNotRunning(db)) {
    if (!healthyNodes.has(s.node) || effectiveExpect(policy, s.node, s.service, s.expect) !== 'running') continue;
    const threshold = policy.serviceDownAfter[`${s.node}/${s.service}`] ?? policy.serviceDownAfter[s.service] ?? policy.serviceDownAfterMs;
    const since = s.since ?? s.updated_at;
    if (now - since < threshold) continue;
    const what = s.exists_ === 0 ? 'does not exist' : `is ${s.state}`;
    add({ id: `service_down:${s.node}:${s.service}`, kind: 'service_down', node: s.node, target: s.service, since, message: `${s.service} on ${s.node} ${what} (expected running)` });
  }
  for (const c of failingChecks(db, policy.checkWarning)) {
    if (!healthyNodes.has(c.node)) continue;
    add({ id: `check_failing:${c.node}:${c.check_id}`, kind: 'check_failing', node: c.node, target: c.check_id, since: c.ts, message: `check ${c.check_id} on ${c.node}: ${c.status} ${c.message}`.slice(0, 1024) });
  }
  for (const g of gaveUpProcesses(db)) {
    if (!healthyNodes.has(g.node)) continue;
    const since = runningSince(db, g.node, g.process);
    if (since !== undefined && since >= g.since) continue;
    add({
      id: `process_gave_up:${g.node}:${g.process}`, kind: 'process_gave_up', node: g.node, target: g.process, since: g.since,
      message: `${g.process} on ${g.node}: the supervisor gave up after ${g.restarts} restarts in ${Math.round(g.window_ms / 1000)} s`,
    });
  }
  return want;
}

export function evaluateAlerts(db: Db, now: number, policy: AlertPolicy, nodes: readonly NodeStateRow[] = listNodeStates(db)): AlertChanges {
  const want = desiredAlerts(db, now, policy, nodes);
  const open = openAlerts(db);
  const nodeState = new Map(nodes.map((n) => [n.node, n.state]));
  const openIds = new Set(open.map((a) => a.id));
  return {
    open: [...want.values()].filter((a) => !openIds.has(a.id)),
    close: open.filter((a) => !want.has(a.id)).map((alert) => ({ alert, reason: closeReason(alert, nodeState.get(alert.node)) })),
  };
}

function closeReason(a: Alert, nodeState: string | undefined): string {
  if ((a.kind === 'service_down' || a.kind === 'process_gave_up') && nodeState !== undefined && nodeState !== 'online') return `suppressed: node ${nodeState}`;
  return 'recovered';
}
