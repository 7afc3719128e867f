/**
 * Alert evaluation and the fleet summary let SQLite filter and count (only services that are not
 * running can alert; counts by GROUP BY). They must decide exactly what the straightforward
 * reading of every row decides: the reference below is that reading, as it was before, and both
 * run on seeded mixed fleets (lost, offline, silent nodes; every service state and expectation;
 * hub overrides by service and by node/service; checks of every status; gave-up processes).
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '@sitrep/schemas';
import { seededRandom } from '@sitrep/simulator';
import { DEFAULT_ALERT_POLICY, fleetSummary, isHealthy, listNodes, listServices, type AlertPolicy, type Db } from '../src/index.js';
import { desiredAlerts, effectiveExpect, overriddenServices, staleOf } from '../src/alerts/evaluate.js';
import { listNodeStates } from '../src/projections/nodes.js';
import { openAlerts } from '../src/projections/alerts.js';
import { currentChecks } from '../src/projections/checks.js';
import { gaveUpProcesses } from '../src/projections/process-gave-up.js';
import { fixture, gaveUp, resetSeq, serviceState, status, t } from './support/fixture.js';

const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const MIN = 60_000;

/** The alerts as decided by reading every node, service and check row (the former code). */
function referenceAlerts(db: Db, now: number, policy: AlertPolicy): Map<string, Alert> {
  const want = new Map<string, Alert>();
  const add = (a: Omit<Alert, 'openedAt'>) => want.set(a.id, { ...a, openedAt: now });
  const stale = staleOf(listNodeStates(db), now, policy.staleIntervals);
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

/** The summary as counted by reading every node and service row (the former code). */
function referenceSummary(db: Db, now: number, staleIntervals: number, expect: AlertPolicy['expect']) {
  const nodes = listNodes(db);
  const stale = staleOf(listNodeStates(db), now, staleIntervals);
  const online = new Set(nodes.filter((n) => n.state === 'online' && !stale.has(n.node)).map((n) => n.node));
  let healthy = 0;
  let unhealthy = 0;
  let unknown = 0;
  const services = listServices(db);
  for (const s of services) {
    if (!online.has(s.node) || s.state === 'unknown') unknown++;
    else if (isHealthy(s.state, effectiveExpect({ expect }, s.node, s.service, s.expect))) healthy++;
    else unhealthy++;
  }
  return {
    v: 1,
    ts: now,
    nodes: {
      total: nodes.length,
      online: online.size,
      offline: nodes.filter((n) => n.state === 'offline').length,
      lost: nodes.filter((n) => n.state === 'lost').length,
      stale: stale.size,
    },
    services: { total: services.length, healthy, unhealthy, unknown },
    alerts: { open: openAlerts(db).length },
  };
}

const SERVICES = ['web.service', 'db.service', 'cache.service', 'queue.service', 'cron.service', 'mail.service', 'vpn.service', 'ssh.service'];
const STATES = ['running', 'running', 'running', 'stopped', 'failed', 'unknown'] as const;
const EXPECTS = ['running', 'running', 'stopped', 'any'] as const;
const CHECK_STATUSES = ['OK', 'UPDATE', 'WARNING', 'FAILURE', 'ERROR'] as const;

/** A seeded mixed fleet in a fresh projector; returns it with the clock at its last message. */
function mixedFleet(seed: number, nodes: number) {
  resetSeq();
  const rnd = seededRandom(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const f = fixture(T0);
  for (let i = 0; i < nodes; i++) {
    const node = `n${i}`;
    f.set(T0 + Math.floor(rnd() * 20 * MIN));
    f.send(t.status(node), status(node, 'online'));
    if (rnd() < 0.5) {
      f.send(t.birth(node), {
        v: 1, node, session: 's1', ts: f.now(), agent: { version: '1', pid: 1 }, interval: pick([5, 10, 60, 600]), services: [], checks: [],
        host: { hostname: node, platform: 'linux', distro: 'd', release: 'r', kernel: 'k', arch: 'x64', machineId: null, bootTime: null, ips: [], mac: null },
      });
    }
    for (const service of SERVICES) {
      if (rnd() < 0.2) continue;
      const since = f.now() - Math.floor(rnd() * 15 * MIN);
      f.send(t.service(node, service), { ...serviceState(node, service, pick(STATES), since, f.now(), pick(EXPECTS)), exists: rnd() > 0.1, since: rnd() < 0.1 ? null : since });
    }
    for (const check of ['backups', 'certs']) {
      if (rnd() < 0.3) continue;
      const st = pick(CHECK_STATUSES);
      f.send(t.check(node, check), { v: 1, node, check, ts: f.now(), status: st, message: `${check} ${st}`, durationMs: 3 });
    }
    if (rnd() < 0.3) {
      const process = pick(SERVICES);
      f.event(gaveUp(node, process, f.now() - 2 * MIN));
      // Running again, since before or after it gave up (or not running at all).
      const r = rnd();
      if (r < 0.6) f.send(t.service(node, process), serviceState(node, process, 'running', f.now() - (r < 0.3 ? 5 * MIN : 0), f.now()));
    }
    const fate = rnd();
    if (fate < 0.1) f.send(t.status(node), status(node, 'lost'));
    else if (fate < 0.2) f.send(t.status(node), status(node, 'offline'));
  }
  return f;
}

const POLICIES: AlertPolicy[] = [
  DEFAULT_ALERT_POLICY,
  {
    ...DEFAULT_ALERT_POLICY,
    serviceDownAfterMs: 0,
    serviceDownAfter: { 'web.service': 10 * MIN, 'n1/db.service': 0 },
    nodeLostAfterMs: 5 * MIN,
    checkWarning: true,
    expect: { 'cron.service': 'running', 'mail.service': 'any', 'n2/db.service': 'stopped', 'n4/vpn.service': 'running', 'n3/ssh.service': 'stopped', 'nowhere.service': 'running' },
  },
  { ...DEFAULT_ALERT_POLICY, staleIntervals: 1, expect: { 'web.service': 'stopped', 'n0/cache.service': 'running', 'n7/queue.service': 'any' } },
];

describe('SQL-filtered alerts and summary', () => {
  it('decide what reading every row decides, on mixed fleets at several times', () => {
    let compared = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const f = mixedFleet(seed, 40);
      for (const later of [0, 1 * MIN, 4 * MIN, 30 * MIN]) {
        const now = f.now() + later;
        for (const policy of POLICIES) {
          const ours = [...desiredAlerts(f.db, now, policy).entries()];
          expect(ours).toEqual([...referenceAlerts(f.db, now, policy).entries()]);
          expect(fleetSummary(f.db, now, policy.staleIntervals, policy.expect)).toEqual(referenceSummary(f.db, now, policy.staleIntervals, policy.expect));
          compared += ours.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(500); // the fleets do raise alerts of every kind
  });

  it('raises every kind of alert on the mixed fleets', () => {
    const kinds = new Set<string>();
    for (const seed of [1, 2, 3]) {
      const f = mixedFleet(seed, 40);
      for (const policy of POLICIES) for (const a of desiredAlerts(f.db, f.now() + 31 * MIN, policy).values()) kinds.add(a.kind);
      for (const a of desiredAlerts(f.db, f.now(), POLICIES[1]!).values()) kinds.add(a.kind);
    }
    expect([...kinds].sort()).toEqual(['check_failing', 'node_lost', 'node_stale', 'process_gave_up', 'service_down']);
  });

  it('names every service an override key can apply to', () => {
    expect(overriddenServices({ 'web.service': 'running', 'n1/db.service': 'stopped', 'rack/n3/ssh.service': 'any' }).sort()).toEqual(
      ['db.service', 'n1/db.service', 'n3/ssh.service', 'rack/n3/ssh.service', 'ssh.service', 'web.service'].sort(),
    );
  });
});
