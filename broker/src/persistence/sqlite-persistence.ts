/**
 * An aedes persistence backed by one SQLite file (better-sqlite3): retained messages,
 * persistent sessions' subscriptions and outgoing queues, inbound QoS 2 state and wills survive
 * a broker kill -9. Promise-based, the interface aedes 1.x calls (aedes-persistence 11's
 * `asyncPersistence.js` is the reference; `abstract.js` is the conformance suite it passes).
 *
 * better-sqlite3 is synchronous, so every write is committed in the order aedes submits it and
 * before the returned promise settles; a retained write can never be overtaken by a later one
 * (the reordering behind aedes #955/#994, see NOTES-mqtt.md).
 *
 * Subscriptions: see subscriptions.ts; outgoing queues: outgoing.ts; write batching: group-commit.ts.
 */
import { Readable } from 'node:stream';
import type { Logger } from '@sitrep/schemas';
import { decodePacket, encodePacket, normalizePacket, type PacketLike } from './codec.js';
import { GroupCommit } from './group-commit.js';
import { OutgoingQueues, type OverflowStats } from './outgoing.js';
import { openBrokerDb, type Db } from './schema.js';
import { Subscriptions, type Subscription } from './subscriptions.js';
import { filterMatcher, globOf, hasWildcard, keyRangeOf } from './topics.js';

export interface SqlitePersistenceOptions {
  /** The database file (created if missing); `:memory:` for a throw-away one. */
  path: string;
  log: Logger;
  /** Queued QoS 1/2 deliveries kept per persistent session; further ones are dropped and logged. */
  maxQueuedPerClient?: number;
}

export const DEFAULT_MAX_QUEUED_PER_CLIENT = 100_000;
/** Retained candidates read per statement when a wildcard subscription asks for its matches. */
export const RETAINED_PAGE_ROWS = 256;
/** `topic < ?` bound of a filter with no literal start: a BLOB sorts after every TEXT value. */
const NO_UPPER_BOUND = Buffer.from([0xff]);

interface ClientRef {
  id: string;
}

interface PacketRow {
  meta: string;
  payload: Buffer;
  payload_kind: number;
}

interface BrokerRef {
  id: string;
}

const fromRow = (row: PacketRow): PacketLike => decodePacket(row.meta, row.payload, row.payload_kind);

export class SqlitePersistence {
  readonly #db: Db;
  readonly #subs: Subscriptions;
  readonly #outgoing: OutgoingQueues;
  readonly #group: GroupCommit;
  #broker: BrokerRef | undefined;
  #destroyed = false;
  readonly #s;

  constructor(opts: SqlitePersistenceOptions) {
    const db = (this.#db = openBrokerDb(opts.path));
    this.#group = new GroupCommit(db);
    this.#subs = new Subscriptions(db);
    this.#outgoing = new OutgoingQueues(db, { log: opts.log, maxPerClient: opts.maxQueuedPerClient ?? DEFAULT_MAX_QUEUED_PER_CLIENT });
    this.#s = {
      retainedPut: db.prepare('INSERT OR REPLACE INTO retained (topic, meta, payload, payload_kind) VALUES (?, ?, ?, ?)'),
      retainedDel: db.prepare('DELETE FROM retained WHERE topic = ?'),
      retainedOne: db.prepare('SELECT meta, payload, payload_kind FROM retained WHERE topic = ?'),
      // Keyset pages inside the filter's key range. `+topic`: the GLOB only filters; were SQLite to
      // take its literal start as the range's lower end instead of the page's, every page would
      // walk again from the start (40 pages of a 10,000-topic filter read 3.6x slower).
      retainedFirstPage: db.prepare('SELECT topic, meta, payload, payload_kind FROM retained WHERE topic >= ? AND topic < ? AND +topic GLOB ? ORDER BY topic LIMIT ?'),
      retainedNextPage: db.prepare('SELECT topic, meta, payload, payload_kind FROM retained WHERE topic > ? AND topic < ? AND +topic GLOB ? ORDER BY topic LIMIT ?'),
      incomingPut: db.prepare('INSERT OR REPLACE INTO incoming (client_id, message_id, meta, payload, payload_kind) VALUES (?, ?, ?, ?, ?)'),
      incomingGet: db.prepare('SELECT meta, payload, payload_kind FROM incoming WHERE client_id = ? AND message_id = ?'),
      incomingDel: db.prepare('DELETE FROM incoming WHERE client_id = ? AND message_id = ?'),
      incomingDelAll: db.prepare('DELETE FROM incoming WHERE client_id = ?'),
      willPut: db.prepare('INSERT OR REPLACE INTO wills (client_id, broker_id, meta, payload, payload_kind) VALUES (?, ?, ?, ?, ?)'),
      willGet: db.prepare('SELECT meta, payload, payload_kind FROM wills WHERE client_id = ?'),
      willDel: db.prepare('DELETE FROM wills WHERE client_id = ? RETURNING meta, payload, payload_kind'),
      willsAll: db.prepare('SELECT broker_id, meta, payload, payload_kind FROM wills'),
    };
  }

  /** The broker passed to setup (the abstract suite reads and renames its id). */
  get broker(): BrokerRef | undefined {
    return this.#broker;
  }

  async setup(broker: BrokerRef): Promise<void> {
    this.#broker = broker;
    this.#subs.load();
  }

  /** Queue overflow counters, for logs and tests. */
  overflowStats(): OverflowStats {
    return this.#outgoing.stats();
  }

  storeRetained(packet: PacketLike): Promise<void> {
    const topic = String(packet.topic);
    const payload = packet.payload;
    // An empty retained payload deletes the retained message [MQTT-3.3.1-10].
    if (payload === undefined || (payload as { length?: number }).length === 0) {
      return this.#group.run(() => void this.#s.retainedDel.run(topic));
    }
    const stored = encodePacket(packet);
    return this.#group.run(() => void this.#s.retainedPut.run(topic, stored.meta, stored.payload, stored.payloadKind));
  }

  createRetainedStream(pattern: string): Readable {
    return this.createRetainedStreamCombi([pattern]);
  }

  /**
   * The retained messages matching any of `patterns`, each once, read as the subscriber takes
   * them: a wildcard's candidates a page of RETAINED_PAGE_ROWS at a time (keyset on the topic, one
   * short statement per page: a statement iterator must not stay open across aedes' async writes),
   * each decoded only when the stream is read. Reading all of them at once blocked the event loop
   * for ~185 ms when a dashboard subscribed to the 10,000 service states of a 500-node fleet.
   * A message retained again while the pages are read is also delivered live, as with any
   * subscription whose retained messages are still on their way.
   */
  createRetainedStreamCombi(patterns: string[]): Readable {
    const s = this.#s;
    const closed = () => this.#destroyed;
    // One filter's keyset pages yield each topic once already; only overlapping filters need a set.
    const overlapping = patterns.length > 1;
    function* matching(): Generator<PacketLike> {
      const seen = new Set<string>();
      for (const pattern of patterns) {
        // A broker closing while a subscriber still reads: end the stream rather than fail it
        // (aedes pipes it without an error handler).
        if (closed()) return;
        if (!hasWildcard(pattern)) {
          const row = s.retainedOne.get(pattern) as PacketRow | undefined;
          if (row !== undefined && !seen.has(pattern)) {
            seen.add(pattern);
            yield fromRow(row);
          }
          continue;
        }
        const matches = filterMatcher(pattern);
        const glob = globOf(pattern);
        const range = keyRangeOf(pattern);
        const below = range.below ?? NO_UPPER_BOUND;
        for (let after: string | null = null; ; ) {
          if (closed()) return;
          const page = (after === null ? s.retainedFirstPage.all(range.from, below, glob, RETAINED_PAGE_ROWS) : s.retainedNextPage.all(after, below, glob, RETAINED_PAGE_ROWS)) as (PacketRow & {
            topic: string;
          })[];
          for (const row of page) {
            if (!matches(row.topic) || (overlapping && seen.has(row.topic))) continue;
            if (overlapping) seen.add(row.topic);
            yield fromRow(row);
          }
          if (page.length < RETAINED_PAGE_ROWS) break;
          after = page[page.length - 1]!.topic;
        }
      }
    }
    return Readable.from(matching());
  }

  addSubscriptions(client: ClientRef, subs: Subscription[]): Promise<void> {
    return this.#group.run(() => this.#subs.add(client.id, subs));
  }

  removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    return this.#group.run(() => this.#subs.remove(client.id, topics));
  }

  async subscriptionsByClient(client: ClientRef): Promise<Subscription[]> {
    return this.#subs.byClient(client.id);
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return this.#subs.counts();
  }

  async subscriptionsByTopic(topic: string): Promise<unknown[]> {
    return this.#subs.match(topic);
  }

  cleanSubscriptions(client: ClientRef): Promise<void> {
    return this.#group.run(() => this.#subs.removeAll(client.id));
  }

  outgoingEnqueue(sub: { clientId: string }, packet: PacketLike): Promise<void> {
    return this.#group.run(() => this.#outgoing.enqueue([sub.clientId], packet));
  }

  async outgoingEnqueueCombi(subs: { clientId: string }[], packet: PacketLike): Promise<void> {
    if (subs.length === 0) return;
    const clientIds = subs.map((s) => s.clientId);
    return this.#group.run(() => this.#outgoing.enqueue(clientIds, packet));
  }

  outgoingUpdate(client: ClientRef, packet: PacketLike): Promise<void> {
    return this.#group.run(() => this.#outgoing.update(client.id, packet));
  }

  outgoingClearMessageId(client: ClientRef, packet: PacketLike | undefined): Promise<PacketLike | undefined> {
    return this.#group.run(() => this.#outgoing.clear(client.id, (packet as { messageId?: unknown } | undefined)?.messageId));
  }

  outgoingStream(client: ClientRef): Readable {
    return this.#outgoing.stream(client.id);
  }

  incomingStorePacket(client: ClientRef, original: PacketLike): Promise<void> {
    const packet = normalizePacket(original);
    packet.messageId = original.messageId;
    const stored = encodePacket(packet);
    return this.#group.run(() => void this.#s.incomingPut.run(client.id, original.messageId, stored.meta, stored.payload, stored.payloadKind));
  }

  async incomingGetPacket(client: ClientRef, packet: { messageId?: number }): Promise<PacketLike> {
    const row = this.#s.incomingGet.get(client.id, packet.messageId) as PacketRow | undefined;
    if (row === undefined) throw new Error('no such packet');
    return fromRow(row);
  }

  incomingDelPacket(client: ClientRef, packet: { messageId?: number }): Promise<void> {
    return this.#group.run(() => {
      if (this.#s.incomingDel.run(client.id, packet.messageId).changes === 0) throw new Error('no such packet');
    });
  }

  cleanIncoming(client: ClientRef): Promise<void> {
    return this.#group.run(() => void this.#s.incomingDelAll.run(client.id));
  }

  putWill(client: ClientRef, packet: PacketLike): Promise<void> {
    // As the memory persistence does: the stored will names its client and this broker, which
    // is how a restarted broker (another id) knows the will is orphaned and publishes it.
    packet.brokerId = this.#broker?.id;
    packet.clientId = client.id;
    const stored = encodePacket(packet);
    return this.#group.run(() => void this.#s.willPut.run(client.id, packet.brokerId ?? null, stored.meta, stored.payload, stored.payloadKind));
  }

  async getWill(client: ClientRef): Promise<PacketLike | undefined> {
    const row = this.#s.willGet.get(client.id) as PacketRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  delWill(client: ClientRef): Promise<PacketLike | undefined> {
    return this.#group.run(() => {
      const row = this.#s.willDel.get(client.id) as PacketRow | undefined;
      return row === undefined ? undefined : fromRow(row);
    });
  }

  streamWill(brokers: Record<string, unknown> = {}): Readable {
    const rows = this.#s.willsAll.all() as (PacketRow & { broker_id: string | null })[];
    return Readable.from(rows.filter((r) => r.broker_id === null || !brokers[r.broker_id]).map(fromRow));
  }

  getClientList(topic: string): Readable {
    return Readable.from(this.#subs.clientsOf(topic));
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#group.commit();
    this.#db.close();
  }
}
