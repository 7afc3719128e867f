/**
 * The notification outbox: one row per notification and channel. The projector inserts rows in the
 * transaction that records the alert change (a plain synchronous insert), the notifier's worker
 * delivers them later. Not derived from the event log: never dropped by a rebuild.
 *
 * A row is pending while it is neither delivered, given up nor cancelled. Rows of one alert on one
 * channel go out in insertion order: a row waits while an older one of the same alert is pending.
 */
import type { Alert } from '@sitrep/schemas';
import type { NotifyKind } from './channel.js';
import type { Db, Projection } from '../projections/projection.js';

export const NOTIFY_OUTBOX_DDL = `
  CREATE TABLE IF NOT EXISTS notify_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    -- The alert's openedAt: with alert_id, one occurrence of the alert (ids are reused when it reopens).
    opened_at INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opened', 'closed', 'repeat')),
    -- JSON: { alert, closedAt? }
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    -- Set while a delivery runs; cleared by its outcome, and on start (a crash mid-delivery).
    claimed_at INTEGER,
    delivered_at INTEGER,
    given_up_at INTEGER,
    cancelled_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS notify_outbox_due ON notify_outbox (channel, due_at)
    WHERE delivered_at IS NULL AND given_up_at IS NULL AND cancelled_at IS NULL;
  CREATE INDEX IF NOT EXISTS notify_outbox_alert ON notify_outbox (channel, alert_id, opened_at);
`;

/** For the projector's list of tables to create; no events, no rebuild. */
export const notifyOutbox: Projection = { name: 'notify-outbox', ddl: NOTIFY_OUTBOX_DDL };

export interface OutboxRow {
  id: number;
  channel: string;
  alert_id: string;
  opened_at: number;
  kind: NotifyKind;
  payload: string;
  created_at: number;
  due_at: number;
  attempts: number;
  last_error: string | null;
  claimed_at: number | null;
  delivered_at: number | null;
  given_up_at: number | null;
  cancelled_at: number | null;
}

export interface OutboxPayload {
  alert: Alert;
  closedAt?: number;
}

export interface NewOutboxRow {
  channel: string;
  kind: NotifyKind;
  alert: Alert;
  closedAt?: number;
  createdAt: number;
  dueAt: number;
}

const PENDING = (t: string) => `${t}.delivered_at IS NULL AND ${t}.given_up_at IS NULL AND ${t}.cancelled_at IS NULL`;
const OCCURRENCE = 'channel = @channel AND alert_id = @alertId AND opened_at = @openedAt';

export interface Occurrence {
  channel: string;
  alertId: string;
  openedAt: number;
}

export type Outbox = ReturnType<typeof createOutbox>;

/** Statements over `notify_outbox`; creates the table if it is missing. */
export function createOutbox(db: Db) {
  db.exec(NOTIFY_OUTBOX_DDL);
  const insert = db.prepare(
    `INSERT INTO notify_outbox (channel, alert_id, opened_at, kind, payload, created_at, due_at)
     VALUES (@channel, @alertId, @openedAt, @kind, @payload, @createdAt, @dueAt)`,
  );
  const has = db.prepare(`SELECT 1 FROM notify_outbox WHERE ${OCCURRENCE} AND kind = @kind LIMIT 1`).pluck();
  const closed = db
    .prepare(
      `SELECT 1 FROM notify_outbox WHERE ${OCCURRENCE}
         AND (kind = 'closed' OR (kind = 'opened' AND cancelled_at IS NOT NULL)) LIMIT 1`,
    )
    .pluck();
  const pendingOf = db.prepare(
    `SELECT * FROM notify_outbox o WHERE ${OCCURRENCE} AND kind = @kind AND ${PENDING('o')} AND claimed_at IS NULL
     ORDER BY id LIMIT 1`,
  );
  const cancelOf = db.prepare(
    `UPDATE notify_outbox SET cancelled_at = @now, last_error = @reason
     WHERE ${OCCURRENCE} AND kind IN (SELECT value FROM json_each(@kinds)) AND ${PENDING('notify_outbox')} AND claimed_at IS NULL`,
  );
  const due = db.prepare(
    `SELECT * FROM notify_outbox o
     WHERE o.channel = @channel AND o.due_at <= @now AND o.claimed_at IS NULL AND ${PENDING('o')}
       AND NOT EXISTS (SELECT 1 FROM notify_outbox p
                       WHERE p.channel = o.channel AND p.alert_id = o.alert_id AND p.id < o.id AND ${PENDING('p')})
     ORDER BY o.due_at, o.id LIMIT @limit`,
  );
  const claim = db.prepare('UPDATE notify_outbox SET claimed_at = @now WHERE id = @id AND claimed_at IS NULL');
  const delivered = db.prepare(
    'UPDATE notify_outbox SET delivered_at = @now, attempts = attempts + 1, claimed_at = NULL WHERE id = @id',
  );
  const failed = db.prepare(
    'UPDATE notify_outbox SET attempts = attempts + 1, last_error = @error, due_at = @dueAt, claimed_at = NULL WHERE id = @id',
  );
  const gaveUp = db.prepare(
    'UPDATE notify_outbox SET attempts = attempts + 1, last_error = @error, given_up_at = @now, claimed_at = NULL WHERE id = @id',
  );
  const release = db.prepare('UPDATE notify_outbox SET claimed_at = NULL WHERE id = @id');
  const releaseAll = db.prepare('UPDATE notify_outbox SET claimed_at = NULL WHERE claimed_at IS NOT NULL');
  const orphans = db.prepare(
    `UPDATE notify_outbox SET given_up_at = @now, last_error = 'NOTIFY_NO_CHANNEL: channel is not configured'
     WHERE ${PENDING('notify_outbox')} AND channel NOT IN (SELECT value FROM json_each(@channels))`,
  );
  const prune = db.prepare(`DELETE FROM notify_outbox WHERE NOT (${PENDING('notify_outbox')}) AND created_at < @before`);

  return {
    /** The new row's id. */
    enqueue(row: NewOutboxRow): number {
      const payload: OutboxPayload = row.closedAt === undefined ? { alert: row.alert } : { alert: row.alert, closedAt: row.closedAt };
      const result = insert.run({
        channel: row.channel,
        alertId: row.alert.id,
        openedAt: row.alert.openedAt,
        kind: row.kind,
        payload: JSON.stringify(payload),
        createdAt: row.createdAt,
        dueAt: row.dueAt,
      });
      return Number(result.lastInsertRowid);
    },
    /** A row of `kind` exists for the occurrence, whatever its state. */
    has: (o: Occurrence, kind: NotifyKind): boolean => has.get({ ...o, kind }) !== undefined,
    /** The occurrence was closed on this channel (a closing row, or its opening cancelled). */
    isClosed: (o: Occurrence): boolean => closed.get(o) !== undefined,
    /** The pending, unclaimed row of `kind` for the occurrence. */
    pending: (o: Occurrence, kind: NotifyKind): OutboxRow | undefined => pendingOf.get({ ...o, kind }) as OutboxRow | undefined,
    /** Cancels the occurrence's pending, unclaimed rows of these kinds; how many. */
    cancel: (o: Occurrence, kinds: readonly NotifyKind[], now: number, reason: string): number =>
      cancelOf.run({ ...o, kinds: JSON.stringify(kinds), now, reason }).changes,
    /** Pending, unclaimed rows of `channel` due at `now`, each the oldest pending of its alert. */
    due: (channel: string, now: number, limit: number): OutboxRow[] => due.all({ channel, now, limit }) as OutboxRow[],
    /** False when another worker (or a race) claimed it first. */
    claim: (id: number, now: number): boolean => claim.run({ id, now }).changes === 1,
    delivered: (id: number, now: number): void => void delivered.run({ id, now }),
    failed: (id: number, error: string, dueAt: number): void => void failed.run({ id, error, dueAt }),
    gaveUp: (id: number, error: string, now: number): void => void gaveUp.run({ id, error, now }),
    release: (id: number): void => void release.run({ id }),
    /** Claims left by a process that died mid-delivery; those rows are tried again (at least once). */
    releaseAll: (): number => releaseAll.run().changes,
    /** Gives up pending rows of channels no longer configured; how many. */
    giveUpOrphans: (channels: readonly string[], now: number): number => orphans.run({ channels: JSON.stringify(channels), now }).changes,
    /** Deletes finished rows created before `before`; how many. */
    prune: (before: number): number => prune.run({ before }).changes,
  };
}

export interface OutboxFilter {
  channel?: string;
  alertId?: string;
  limit?: number;
}

/** Newest first. */
export function listOutbox(db: Db, filter: OutboxFilter = {}): OutboxRow[] {
  return db
    .prepare(
      `SELECT * FROM notify_outbox
       WHERE (@channel IS NULL OR channel = @channel) AND (@alertId IS NULL OR alert_id = @alertId)
       ORDER BY id DESC LIMIT @limit`,
    )
    .all({ channel: filter.channel ?? null, alertId: filter.alertId ?? null, limit: filter.limit ?? 100 }) as OutboxRow[];
}
