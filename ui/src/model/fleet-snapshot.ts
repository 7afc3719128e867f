/**
 * The projector's fleet snapshot (the `fleetSnapshot` query, contract FleetSnapshot), read into the
 * ui's own state and merged under the retained topics. Pure.
 *
 * Precedence: the retained topics are the authority. The snapshot only fills what no retained
 * message has spoken for since the last (re)subscribe, and any retained message for a piece
 * (status, birth) or an item replaces what the snapshot said about it, a deletion included. A
 * retained message is never older than the snapshot in a way that matters: the projector folds
 * the same topics, and the broker's retained copy is the last one published, which is what the
 * page would show without a snapshot. So the snapshot can make the first paint earlier, never
 * different from what the retained state then says.
 */
import type { Birth, FleetSnapshot, ServiceState } from '@sitrep/schemas';
import type { Fleet, NodeRecord } from './fleet-state.js';
import { applyItemChanges, type ItemChange, type ItemMap } from './items-state.js';

export type SnapshotNodeState = 'online' | 'offline' | 'lost';
export type WatchedService = Birth['services'][number];

/** What a snapshot says about one node, with the projector's times. */
export interface SnapshotNodeFacts {
  /** The snapshot's `ts`: when the projector read its tables (its clock). */
  readonly asOf: number;
  readonly status?: {
    readonly state: SnapshotNodeState;
    readonly session: string | null;
    /** When the projector received the current state. */
    readonly since: number | null;
    /** When the projector last heard of the node. */
    readonly seen: number;
  };
  readonly birth?: {
    readonly ts: number;
    readonly hostname: string;
    readonly distro: string;
    readonly release: string;
    readonly agent: string;
    readonly interval: number;
    readonly watched: readonly WatchedService[];
  };
}

export interface ReadSnapshot {
  readonly ts: number;
  readonly nodes: ReadonlyMap<string, SnapshotNodeFacts>;
  /** Every service state, rebuilt in the ServiceState shape (values never null). */
  readonly services: readonly ItemChange<ServiceState>[];
}

/** Service states rebuilt from a snapshot, so a cell can say where its colour came from. */
const fromSnapshot = new WeakSet<object>();
export const isFromSnapshot = (value: object): boolean => fromSnapshot.has(value);

/**
 * Check what the schema cannot (table indices in range, one entry per node, times that are
 * timestamps) and rebuild the states. `s` has passed the FleetSnapshot codec.
 */
export function readSnapshot(s: FleetSnapshot): { ok: true; value: ReadSnapshot } | { ok: false; reason: string } {
  const nodes = new Map<string, SnapshotNodeFacts>();
  const services: ItemChange<ServiceState>[] = [];
  // Plain index loops: this runs over every service of the fleet while the page waits for it.
  for (let i = 0; i < s.nodes.length; i++) {
    const n = s.nodes[i]!;
    const at = `FleetSnapshot at /nodes/${i}`;
    if (nodes.has(n.node)) return { ok: false, reason: `${at}/node: ${n.node} appears twice` };
    const watched: WatchedService[] = [];
    const pairs = n.birth?.watched ?? [];
    for (let j = 0; j < pairs.length; j++) {
      const [svc, w] = pairs[j]!;
      const id = s.services[svc];
      const watch = s.watches[w];
      if (id === undefined || watch === undefined) return { ok: false, reason: `${at}/birth/watched/${j}: index out of range` };
      watched.push({ id, kind: watch.kind, expect: watch.expect, actions: watch.actions });
    }
    for (let j = 0; j < n.items.length; j++) {
      const item = n.items[j]!;
      const id = s.services[item[0]];
      const l = s.looks[item[1]];
      if (id === undefined || l === undefined) return { ok: false, reason: `${at}/items/${j}: index out of range` };
      const ts = s.ts - item[2];
      const since = item[3] === null ? null : s.ts - item[3];
      if (ts < 0 || (since !== null && since < 0)) return { ok: false, reason: `${at}/items/${j}: a time before 1970` };
      const value: ServiceState = {
        v: 1, node: n.node, service: id, ts, kind: l.kind, state: l.state, expect: l.expect, exists: l.exists,
        since, pid: item[4], memoryBytes: item[5], cpuPercent: item[6], restarts: item[7],
      };
      if (l.result !== undefined) value.result = l.result;
      if (l.exitStatus !== undefined) value.exitStatus = l.exitStatus;
      if (l.signal !== undefined) value.signal = l.signal;
      if (l.health !== undefined) value.health = l.health;
      fromSnapshot.add(value);
      services.push({ node: n.node, id, value });
    }
    const b = n.birth;
    nodes.set(n.node, {
      asOf: s.ts,
      ...(n.state === 'unknown' ? {} : { status: { state: n.state, session: n.session, since: n.since, seen: n.seen } }),
      ...(b === null ? {} : { birth: { ts: b.ts, hostname: b.hostname, distro: b.distro, release: b.release, agent: b.agent, interval: b.interval, watched } }),
    });
  }
  return { ok: true, value: { ts: s.ts, nodes, services } };
}

/** Has a retained message spoken for this node piece / this item since the last subscribe? */
export type Spoken = (node: string, key: string) => boolean;

/** Add the snapshot's node facts where no retained status or birth has spoken. */
export function applySnapshotNodes(fleet: Fleet, nodes: ReadonlyMap<string, SnapshotNodeFacts>, spoken: Spoken): Fleet {
  let next: Map<string, NodeRecord> | undefined;
  for (const [node, facts] of nodes) {
    const before = fleet.get(node);
    const status = facts.status !== undefined && before?.status === undefined && !spoken(node, 'status') ? facts.status : undefined;
    const birth = facts.birth !== undefined && before?.birth === undefined && !spoken(node, 'birth') ? facts.birth : undefined;
    if (status === undefined && birth === undefined) continue;
    next ??= new Map(fleet);
    next.set(node, { ...before, snapshot: { asOf: facts.asOf, ...(status && { status }), ...(birth && { birth }) } });
  }
  return next ?? fleet;
}

/**
 * Add the snapshot's service states where no retained message has spoken for them. A value there
 * already came from an earlier snapshot; it is replaced only by a state at least as new.
 */
export function applySnapshotItems(items: ItemMap<ServiceState>, changes: readonly ItemChange<ServiceState>[], spoken: Spoken): ItemMap<ServiceState> {
  const fresh = changes.filter((c) => {
    if (c.value === null || spoken(c.node, c.id)) return false;
    const before = items.get(c.node)?.get(c.id);
    return before === undefined || (isFromSnapshot(before) && c.value.ts >= before.ts);
  });
  return applyItemChanges(items, fresh);
}
