/**
 * What the ui knows about each node, folded from retained state topics. Pure and immutable: every
 * change returns a new map holding new records, so a shallowRef sees it and earlier snapshots (and
 * the decoded payloads inside them) are never touched.
 */
import { codecs, type Birth, type Metrics, type Status } from '@sitrep/schemas';
import type { SnapshotNodeFacts, WatchedService } from './fleet-snapshot.js';

export interface NodeRecord {
  readonly status?: Status;
  readonly birth?: Birth;
  readonly metrics?: Metrics;
  /**
   * What the projector's fleet snapshot said about the node's status and birth, each part kept
   * only until the retained topic of that piece speaks (see model/fleet-snapshot). Read through
   * nodeStateOf / watchedOf / hostOf, which prefer the retained pieces.
   */
  readonly snapshot?: SnapshotNodeFacts;
}

/** `unknown` until a status (retained, or from the snapshot) says otherwise. */
export function nodeStateOf(r: NodeRecord | undefined): 'online' | 'offline' | 'lost' | 'unknown' {
  return r?.status?.state ?? r?.snapshot?.status?.state ?? 'unknown';
}

/** The services the node's birth says it watches (retained, else from the snapshot). */
export function watchedOf(r: NodeRecord | undefined): readonly WatchedService[] {
  return r?.birth?.services ?? r?.snapshot?.birth?.watched ?? [];
}

/** Host name and OS of the node's birth (retained, else from the snapshot). */
export function hostOf(r: NodeRecord | undefined): { readonly hostname: string; readonly distro: string; readonly release: string } | undefined {
  return r?.birth?.host ?? r?.snapshot?.birth ?? undefined;
}

export type Fleet = ReadonlyMap<string, NodeRecord>;
export type NodePiece = 'status' | 'birth' | 'metrics';

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

/**
 * Apply decoded changes in order: one copy of the map per batch, untouched nodes kept as they were.
 * A retained message is the authority on its piece: it also drops what the snapshot said about
 * that piece, so a deletion (empty payload) cannot uncover an older snapshot value.
 */
export function applyNodeChanges(fleet: Fleet, changes: readonly NodeChange[]): Fleet {
  let next: Map<string, NodeRecord> | undefined;
  for (const { piece, node, value } of changes) {
    const before = (next ?? fleet).get(node);
    const snapshot = before?.snapshot;
    const shadowed = snapshot !== undefined && (piece === 'status' || piece === 'birth') && snapshot[piece] !== undefined;
    if (value === undefined && before?.[piece] === undefined && !shadowed) continue;
    next ??= new Map(fleet);
    const record: { -readonly [K in keyof NodeRecord]: NodeRecord[K] } = { ...before, [piece]: value };
    if (shadowed) {
      const rest = { ...snapshot, [piece]: undefined };
      record.snapshot = rest.status === undefined && rest.birth === undefined ? undefined : rest;
    }
    if (NODE_PIECES.some((p) => record[p] !== undefined) || record.snapshot !== undefined) next.set(node, record);
    else next.delete(node);
  }
  return next ?? fleet;
}

/** Decode and apply one message (see decodeNodeMessage). */
export function applyNodeMessage(fleet: Fleet, piece: NodePiece, node: string, payload: Uint8Array): ApplyResult {
  const decoded = decodeNodeMessage(piece, node, payload);
  if (!decoded.ok) return decoded;
  return { ok: true, fleet: applyNodeChanges(fleet, [decoded.change]) };
}
