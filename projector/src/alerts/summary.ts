/**
 * The retained `hub/summary`: fleet counts a dashboard or Home Assistant shows at a glance.
 * Counted by SQLite, not by reading every service: a node's services are running as expected
 * unless `unusualServiceGroups` says otherwise, and those groups are few.
 */
import type { Summary } from '@sitrep/schemas';
import { openAlerts } from '../projections/alerts.js';
import { listNodeStates, type NodeStateRow } from '../projections/nodes.js';
import type { Db } from '../projections/projection.js';
import { isHealthy, serviceCountsByNode, unusualServiceGroups } from '../projections/services.js';
import { effectiveExpect, overriddenServices, staleOf, type AlertPolicy } from './evaluate.js';

/** `nodes`: the nodes' states when the caller has just read them (the alerting tick has). */
export function fleetSummary(db: Db, now: number, staleIntervals: number, expect: AlertPolicy['expect'] = {}, nodes: readonly NodeStateRow[] = listNodeStates(db)): Summary {
  const stale = staleOf(nodes, now, staleIntervals);
  const online = new Set(nodes.filter((n) => n.state === 'online' && !stale.has(n.node)).map((n) => n.node));
  let total = 0;
  let healthy = 0;
  let unhealthy = 0;
  let unknown = 0;
  // A service on a node we cannot hear from is not known to be anything.
  for (const { node, n } of serviceCountsByNode(db)) {
    total += n;
    if (online.has(node)) healthy += n;
    else unknown += n;
  }
  // The online nodes' services that are not simply running as expected: take them back out of
  // `healthy` and count them as what they are.
  for (const g of unusualServiceGroups(db, overriddenServices(expect))) {
    if (!online.has(g.node)) continue;
    healthy -= g.n;
    if (g.state === 'unknown') unknown += g.n;
    else if (isHealthy(g.state, g.service === null ? g.expect : effectiveExpect({ expect }, g.node, g.service, g.expect))) healthy += g.n;
    else unhealthy += g.n;
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
    services: { total, healthy, unhealthy, unknown },
    alerts: { open: openAlerts(db).length },
  };
}
