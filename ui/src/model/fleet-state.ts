/**
 * What the ui knows about each node, folded from retained state topics. Pure and immutable: every
 * change returns a new map holding new records, so a shallowRef sees it and earlier snapshots (and
 * the decoded payloads inside them) are never touched.
 */
import { codecs, type Birth, type Metrics, type Status } from '@sitrep/schemas';

export interface NodeRecord {
  readonly status?: Status;
  readonly birth?: Birth;
  readonly metrics?: Metrics;
}

export type Fleet = ReadonlyMap<string, NodeRecord>;
export type NodePiece = keyof NodeRecord;

export const NODE_PIECES: readonly NodePiece[] = ['status', 'birth', 'metrics'];

export type ApplyResult = { ok: true; fleet: Fleet } | { ok: false; reason: string };

export const emptyFleet = (): Fleet => new Map();

export type NodeChange = { [P in NodePiece]: { piece: P; node: string; value: NodeRecord[P] } }[NodePiece];

/**
 * Decode one retained message on `nodes/{node}/{piece}`. An empty payload deletes that piece (and
 * the node, once nothing is left); anything else must decode and name the node of its topic.
 */
export function decodeNodeMessage(piece: NodePiece, node: string, payload: Uint8Array): { ok: true; change: NodeChange } | { ok: false; reason: string } {
  if (payload.byteLength === 0) return { ok: true, change: { piece, node, value: undefined } };
  const decoded = codecs[piece].decode(payload);
  if (!decoded.ok) return decoded;
  if (decoded.value.node !== node) {
    return { ok: false, reason: `payload names node ${JSON.stringify(decoded.value.node)}, topic names ${node}` };
  }
  return { ok: true, change: { piece, node, value: decoded.value } as NodeChange };
}

/** Apply decoded changes in order: one copy of the map per batch, untouched nodes kept as they were. */
export function applyNodeChanges(fleet: Fleet, changes: readonly NodeChange[]): Fleet {
  if (changes.length === 0) return fleet;
  const next = new Map(fleet);
  for (const { piece, node, value } of changes) {
    const before = next.get(node);
    if (value === undefined && before?.[piece] === undefined) continue;
    const record: NodeRecord = { ...before, [piece]: value };
    if (NODE_PIECES.some((p) => record[p] !== undefined)) next.set(node, record);
    else next.delete(node);
  }
  return next;
}

/** Decode and apply one message (see decodeNodeMessage). */
export function applyNodeMessage(fleet: Fleet, piece: NodePiece, node: string, payload: Uint8Array): ApplyResult {
  const decoded = decodeNodeMessage(piece, node, payload);
  if (!decoded.ok) return decoded;
  const before = fleet.get(node);
  if (decoded.change.value === undefined && before?.[piece] === undefined) return { ok: true, fleet };
  return { ok: true, fleet: applyNodeChanges(fleet, [decoded.change]) };
}
