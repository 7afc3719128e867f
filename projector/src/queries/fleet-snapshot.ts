/**
 * The `fleetSnapshot` query: every node and every service state the projector has folded, in the
 * contract's compact FleetSnapshot form (schemas/src/payloads/snapshot.ts), so the dashboard can
 * paint a whole fleet from one message. Read-only over the `nodes` and `services` read models,
 * with its own SQL so those modules stay as they are.
 */
import { codecs, FLEET_SNAPSHOT_MAX_BYTES, type Birth, type FleetSnapshot, type SnapshotItem, type SnapshotLook, type SnapshotNode, type SnapshotWatch } from '@sitrep/schemas';
import { sql } from '../db/statements.js';
import type { Db } from '../projections/projection.js';

/** Thrown when the snapshot would not fit in one message; the dashboard then reads retained state alone. */
export class SnapshotTooLarge extends Error {
  constructor(bytes: number) {
    super(`the fleet snapshot is ${bytes} bytes, over the ${FLEET_SNAPSHOT_MAX_BYTES}-byte limit of one reply`);
    this.name = 'SnapshotTooLarge';
  }
}

interface NodeCols {
  node: string;
  state: SnapshotNode['state'];
  session: string | null;
  state_since: number | null;
  last_seen: number;
  birth: string | null;
}

type ServiceCols = [
  node: string,
  service: string,
  kind: SnapshotLook['kind'],
  state: SnapshotLook['state'],
  expect: SnapshotLook['expect'],
  exists: number,
  since: number | null,
  pid: number | null,
  memoryBytes: number | null,
  cpuPercent: number | null,
  restarts: number | null,
  result: string | null,
  exitStatus: number | null,
  signal: string | null,
  health: string | null,
  ts: number,
];

/** Interns values by a key: index of the first equal one, or appended. */
function table<T>(): { rows: T[]; index(key: string, make: () => T): number } {
  const rows: T[] = [];
  const seen = new Map<string, number>();
  return {
    rows,
    index(key, make) {
      let i = seen.get(key);
      if (i === undefined) {
        i = rows.push(make()) - 1;
        seen.set(key, i);
      }
      return i;
    },
  };
}

function lookOf(c: ServiceCols): SnapshotLook {
  const [, , kind, state, expect, exists, , , , , , result, exitStatus, signal, health] = c;
  const look: SnapshotLook = { kind, state, expect, exists: exists === 1 };
  // Optional in ServiceState: the read model stores an absent field as NULL, and so leaves it out.
  if (result !== null) look.result = result;
  if (exitStatus !== null) look.exitStatus = exitStatus;
  if (signal !== null) look.signal = signal;
  if (health === 'healthy' || health === 'unhealthy' || health === 'unknown') look.health = health;
  return look;
}

/** A look's interning key: its fields in a fixed order (cheaper than JSON of an array, per row). */
function lookKey(c: ServiceCols): string {
  return `${c[2]}\u0000${c[3]}\u0000${c[4]}\u0000${c[5]}\u0000${c[11]}\u0000${c[12]}\u0000${c[13]}\u0000${c[14]}`;
}

/** A birth's summary with service ids and watch entries (not yet table indices). */
interface BirthFacts {
  summary: Omit<NonNullable<SnapshotNode['birth']>, 'watched'>;
  watched: { id: string; watch: SnapshotWatch; key: string }[];
}

/**
 * Births decoded by a database's last snapshot, by their stored JSON: a birth changes when an agent
 * restarts, while the dashboard asks on every page load, and decoding and validating 500 births
 * was most of a snapshot's build. Only the births of the last build are kept (a derived value of
 * the JSON alone, so reuse cannot go stale); the entry goes with its database.
 */
const birthCaches = new WeakMap<Db, Map<string, BirthFacts | null>>();

/**
 * The snapshot as of `now` (the projector's clock). A birth that no longer decodes (it was valid
 * when folded; the contract may have moved since) leaves that node without its birth summary
 * rather than failing the whole answer.
 */
export function fleetSnapshot(db: Db, now: number): FleetSnapshot {
  const services = table<string>();
  const looks = table<SnapshotLook>();
  const watches = table<SnapshotWatch>();
  const byNode = new Map<string, SnapshotNode>();
  const nodeRows = sql(db, 'SELECT node, state, session, state_since, last_seen, birth FROM nodes ORDER BY node').all() as NodeCols[];
  const births = new Map<string, BirthFacts | null>();
  const lastBirths = birthCaches.get(db);
  for (const r of nodeRows) {
    let facts: BirthFacts | null = null;
    if (r.birth !== null) {
      facts = births.get(r.birth) ?? lastBirths?.get(r.birth) ?? birthFacts(r.birth);
      births.set(r.birth, facts);
    }
    byNode.set(r.node, { node: r.node, state: r.state, session: r.session, since: r.state_since, seen: r.last_seen, birth: birthSummary(facts, services, watches), items: [] });
  }
  birthCaches.set(db, births);
  const rows = sql(
    db,
    `SELECT node, service, kind, state, expect, exists_, since, pid, memory_bytes, cpu_percent, restarts, result, exit_status, signal, health, ts
     FROM services ORDER BY node, service`,
  ).raw(true).all() as ServiceCols[];
  for (const c of rows) {
    const [node, service, , , , , since, pid, memoryBytes, cpuPercent, restarts, , , , , ts] = c;
    let n = byNode.get(node);
    if (n === undefined) {
      // A service state without a node row cannot happen through the folds; kept if it does.
      n = { node, state: 'unknown', session: null, since: null, seen: ts, birth: null, items: [] };
      byNode.set(node, n);
    }
    const look = looks.index(lookKey(c), () => lookOf(c));
    const item: SnapshotItem = [services.index(service, () => service), look, now - ts, since === null ? null : now - since, pid, memoryBytes, cpuPercent, restarts];
    n.items.push(item);
  }
  const nodes = [...byNode.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const snapshot: FleetSnapshot = { v: 1, ts: now, services: services.rows, looks: looks.rows, watches: watches.rows, nodes };
  // The reply envelope adds ~60 bytes; the id is at most 64.
  const bytes = Buffer.byteLength(codecs.fleetSnapshot.encode(snapshot)) + 160;
  if (bytes > FLEET_SNAPSHOT_MAX_BYTES) throw new SnapshotTooLarge(bytes);
  return snapshot;
}

function birthFacts(json: string): BirthFacts | null {
  const decoded = codecs.birth.decode(json, Number.MAX_SAFE_INTEGER);
  if (!decoded.ok) return null;
  const b: Birth = decoded.value;
  return {
    summary: { ts: b.ts, hostname: b.host.hostname, distro: b.host.distro, release: b.host.release, agent: b.agent.version, interval: b.interval },
    watched: b.services.map((s) => ({ id: s.id, watch: { kind: s.kind, expect: s.expect, actions: [...s.actions] }, key: `${s.kind}|${s.expect}|${s.actions.join(',')}` })),
  };
}

function birthSummary(facts: BirthFacts | null, services: ReturnType<typeof table<string>>, watches: ReturnType<typeof table<SnapshotWatch>>): SnapshotNode['birth'] {
  if (facts === null) return null;
  return {
    ...facts.summary,
    watched: facts.watched.map((w) => [services.index(w.id, () => w.id), watches.index(w.key, () => ({ ...w.watch, actions: [...w.watch.actions] }))]),
  };
}
