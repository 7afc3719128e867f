/**
 * Group commit: the writes of one event-loop turn share one SQLite transaction, committed in a
 * `setImmediate`, and each write's promise settles only after that commit. A QoS 1 message to a
 * persistent session costs three writes (enqueue, packet id, acknowledgement) that touch the same
 * pages; committing them together writes each page once instead of once per statement, with the
 * same guarantee: aedes hears "stored" only once the data is in the WAL.
 */
import type { Db } from './schema.js';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class GroupCommit {
  readonly #db: Db;
  #waiters: Waiter[] = [];
  #open = false;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Run `write` inside the current group; the promise settles after the group commits. */
  run<T>(write: () => T): Promise<T> {
    let value: T;
    try {
      // Inside the try: aedes calls some methods without a catch for a synchronous throw
      // (e.g. a client closing after the database did).
      if (!this.#open) {
        this.#db.exec('BEGIN IMMEDIATE');
        this.#open = true;
        setImmediate(() => this.commit());
      }
      value = write();
    } catch (err) {
      // SQLite undid the failed statement alone; the group's other writes stand.
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => this.#waiters.push({ resolve: () => resolve(value), reject }));
  }

  /** Commit the open group now (also called before closing the database). */
  commit(): void {
    if (!this.#open) return;
    this.#open = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    try {
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      for (const w of waiters) w.reject(err);
      return;
    }
    for (const w of waiters) w.resolve();
  }
}
