/**
 * Persistent sessions' subscriptions: rows in SQLite (restored on reconnect), and the QoS > 0 ones
 * also in a qlobber trie in memory, matched on every QoS > 0 publish, as in aedes' memory
 * persistence (same trie class, so the same match order).
 */
import QlobberSub from 'qlobber/aedes/qlobber-sub.js';
import type { Db } from './schema.js';
import { QLOBBER_OPTIONS } from './topics.js';

export interface Subscription {
  topic: string;
  qos: number;
  rh?: number | undefined;
  rap?: boolean | undefined;
  nl?: boolean | undefined;
  subscriptionIdentifier?: number;
}

interface SubscriptionRow {
  topic: string;
  qos: number;
  rh: number | null;
  rap: number | null;
  nl: number | null;
  sub_id: number | null;
}

const bool = (v: boolean | undefined): number | null => (v === undefined ? null : v ? 1 : 0);
const unbool = (v: number | null): boolean | undefined => (v === null ? undefined : v === 1);

export class Subscriptions {
  readonly #db: Db;
  readonly #trie = new QlobberSub(QLOBBER_OPTIONS);
  readonly #s;

  constructor(db: Db) {
    this.#db = db;
    this.#s = {
      get: db.prepare('SELECT qos FROM subscriptions WHERE client_id = ? AND topic = ?'),
      put: db.prepare(
        `INSERT INTO subscriptions (client_id, topic, qos, rh, rap, nl, sub_id) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (client_id, topic) DO UPDATE SET qos = excluded.qos, rh = excluded.rh, rap = excluded.rap, nl = excluded.nl, sub_id = excluded.sub_id`,
      ),
      del: db.prepare('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?'),
      of: db.prepare('SELECT topic, qos, rh, rap, nl, sub_id FROM subscriptions WHERE client_id = ? ORDER BY id'),
      delAll: db.prepare('DELETE FROM subscriptions WHERE client_id = ?'),
      matchable: db.prepare('SELECT client_id, topic, qos, rh, rap, nl FROM subscriptions WHERE qos > 0'),
      clientsCount: db.prepare('SELECT COUNT(DISTINCT client_id) AS n FROM subscriptions'),
      clientsOf: db.prepare('SELECT client_id FROM subscriptions WHERE topic = ? ORDER BY id'),
    };
  }

  /** Fill the trie from the file (at broker start). */
  load(): void {
    for (const row of this.#s.matchable.all() as (SubscriptionRow & { client_id: string })[]) {
      this.#trie.add(row.topic, { clientId: row.client_id, topic: row.topic, qos: row.qos, rh: row.rh ?? undefined, rap: unbool(row.rap), nl: unbool(row.nl) });
    }
  }

  add(clientId: string, subs: readonly Subscription[]): void {
    const trieOps: (() => void)[] = [];
    this.#db.transaction(() => {
      for (const sub of subs) {
        const before = this.#s.get.get(clientId, sub.topic) as { qos: number } | undefined;
        this.#s.put.run(clientId, sub.topic, sub.qos, sub.rh ?? null, bool(sub.rap), bool(sub.nl), sub.subscriptionIdentifier ?? null);
        const entry = { clientId, topic: sub.topic, qos: sub.qos, rh: sub.rh, rap: sub.rap, nl: sub.nl };
        // Only QoS > 0 subscriptions are matched for offline queueing, as in the memory persistence.
        if (sub.qos > 0) trieOps.push(() => this.#trie.add(sub.topic, entry));
        else if ((before?.qos ?? 0) > 0) trieOps.push(() => this.#trie.remove(sub.topic, entry));
      }
    })();
    for (const op of trieOps) op();
  }

  remove(clientId: string, topics: readonly string[]): void {
    const removed: { topic: string; qos: number }[] = [];
    this.#db.transaction(() => {
      for (const topic of topics) {
        const before = this.#s.get.get(clientId, topic) as { qos: number } | undefined;
        if (before === undefined) continue;
        this.#s.del.run(clientId, topic);
        removed.push({ topic, qos: before.qos });
      }
    })();
    for (const r of removed) if (r.qos > 0) this.#trie.remove(r.topic, { clientId, topic: r.topic });
  }

  removeAll(clientId: string): void {
    const subs = this.#s.of.all(clientId) as SubscriptionRow[];
    this.#s.delAll.run(clientId);
    for (const sub of subs) if (sub.qos > 0) this.#trie.remove(sub.topic, { clientId, topic: sub.topic });
  }

  byClient(clientId: string): Subscription[] {
    return (this.#s.of.all(clientId) as SubscriptionRow[]).map((row) => {
      const sub: Subscription = { topic: row.topic, qos: row.qos, rh: row.rh ?? undefined, rap: unbool(row.rap), nl: unbool(row.nl) };
      if (row.sub_id !== null) sub.subscriptionIdentifier = row.sub_id;
      return sub;
    });
  }

  match(topic: string): unknown[] {
    return this.#trie.match(topic);
  }

  counts(): { subsCount: number; clientsCount: number } {
    const { n } = this.#s.clientsCount.get() as { n: number };
    return { subsCount: this.#trie.subscriptionsCount, clientsCount: n };
  }

  /** Clients with a subscription to exactly `topic`, in subscription order. */
  clientsOf(topic: string): string[] {
    return (this.#s.clientsOf.all(topic) as { client_id: string }[]).map((r) => r.client_id);
  }
}
