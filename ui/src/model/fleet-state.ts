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

/**
 * Apply one retained message on `nodes/{node}/{piece}`. An empty payload deletes that piece (and
 * the node, once nothing is left); anything else must decode and name the node of its topic.
 */
export function applyNodeMessage(fleet: Fleet, piece: NodePiece, node: string, payload: Uint8Array): ApplyResult {
  if (payload.byteLength === 0) return { ok: true, fleet: withPiece(fleet, node, piece, undefined) };
  const decoded = codecs[piece].decode(payload);
  if (!decoded.ok) return decoded;
  if (decoded.value.node !== node) {
    return { ok: false, reason: `payload names node ${JSON.stringify(decoded.value.node)}, topic names ${node}` };
  }
  return { ok: true, fleet: withPiece(fleet, node, piece, decoded.value) };
}

function withPiece(fleet: Fleet, node: string, piece: NodePiece, value: NodeRecord[NodePiece]): Fleet {
  const before = fleet.get(node);
  if (value === undefined && before?.[piece] === undefined) return fleet;
  const record: NodeRecord = { ...before, [piece]: value };
  const next = new Map(fleet);
  if (NODE_PIECES.some((p) => record[p] !== undefined)) next.set(node, record);
  else next.delete(node);
  return next;
}
