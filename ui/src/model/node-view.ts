/**
 * The display model of one node card: everything the card shows, already decided and formatted,
 * so components only lay it out and the rules are unit tested.
 */
import { nodeStateOf, type Fleet, type NodeRecord } from './fleet-state.js';
import { formatAgo, formatBytes, formatDuration, formatLoad, formatPercent, toGiB } from './format.js';

/** `unknown` until the node's retained status arrives (or after it was cleared). */
export type NodeStateName = 'online' | 'offline' | 'lost' | 'unknown';

export interface Meter {
  /** 0-100 for the bar, or null when there is nothing to show. */
  readonly percent: number | null;
  readonly text: string;
  readonly detail: string;
}

export interface Inventory {
  readonly hostname: string;
  readonly os: string;
  readonly agentVersion: string;
}

export interface NodeView {
  readonly id: string;
  readonly state: NodeStateName;
  /** Not online: the card is greyed and shows when the node was last heard of. */
  readonly dimmed: boolean;
  /** Online, but metrics stopped arriving: the numbers are old. */
  readonly stale: boolean;
  /** From the birth; null until one arrives. */
  readonly inventory: Inventory | null;
  readonly lastSeenAt: number | null;
  readonly lastSeen: string | null;
  readonly cpu: Meter;
  readonly ram: Meter;
  readonly disk: Meter;
  readonly load: string;
  readonly uptime: string;
}

/** Metrics interval assumed until a birth says otherwise, seconds. */
export const DEFAULT_INTERVAL_S = 15;
/** Metrics count as stale after this many missed intervals. */
export const STALE_AFTER_INTERVALS = 3;

const NONE = '—';
const noMeter: Meter = { percent: null, text: NONE, detail: '' };

export function nodeView(id: string, record: NodeRecord, now: number): NodeView {
  const { status, birth, metrics } = record;
  // Until the retained status and birth arrive, the projector's snapshot of them (its own times).
  const snap = record.snapshot;
  const state: NodeStateName = nodeStateOf(record);
  const lastSeenAt = latest(status?.ts, birth?.ts, metrics?.ts, snap?.status?.seen, snap?.birth?.ts);
  const intervalMs = (birth?.interval ?? snap?.birth?.interval ?? DEFAULT_INTERVAL_S) * 1000;
  const stale = state === 'online' && metrics !== undefined && now - metrics.ts > STALE_AFTER_INTERVALS * intervalMs;
  const dimmed = state !== 'online';
  const showAge = dimmed || stale;
  const root = metrics?.disks[0];

  return {
    id,
    state,
    dimmed,
    stale,
    inventory:
      birth !== undefined
        ? { hostname: birth.host.hostname, os: `${birth.host.distro} ${birth.host.release}`.trim(), agentVersion: birth.agent.version }
        : snap?.birth !== undefined
          ? { hostname: snap.birth.hostname, os: `${snap.birth.distro} ${snap.birth.release}`.trim(), agentVersion: snap.birth.agent }
          : null,
    lastSeenAt,
    lastSeen: showAge && lastSeenAt !== null ? formatAgo(lastSeenAt, now) : null,
    cpu: metrics === undefined ? noMeter : meter(metrics.cpu.percent, ''),
    ram:
      metrics === undefined
        ? noMeter
        : meter(metrics.memory.percent, `${toGiB(metrics.memory.used)} / ${toGiB(metrics.memory.total)} GiB`),
    disk:
      root === undefined
        ? noMeter
        : meter(root.percent, `${formatBytes(root.used)} / ${formatBytes(root.size)} on ${root.mount}`),
    load: metrics === undefined ? NONE : formatLoad(metrics.load),
    uptime: metrics === undefined ? NONE : formatDuration(metrics.uptime),
  };
}

/** Every known node, sorted by id so cards keep their place as updates arrive. */
export function fleetView(fleet: Fleet, now: number): NodeView[] {
  return [...fleet]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, record]) => nodeView(id, record, now));
}

function meter(percent: number, detail: string): Meter {
  return { percent: Math.min(100, Math.max(0, percent)), text: formatPercent(percent), detail };
}

function latest(...timestamps: (number | undefined)[]): number | null {
  const known = timestamps.filter((t): t is number => t !== undefined);
  return known.length === 0 ? null : Math.max(...known);
}

/**
 * nodeView, reusing the previous view of the same record while the clock cannot change it (no age
 * shown, metrics fresh): unchanged cards keep identical props and are not re-rendered.
 */
export function cachedNodeView(cache: WeakMap<NodeRecord, NodeView>, id: string, record: NodeRecord, now: number): NodeView {
  const hit = cache.get(record);
  const intervalMs = (record.birth?.interval ?? record.snapshot?.birth?.interval ?? DEFAULT_INTERVAL_S) * 1000;
  const clockMatters = hit?.lastSeen !== null || (record.metrics !== undefined && now - record.metrics.ts > intervalMs);
  if (hit !== undefined && hit.id === id && !clockMatters) return hit;
  const view = nodeView(id, record, now);
  cache.set(record, view);
  return view;
}
