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
import { currentChecks } from '../projections/checks.js';
import { sql } from '../db/statements.js';
import { listNodes } from '../projections/nodes.js';
import type { Db } from '../projections/projection.js';
import { gaveUpProcesses } from '../projections/process-gave-up.js';
import { listServices } from '../projections/services.js';

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
 * 10 s when unknown). SQLite reads the interval out of the birth JSON: this runs every tick, and
 * parsing every node's whole birth in JavaScript each time would cost more than the rest.
 */
export function staleNodes(db: Db, now: number, staleIntervals: number): Set<string> {
  const rows = sql(
    db,
    `SELECT node, last_seen, json_extract(birth, '$.interval') AS interval FROM nodes WHERE state = 'online'`,
  ).all() as { node: string; last_seen: number; interval: unknown }[];
  const stale = new Set<string>();
  for (const r of rows) {
    const ms = typeof r.interval === 'number' && r.interval > 0 ? r.interval * 1000 : 10_000;
    if (now - r.last_seen > staleIntervals * ms) stale.add(r.node);
  }
  return stale;
}

export function desiredAlerts(db: Db, now: number, policy: AlertPolicy): Map<string, Alert> {
  const want = new Map<string, Alert>();
  const add = (a: Omit<Alert, 'openedAt'>) => want.set(a.id, { ...a, openedAt: now });
  const stale = staleNodes(db, now, policy.staleIntervals);
  const healthyNodes = new Set<string>();
  for (const n of listNodes(db)) {
    if (n.state === 'lost' && now - (n.state_since ?? now) >= policy.nodeLostAfterMs) {
      add({ id: `node_lost:${n.node}`, kind: 'node_lost', node: n.node, target: null, since: n.state_since ?? now, message: `node ${n.node} lost its connection` });
    } else if (stale.has(n.node)) {
      add({ id: `node_stale:${n.node}`, kind: 'node_stale', node: n.node, target: null, since: n.last_seen, message: `node ${n.node} has been silent since ${new Date(n.last_seen).toISOString()}` });
    } else if (n.state === 'online') {
      healthyNodes.add(n.node);
    }
  }
  const services = listServices(db);
  for (const s of services) {
    if (!healthyNodes.has(s.node) || effectiveExpect(policy, s.node, s.service, s.expect) !== 'running' || s.state === 'running') continue;
    const threshold = policy.serviceDownAfter[`${s.node}/${s.service}`] ?? policy.serviceDownAfter[s.service] ?? policy.serviceDownAfterMs;
    const since = s.since ?? s.updated_at;
    if (now - since < threshold) continue;
    const what = s.exists_ === 0 ? 'does not exist' : `is ${s.state}`;
    add({ id: `service_down:${s.node}:${s.service}`, kind: 'service_down', node: s.node, target: s.service, since, message: `${s.service} on ${s.node} ${what} (expected running)` });
  }
  for (const c of currentChecks(db)) {
    if (!healthyNodes.has(c.node)) continue;
    if (c.status === 'FAILURE' || c.status === 'ERROR' || (policy.checkWarning && c.status === 'WARNING')) {
      add({ id: `check_failing:${c.node}:${c.check_id}`, kind: 'check_failing', node: c.node, target: c.check_id, since: c.ts, message: `check ${c.check_id} on ${c.node}: ${c.status} ${c.message}`.slice(0, 1024) });
    }
  }
  const running = new Map(services.filter((s) => s.state === 'running').map((s) => [`${s.node}/${s.service}`, s.since ?? s.ts]));
  for (const g of gaveUpProcesses(db)) {
    const since = running.get(`${g.node}/${g.process}`);
    if (!healthyNodes.has(g.node) || (since !== undefined && since >= g.since)) continue;
    add({
      id: `process_gave_up:${g.node}:${g.process}`, kind: 'process_gave_up', node: g.node, target: g.process, since: g.since,
      message: `${g.process} on ${g.node}: the supervisor gave up after ${g.restarts} restarts in ${Math.round(g.window_ms / 1000)} s`,
    });
  }
  return want;
}

export function evaluateAlerts(db: Db, now: number, policy: AlertPolicy): AlertChanges {
  const want = desiredAlerts(db, now, policy);
  const open = openAlerts(db);
  const nodeState = new Map(listNodes(db).map((n) => [n.node, n.state]));
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
