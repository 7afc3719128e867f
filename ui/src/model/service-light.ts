/**
 * The traffic light of one service (or check) on one node: every colour on the overview is decided
 * here, from facts on the bus, so the rules are unit tested and components only paint.
 */
import type { CheckResult, ServiceState } from '@sitrep/schemas';
import type { NodeStateName } from './node-view.js';

/**
 * healthy: what is expected; degraded: up but not well (unhealthy, or running where it should be
 * stopped); down: expected running and not; unknown: no fresh fact (no state yet, or the node is
 * not online so the last state may be old); absent: not watched on this node.
 */
export type Light = 'healthy' | 'degraded' | 'down' | 'unknown' | 'absent';

export const LIGHTS: readonly Light[] = ['healthy', 'degraded', 'down', 'unknown', 'absent'];

export const LIGHT_LABEL: Record<Light, string> = {
  healthy: 'healthy',
  degraded: 'degraded',
  down: 'down',
  unknown: 'unknown',
  absent: 'not expected here',
};

/** The light of a service state alone, as if its node were online. */
export function stateLight(s: ServiceState): Light {
  if (!s.exists) return s.expect === 'running' ? 'down' : s.expect === 'stopped' ? 'healthy' : 'unknown';
  if (s.state === 'unknown') return 'unknown';
  if (s.state === 'failed') return s.expect === 'stopped' ? 'degraded' : 'down';
  if (s.expect === 'running') {
    if (s.state !== 'running') return 'down';
    return s.health === 'unhealthy' ? 'degraded' : 'healthy';
  }
  if (s.expect === 'stopped') return s.state === 'stopped' ? 'healthy' : 'degraded';
  return s.state === 'running' && s.health === 'unhealthy' ? 'degraded' : 'healthy';
}

/**
 * The cell's light: `watched` says whether the node's birth lists the service. A node that is not
 * online cannot vouch for its last states, so they read as unknown (the cell shows them greyed).
 */
export function serviceLight(s: ServiceState | undefined, watched: boolean, node: NodeStateName): Light {
  if (s === undefined) return watched ? 'unknown' : 'absent';
  if (node !== 'online') return 'unknown';
  return stateLight(s);
}

/** Expected and actual disagree: shown as drift on the host page. */
export function isDrift(s: ServiceState): boolean {
  if (!s.exists) return s.expect === 'running';
  if (s.expect === 'running') return s.state !== 'running';
  if (s.expect === 'stopped') return s.state !== 'stopped';
  return s.state === 'failed';
}

export function checkLight(c: CheckResult | undefined, node: NodeStateName): Light {
  if (c === undefined) return 'unknown';
  if (node !== 'online') return 'unknown';
  switch (c.status) {
    case 'OK':
      return 'healthy';
    case 'UPDATE':
    case 'WARNING':
      return 'degraded';
    case 'FAILURE':
    case 'ERROR':
      return 'down';
  }
}

/** Worst first, for sorting and for the summary of a row. */
const SEVERITY: Record<Light, number> = { down: 0, degraded: 1, unknown: 2, healthy: 3, absent: 4 };
export const bySeverity = (a: Light, b: Light): number => SEVERITY[a] - SEVERITY[b];
export function worst(lights: Iterable<Light>): Light {
  let w: Light = 'absent';
  for (const l of lights) if (SEVERITY[l] < SEVERITY[w]) w = l;
  return w;
}

/** The light of a past state from the transitions history (no health or existence there). */
export function runLight(state: string, expect: string): Light {
  if (state === 'unknown') return 'unknown';
  if (state === 'failed') return expect === 'stopped' ? 'degraded' : 'down';
  if (expect === 'any' || state === expect) return 'healthy';
  return expect === 'running' ? 'down' : 'degraded';
}
