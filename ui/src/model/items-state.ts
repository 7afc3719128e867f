/**
 * Retained per-item state (`services/{id}` and `checks/{id}` of every node), folded in batches:
 * a batch copies the outer map once and each touched node's map once, so unchanged nodes keep
 * their identity and their rows are not re-rendered. Snapshots are never mutated.
 */
import type { DecodeResult } from '@sitrep/schemas';

export type ItemMap<T> = ReadonlyMap<string, ReadonlyMap<string, T>>;

/** One decoded change: a value, or null for an empty (deleting) retained payload. */
export interface ItemChange<T> {
  readonly node: string;
  readonly id: string;
  readonly value: T | null;
}

export type ItemDecode<T> = (payload: Uint8Array) => DecodeResult<T & { node: string }>;

/** Decode one message into a change, or say why it is rejected. */
export function decodeItem<T>(
  decode: ItemDecode<T>,
  idOf: (value: T) => string,
  node: string,
  id: string,
  payload: Uint8Array,
): { ok: true; change: ItemChange<T> } | { ok: false; reason: string } {
  if (payload.byteLength === 0) return { ok: true, change: { node, id, value: null } };
  const decoded = decode(payload);
  if (!decoded.ok) return decoded;
  if (decoded.value.node !== node) return { ok: false, reason: `payload names node ${JSON.stringify(decoded.value.node)}, topic names ${node}` };
  if (idOf(decoded.value) !== id) return { ok: false, reason: `payload names ${JSON.stringify(idOf(decoded.value))}, topic names ${id}` };
  return { ok: true, change: { node, id, value: decoded.value } };
}

export function applyItemChanges<T>(items: ItemMap<T>, changes: readonly ItemChange<T>[]): ItemMap<T> {
  if (changes.length === 0) return items;
  const next = new Map(items);
  const copied = new Set<string>();
  for (const { node, id, value } of changes) {
    let inner = next.get(node) as Map<string, T> | undefined;
    if (!copied.has(node)) {
      inner = new Map(inner ?? []);
      copied.add(node);
      next.set(node, inner);
    }
    if (inner === undefined) continue;
    if (value === null) inner.delete(id);
    else inner.set(id, value);
  }
  for (const node of copied) if (next.get(node)?.size === 0) next.delete(node);
  return next;
}
