/**
 * How a packet is stored in a row: its payload as a BLOB (the bulk of the bytes, kept out of
 * JSON) and every other own field as JSON. The round trip is exact, because the abstract suite
 * compares stored packets field by field: keys whose value is `undefined` are kept (JSON drops
 * them), a string payload comes back as a string, nested Buffers come back as Buffers.
 */

import aedesPacket from 'aedes-packet';

export type PacketLike = Record<string, unknown>;

// aedes-packet's typings describe a namespace; at runtime the module is the constructor.
const Packet = aedesPacket as unknown as new (original: PacketLike) => PacketLike;

/** The shape aedes' own persistence stores: the Packet fields, no wire-only ones like `length`. */
export function normalizePacket(original: PacketLike): PacketLike {
  return new Packet(original);
}

export interface StoredPacket {
  meta: string;
  payload: Buffer;
  payloadKind: PayloadKind;
}

export const PayloadKind = { Buffer: 0, String: 1, Absent: 2 } as const;
export type PayloadKind = (typeof PayloadKind)[keyof typeof PayloadKind];

interface Meta {
  /** Fields other than the payload (and other than the ones the caller keeps in columns). */
  f: PacketLike;
  /** Keys present with the value `undefined`. */
  u?: string[];
}

const EMPTY = Buffer.alloc(0);

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array) return { $b64: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { $b64?: unknown }).$b64 === 'string') {
    const keys = Object.keys(value);
    if (keys.length === 1) return Buffer.from((value as { $b64: string }).$b64, 'base64');
  }
  return value;
}

/** Encode `packet`, leaving out `omit` (fields the caller stores in their own columns). */
export function encodePacket(packet: PacketLike, omit: readonly string[] = []): StoredPacket {
  const f: PacketLike = {};
  const u: string[] = [];
  for (const key of Object.keys(packet)) {
    if (key === 'payload' || omit.includes(key)) continue;
    const value = packet[key];
    if (value === undefined) u.push(key);
    else f[key] = value;
  }
  const meta: Meta = u.length > 0 ? { f, u } : { f };
  const payload = packet.payload;
  if (payload !== undefined && typeof payload !== 'string' && !(payload instanceof Uint8Array)) f.payload = payload; // not one aedes produces; kept as JSON
  else if (payload === undefined && Object.hasOwn(packet, 'payload')) u.push('payload');
  // A replacer function puts JSON.stringify on its slow path: only when a field is an object.
  const json = Object.values(f).some((v) => typeof v === 'object' && v !== null) ? JSON.stringify(meta, replacer) : JSON.stringify(meta);
  if (typeof payload === 'string') return { meta: json, payload: Buffer.from(payload, 'utf8'), payloadKind: PayloadKind.String };
  if (payload instanceof Uint8Array) {
    const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return { meta: json, payload: buf, payloadKind: PayloadKind.Buffer };
  }
  return { meta: json, payload: EMPTY, payloadKind: PayloadKind.Absent };
}

export function decodePacket(meta: string, payload: Buffer, payloadKind: number): PacketLike {
  const parsed = (meta.includes('"$b64"') ? JSON.parse(meta, reviver) : JSON.parse(meta)) as Meta;
  const packet: PacketLike = {};
  // Restore the original key order closely enough for humans; comparisons do not depend on it.
  if (payloadKind === PayloadKind.Buffer) packet.payload = payload;
  else if (payloadKind === PayloadKind.String) packet.payload = payload.toString('utf8');
  Object.assign(packet, parsed.f);
  for (const key of parsed.u ?? []) packet[key] = undefined;
  return packet;
}
