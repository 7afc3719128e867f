/** The retained `hub/summary`: fleet counts a dashboard or Home Assistant shows at a glance. */
import type { Summary } from '@sitrep/schemas';
import { openAlerts } from '../projections/alerts.js';
import { listNodes } from '../projections/nodes.js';
import type { Db } from '../projections/projection.js';
import { isHealthy, listServices } from '../projections/services.js';
import { effectiveExpect, staleNodes, type AlertPolicy } from './evaluate.js';

export function fleetSummary(db: Db, now: number, staleIntervals: number, expect: AlertPolicy['expect'] = {}): Summary {
  const nodes = listNodes(db);
  const stale = staleNodes(db, now, staleIntervals);
  const online = new Set(nodes.filter((n) => n.state === 'online' && !stale.has(n.node)).map((n) => n.node));
  let healthy = 0;
  let unhealthy = 0;
  let unknown = 0;
  const services = listServices(db);
  for (const s of services) {
    // A service on a node we cannot hear from is not known to be anything.
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
