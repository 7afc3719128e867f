/**
 * The overview's grid (nodes x services), its filters and counts, decided here from live state so
 * components only lay it out. Pure: inputs in, plain data out.
 */
import type { Alerts, ServiceState, Summary } from '@sitrep/schemas';
import { hostOf, nodeStateOf, watchedOf, type Fleet, type NodeRecord } from './fleet-state.js';
import { isFromSnapshot } from './fleet-snapshot.js';
import type { ItemMap } from './items-state.js';
import type { NodeStateName } from './node-view.js';
import { serviceLight, type Light } from './service-light.js';

export type StatusFilter = 'all' | 'problems' | Light;

export interface OverviewFilter {
  /** A node id, or '' for every node. */
  readonly node: string;
  /** `kind:systemd`, `kind:process`, `os:Debian 12`..., or '' for any. */
  readonly tag: string;
  readonly status: StatusFilter;
  /** Case-insensitive text in a node id, hostname or service id. */
  readonly search: string;
}

export const NO_FILTER: OverviewFilter = { node: '', tag: '', status: 'all', search: '' };

export interface Cell {
  readonly service: string;
  readonly light: Light;
  /** The last known state behind an `unknown` light of a node that is not online. */
  readonly stale: boolean;
  readonly title: string;
}

const nodeState = (r: NodeRecord | undefined): NodeStateName => nodeStateOf(r);

/** Ids of the services a node's birth says it watches. */
export function watchedServices(r: NodeRecord | undefined): ReadonlySet<string> {
  return new Set(watchedOf(r).map((s) => s.id));
}

export function osTag(r: NodeRecord | undefined): string | null {
  const h = hostOf(r);
  return h === undefined ? null : `os:${`${h.distro} ${h.release}`.trim()}`;
}

/** Every service id on any node (watched or reporting), sorted. */
export function allServices(fleet: Fleet, services: ItemMap<ServiceState>): string[] {
  const ids = new Set<string>();
  for (const r of fleet.values()) for (const s of watchedOf(r)) ids.add(s.id);
  for (const inner of services.values()) for (const id of inner.keys()) ids.add(id);
  return [...ids].sort();
}

/** Tags offered by the tag filter. */
export function allTags(fleet: Fleet, services: ItemMap<ServiceState>): string[] {
  const tags = new Set<string>();
  for (const r of fleet.values()) {
    const os = osTag(r);
    if (os !== null) tags.add(os);
    for (const s of watchedOf(r)) tags.add(`kind:${s.kind}`);
  }
  for (const inner of services.values()) for (const s of inner.values()) tags.add(`kind:${s.kind}`);
  return [...tags].sort();
}

export function cellOf(service: string, state: ServiceState | undefined, watched: boolean, node: NodeStateName): Cell {
  const light = serviceLight(state, watched, node);
  const stale = state !== undefined && node !== 'online';
  const actual = state === undefined ? 'no state reported' : `${state.state}${state.health === 'unhealthy' ? ' (unhealthy)' : ''}, expected ${state.expect}`;
  // A state from the projector's snapshot says so until the retained topic replaces it.
  const source = state !== undefined && isFromSnapshot(state) ? ' (from the hub snapshot)' : '';
  const title = light === 'absent' ? `${service}: not expected here` : `${service}: ${actual}${stale ? ` (last known; node ${node})` : ''}${source}`;
  return { service, light, stale, title };
}

export function rowCells(columns: readonly string[], record: NodeRecord | undefined, states: ReadonlyMap<string, ServiceState> | undefined): Cell[] {
  const watched = watchedServices(record);
  const node = nodeState(record);
  return columns.map((id) => cellOf(id, states?.get(id), watched.has(id), node));
}

function matchesStatus(light: Light, status: StatusFilter): boolean {
  if (status === 'all') return true;
  if (status === 'problems') return light === 'down' || light === 'degraded' || light === 'unknown';
  return light === status;
}

function hasTag(tag: string, record: NodeRecord | undefined, states: ReadonlyMap<string, ServiceState> | undefined, service?: string): boolean {
  if (tag === '') return true;
  if (tag.startsWith('os:')) return osTag(record) === tag;
  const kind = tag.slice('kind:'.length);
  const kinds = [
    ...watchedOf(record).filter((s) => service === undefined || s.id === service).map((s) => s.kind),
    ...[...(states?.values() ?? [])].filter((s) => service === undefined || s.service === service).map((s) => s.kind),
  ];
  return kinds.includes(kind as 'systemd' | 'process');
}

export interface Grid {
  readonly columns: string[];
  readonly nodes: string[];
}

/** Which columns (services) and rows (nodes) the filter keeps, in display order. */
export function filterGrid(fleet: Fleet, services: ItemMap<ServiceState>, filter: OverviewFilter): Grid {
  const q = filter.search.trim().toLowerCase();
  let columns = allServices(fleet, services);
  const nodeIds = [...new Set([...fleet.keys(), ...services.keys()])].sort();
  if (filter.tag.startsWith('kind:')) {
    columns = columns.filter((id) => nodeIds.some((n) => hasTag(filter.tag, fleet.get(n), services.get(n), id)));
  }
  const serviceHits = q === '' ? [] : columns.filter((id) => id.toLowerCase().includes(q));
  if (serviceHits.length > 0) columns = serviceHits;
  const nodes = nodeIds.filter((n) => {
    const record = fleet.get(n);
    const states = services.get(n);
    if (filter.node !== '' && n !== filter.node) return false;
    if (!hasTag(filter.tag, record, states)) return false;
    if (q !== '' && serviceHits.length === 0) {
      const host = hostOf(record)?.hostname.toLowerCase() ?? '';
      if (!n.toLowerCase().includes(q) && !host.includes(q)) return false;
    }
    if (filter.status === 'all') return true;
    return rowCells(columns, record, states).some((c) => matchesStatus(c.light, filter.status));
  });
  return { columns, nodes };
}

export interface Counts {
  readonly online: number;
  readonly lost: number;
  readonly offline: number;
  readonly unhealthy: number;
  /** From hub/summary and hub/alerts when the projector has published them, else null. */
  readonly openAlerts: number | null;
}

/** Node counts from live status; unhealthy services from live cells; open alerts from the hub. */
export function fleetCounts(fleet: Fleet, services: ItemMap<ServiceState>, summary: Summary | null, alerts: Alerts | null): Counts {
  let online = 0;
  let lost = 0;
  let offline = 0;
  for (const r of fleet.values()) {
    const s = nodeState(r);
    if (s === 'online') online += 1;
    else if (s === 'lost') lost += 1;
    else if (s === 'offline') offline += 1;
  }
  let unhealthy = 0;
  for (const [node, inner] of services) {
    const record = fleet.get(node);
    const watched = watchedServices(record);
    for (const [id, st] of inner) {
      const l = serviceLight(st, watched.has(id), nodeState(record));
      if (l === 'down' || l === 'degraded') unhealthy += 1;
    }
  }
  return { online, lost, offline, unhealthy, openAlerts: alerts?.alerts.length ?? summary?.alerts.open ?? null };
}
