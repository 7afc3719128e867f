/**
 * Persistent sessions' outgoing queues (QoS 1/2 deliveries not yet acknowledged), bounded per
 * client. aedes enqueues every QoS > 0 message for a `clean: false` subscriber (online or not),
 * sets its packet id with `outgoingUpdate` when it writes it, and clears it on PUBACK/PUBCOMP.
 */
import { Readable } from 'node:stream';
import type { Logger } from '@sitrep/schemas';
import { decodePacket, encodePacket, normalizePacket, type PacketLike, type StoredPacket } from './codec.js';
import type { Db } from './schema.js';

interface OutgoingRow {
  seq: number;
  meta: string;
  payload: Buffer;
  payload_kind: number;
  message_id: number | null;
}

/** How many queued rows one read of `outgoingStream` fetches. */
const PAGE = 500;
/** Dropped deliveries remembered per client so the live write of one is not an error (below). */
const DROPPED_MEMORY = 4096;

export interface OverflowStats {
  /** Deliveries refused because a client's queue was full, since start. */
  dropped: number;
  /** Clients whose queue is full right now. */
  fullClients: string[];
}

export class OutgoingQueues {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #max: number;
  /** Rows per client, so the bound costs no query. */
  readonly #counts = new Map<string, number>();
  /** Drops per client in the current overflow episode (cleared when one fits again). */
  readonly #episodes = new Map<string, number>();
  /** Per client, brokerId:brokerCounter of dropped deliveries (bounded, oldest forgotten). */
  readonly #dropped = new Map<string, Set<string>>();
  #droppedTotal = 0;
  #nextSeq: number;
  readonly #insert;
  readonly #byCounter;
  readonly #byMessageId;
  readonly #setMessageId;
  readonly #replace;
  readonly #deleteSeq;
  readonly #page;
  readonly #maxSeq;
  /** One transaction for all the subscribers of one publish. */
  readonly #insertAll: (clientIds: readonly string[], packet: PacketLike, stored: StoredPacket) => void;

  constructor(db: Db, opts: { log: Logger; maxPerClient: number }) {
    this.#db = db;
    this.#log = opts.log;
    this.#max = opts.maxPerClient;
    for (const row of db.prepare('SELECT client_id, COUNT(*) AS n FROM outgoing GROUP BY client_id').all() as { client_id: string; n: number }[]) {
      this.#counts.set(row.client_id, row.n);
    }
    this.#nextSeq = ((db.prepare('SELECT MAX(seq) AS s FROM outgoing').get() as { s: number | null }).s ?? 0) + 1;
    this.#insert = db.prepare(
      'INSERT INTO outgoing (client_id, seq, broker_id, broker_counter, message_id, meta, payload, payload_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // INDEXED BY: with ORDER BY seq the planner prefers walking the client's whole queue in
    // primary-key order, which made every update O(queue length).
    this.#byCounter = db.prepare(
      'SELECT seq FROM outgoing INDEXED BY outgoing_by_counter WHERE client_id = ? AND broker_counter IS ? AND broker_id IS ? ORDER BY seq LIMIT 1',
    );
    this.#byMessageId = db.prepare(
      'SELECT seq FROM outgoing INDEXED BY outgoing_by_message_id WHERE client_id = ? AND message_id = ? AND broker_id IS NOT ? ORDER BY seq LIMIT 1',
    );
    this.#setMessageId = db.prepare('UPDATE outgoing SET message_id = ? WHERE client_id = ? AND seq = ?');
    this.#replace = db.prepare(
      'UPDATE outgoing SET broker_id = ?, broker_counter = ?, message_id = ?, meta = ?, payload = ?, payload_kind = ? WHERE client_id = ? AND seq = ?',
    );
    this.#deleteSeq = db.prepare(
      'DELETE FROM outgoing WHERE client_id = ? AND seq = (SELECT seq FROM outgoing INDEXED BY outgoing_by_message_id WHERE client_id = ? AND message_id = ? ORDER BY seq LIMIT 1) RETURNING meta, payload, payload_kind, message_id',
    );
    this.#page = db.prepare(
      'SELECT seq, meta, payload, payload_kind, message_id FROM outgoing WHERE client_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
    );
    this.#maxSeq = db.prepare('SELECT MAX(seq) AS s FROM outgoing WHERE client_id = ?');
    this.#insertAll = db.transaction((clientIds: readonly string[], packet: PacketLike, stored: StoredPacket) => {
      const brokerId = typeof packet.brokerId === 'string' ? packet.brokerId : null;
      const counter = typeof packet.brokerCounter === 'number' ? packet.brokerCounter : null;
      for (const clientId of clientIds) {
        const count = this.#counts.get(clientId) ?? 0;
        if (count >= this.#max) {
          this.#overflow(clientId, `${brokerId}:${counter}`, String(packet.topic));
          continue;
        }
        this.#insert.run(clientId, this.#nextSeq++, brokerId, counter, null, stored.meta, stored.payload, stored.payloadKind);
        this.#counts.set(clientId, count + 1);
        this.#fitsAgain(clientId);
      }
    });
  }

  enqueue(clientIds: readonly string[], original: PacketLike): void {
    const packet = normalizePacket(original);
    this.#insertAll(clientIds, packet, encodePacket(packet, ['messageId']));
  }

  /** Mirrors aedes-persistence's memory queue: match by broker counter, else replace by packet id. */
  update(clientId: string, packet: PacketLike): void {
    const brokerId = (packet.brokerId as string | undefined) ?? null;
    const counter = (packet.brokerCounter as number | undefined) ?? null;
    const messageId = (packet.messageId as number | undefined) ?? null;
    const sameMessage = this.#byCounter.get(clientId, counter, brokerId) as { seq: number } | undefined;
    const sameId = messageId === null ? undefined : (this.#byMessageId.get(clientId, messageId, brokerId) as { seq: number } | undefined);
    if (sameMessage !== undefined && (sameId === undefined || sameMessage.seq < sameId.seq)) {
      this.#setMessageId.run(messageId, clientId, sameMessage.seq);
      return;
    }
    if (sameId !== undefined) {
      // PUBREC turned a QoS 2 publish into its PUBREL [MQTT-4.3.3]: the row now holds the PUBREL.
      const stored = encodePacket(packet, ['messageId']);
      this.#replace.run(brokerId, counter, messageId, stored.meta, stored.payload, stored.payloadKind, clientId, sameId.seq);
      return;
    }
    // The live write of a delivery the full queue refused: nothing to update, and not an error
    // (an error here makes aedes disconnect a client that is keeping up).
    if (this.#dropped.get(clientId)?.delete(`${brokerId}:${counter}`) === true) return;
    throw new Error('no such packet');
  }

  clear(clientId: string, messageId: unknown): PacketLike | undefined {
    if (typeof messageId !== 'number') return undefined;
    const row = this.#deleteSeq.get(clientId, clientId, messageId) as Omit<OutgoingRow, 'seq'> | undefined;
    if (row === undefined) return undefined;
    const count = (this.#counts.get(clientId) ?? 1) - 1;
    if (count > 0) this.#counts.set(clientId, count);
    else this.#counts.delete(clientId);
    return toPacket(row);
  }

  /** The queue as it is now; rows enqueued while it is read are delivered live by aedes. */
  stream(clientId: string): Readable {
    const last = (this.#maxSeq.get(clientId) as { s: number | null }).s ?? 0;
    const page = this.#page;
    function* rows(): Generator<PacketLike> {
      let after = 0;
      for (;;) {
        const batch = page.all(clientId, after, last, PAGE) as OutgoingRow[];
        for (const row of batch) yield toPacket(row);
        if (batch.length < PAGE) return;
        after = batch[batch.length - 1]!.seq;
      }
    }
    return Readable.from(rows());
  }

  stats(): OverflowStats {
    return { dropped: this.#droppedTotal, fullClients: [...this.#episodes.keys()] };
  }

  #overflow(clientId: string, key: string, topic: string): void {
    this.#droppedTotal++;
    const inEpisode = (this.#episodes.get(clientId) ?? 0) + 1;
    this.#episodes.set(clientId, inEpisode);
    let dropped = this.#dropped.get(clientId);
    if (dropped === undefined) this.#dropped.set(clientId, (dropped = new Set()));
    dropped.add(key);
    if (dropped.size > DROPPED_MEMORY) dropped.delete(dropped.values().next().value as string);
    // Logged on the first drop and then every 10,000, so a long outage is visible without a
    // line per message.
    if (inEpisode === 1 || inEpisode % 10_000 === 0) {
      this.#log.warn('session queue full: dropping QoS 1/2 deliveries', { client: clientId, limit: this.#max, droppedInEpisode: inEpisode, topic });
    }
  }

  #fitsAgain(clientId: string): void {
    const dropped = this.#episodes.get(clientId);
    if (dropped === undefined) return;
    this.#episodes.delete(clientId);
    this.#log.warn('session queue accepting again', { client: clientId, limit: this.#max, dropped });
  }
}

function toPacket(row: Omit<OutgoingRow, 'seq'>): PacketLike {
  const packet = decodePacket(row.meta, row.payload, row.payload_kind);
  packet.messageId = row.message_id ?? undefined;
  return packet;
}
