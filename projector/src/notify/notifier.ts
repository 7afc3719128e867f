/**
 * Alert notifications. The projector calls `alertOpened` / `alertClosed`, which only insert outbox
 * rows (one per channel, synchronously, in the caller's transaction); a worker delivers them later.
 *
 * The worker runs every `pollInterval` and soon after each enqueue. A pass is synchronous: it picks
 * due rows and starts their deliveries, so passes never overlap; at most `concurrency` deliveries
 * run per channel, so a slow or failing channel never holds up another. A failed delivery is tried
 * again after a backoff until `retry.maxAttempts`, then given up (and logged).
 *
 * Quiet hours: nothing is delivered while quiet; what is due waits for the end. A closing during
 * quiet hours whose opening is still undelivered cancels both (and reminders) on that channel.
 * Repeat: after an opening (or a reminder) is delivered, a reminder is queued `repeat` later on
 * that channel, as long as the alert has not closed.
 *
 * Delivery is at least once: a crash or stop mid-delivery sends that notification again.
 */
import type { Alert, Logger } from '@sitrep/schemas';
import type { Db } from '../projections/projection.js';
import { backoffDelay } from './backoff.js';
import type { Channel, Delivery, NotifyKind } from './channel.js';
import { createChannel } from './channels.js';
import type { NotifyConfig } from './config.js';
import type { SendMail } from './email.js';
import { asNotifyError, describeError, NotifyError } from './errors.js';
import type { Fetch } from './http.js';
import { createOutbox, type Occurrence, type OutboxPayload, type OutboxRow } from './outbox.js';
import { quietHoursCheck } from './quiet-hours.js';

export interface NotifierOptions {
  db: Db;
  config: NotifyConfig;
  log: Logger;
  /** Milliseconds since the epoch. Default Date.now. */
  now?: () => number;
  /** Used by the webhook and ntfy channels. Default: the global fetch. */
  fetch?: Fetch;
  /** Replaces SMTP for every email channel. */
  sendMail?: SendMail;
  /** How often the worker looks for due rows, in ms. Default 1000. */
  pollInterval?: number;
  /** Deliveries running at once per channel. Default 2. */
  concurrency?: number;
  /** [0, 1), for the backoff jitter. Default Math.random. */
  random?: () => number;
}

export interface Notifier {
  /** Queues an opening on every channel. Synchronous; throws only if SQLite does. Idempotent per alert occurrence. */
  alertOpened(alert: Alert): void;
  /** Queues a closing on every channel and stops reminders. Synchronous; throws only if SQLite does. Idempotent. */
  alertClosed(alert: Alert, closedAt: number): void;
  /** Starts the worker (timers are unref'd). */
  start(): void;
  /** Stops the worker, aborts running deliveries (they are tried again after the next start) and waits for them. Call before closing the database. */
  stop(): Promise<void>;
  /** Delivers what is due now, again until nothing more is, and resolves when those deliveries are done. */
  flush(): Promise<void>;
}

/** Finished rows are deleted this long after they were created. */
export const OUTBOX_RETENTION_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** flush() stops after this many rounds even if more keeps coming due. */
const FLUSH_ROUNDS = 100;

export function createNotifier(opts: NotifierOptions): Notifier {
  const { db, config } = opts;
  const log = opts.log.child('notify');
  const now = opts.now ?? Date.now;
  const pollInterval = opts.pollInterval ?? 1000;
  const concurrency = opts.concurrency ?? 2;
  const random = opts.random ?? Math.random;
  const outbox = createOutbox(db);
  const isQuiet = quietHoursCheck(config.quietHours);
  const deps = { fetch: opts.fetch ?? globalThis.fetch, sendMail: opts.sendMail };
  const channels = new Map<string, Channel>(config.channels.map((c) => [c.name, createChannel(c, deps)]));
  const running = new Map<string, Set<Promise<void>>>([...channels.keys()].map((name) => [name, new Set()]));
  const stopper = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopping: Promise<void> | undefined;
  let lastPrune = Number.NEGATIVE_INFINITY;

  const occurrence = (channel: string, alert: Alert): Occurrence => ({ channel, alertId: alert.id, openedAt: alert.openedAt });

  function schedule(ms: number): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(tick, ms);
    timer.unref();
  }

  /** After an enqueue or a finished delivery: look again soon, outside the caller's transaction. */
  function kick(): void {
    if (started && stopping === undefined) schedule(0);
  }

  function tick(): void {
    timer = undefined;
    if (stopping !== undefined) return;
    try {
      pass();
    } catch (err) {
      log.error('worker pass failed', { error: asNotifyError(err).message });
    }
    if (stopping === undefined) schedule(pollInterval);
  }

  /** Claims due rows and starts their deliveries; never waits for them. */
  function pass(): void {
    const t = now();
    prune(t);
    if (isQuiet(t)) return;
    for (const [name, channel] of channels) {
      const inFlight = running.get(name)!;
      const free = concurrency - inFlight.size;
      if (free <= 0) continue;
      for (const row of outbox.due(name, t, free)) {
        if (!outbox.claim(row.id, t)) continue;
        const delivery = deliver(row, channel).finally(() => {
          inFlight.delete(delivery);
          kick();
        });
        inFlight.add(delivery);
      }
    }
  }

  function prune(t: number): void {
    if (t - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = t;
    const deleted = outbox.prune(t - OUTBOX_RETENTION_MS);
    if (deleted > 0) log.info('pruned finished notifications', { count: deleted });
  }

  /** Never rejects: every outcome is recorded on the row. */
  async function deliver(row: OutboxRow, channel: Channel): Promise<void> {
    let delivery: Delivery | undefined;
    let failure: NotifyError | undefined;
    try {
      const payload = JSON.parse(row.payload) as OutboxPayload;
      delivery = { id: row.id, event: `alert.${row.kind}`, alert: payload.alert, closedAt: payload.closedAt };
      await channel.send(delivery, stopper.signal);
    } catch (err) {
      failure = asNotifyError(err);
    }
    // The answer may land while the projector's consumer holds its batch transaction open (it
    // commits within the same event-loop turn); write the outcome from a timer, after that commit.
    if (db.inTransaction) await new Promise((resolve) => setTimeout(resolve, 0));
    try {
      record(row, delivery, failure);
    } catch (err) {
      log.error('could not record a delivery outcome', { channel: row.channel, alert: row.alert_id, kind: row.kind, error: asNotifyError(err).message });
    }
  }

  function record(row: OutboxRow, delivery: Delivery | undefined, failure: NotifyError | undefined): void {
    const t = now();
    const attempt = row.attempts + 1;
    const fields = { channel: row.channel, alert: row.alert_id, kind: row.kind, attempt };
    if (failure === undefined && delivery !== undefined) {
      outbox.delivered(row.id, t);
      log.info('delivered', fields);
      queueReminder(row, delivery.alert, t);
      return;
    }
    const err = failure ?? new NotifyError('NOTIFY_FAILED', 'no delivery');
    if (err.code === 'NOTIFY_STOPPED') {
      outbox.release(row.id);
      return;
    }
    const error = describeError(err);
    if (attempt >= config.retry.maxAttempts) {
      outbox.gaveUp(row.id, error, t);
      log.error('gave up on a notification', { ...fields, error });
      return;
    }
    const wait = backoffDelay(attempt, config.retry, random);
    outbox.failed(row.id, error, t + wait);
    log.warn('delivery failed, will retry', { ...fields, error, retryInMs: wait });
  }

  function queueReminder(row: OutboxRow, alert: Alert, t: number): void {
    if (config.repeat === undefined || row.kind === 'closed') return;
    const every = config.repeat;
    db.transaction(() => {
      const o = occurrence(row.channel, alert);
      if (outbox.isClosed(o) || outbox.pending(o, 'repeat') !== undefined) return;
      outbox.enqueue({ channel: row.channel, kind: 'repeat', alert, createdAt: t, dueAt: t + every });
    })();
  }

  function enqueueEverywhere(alert: Alert, kind: NotifyKind, closedAt?: number): void {
    const t = now();
    const quiet = isQuiet(t);
    db.transaction(() => {
      for (const channel of channels.keys()) {
        const o = occurrence(channel, alert);
        if (kind === 'opened') {
          if (outbox.has(o, 'opened')) continue;
        } else {
          if (outbox.isClosed(o)) continue;
          if (quiet && outbox.pending(o, 'opened') !== undefined) {
            outbox.cancel(o, ['opened', 'repeat'], t, 'cancelled: the alert closed during quiet hours before its opening was delivered');
            log.info('held opening cancelled: the alert closed during quiet hours', { channel, alert: alert.id });
            continue;
          }
          outbox.cancel(o, ['repeat'], t, 'cancelled: the alert closed');
        }
        outbox.enqueue({ channel, kind, alert, closedAt, createdAt: t, dueAt: t });
      }
    })();
    kick();
  }

  function allRunning(): Promise<void>[] {
    return [...running.values()].flatMap((set) => [...set]);
  }

  return {
    alertOpened(alert) {
      if (channels.size > 0) enqueueEverywhere(alert, 'opened');
    },
    alertClosed(alert, closedAt) {
      if (channels.size > 0) enqueueEverywhere(alert, 'closed', closedAt);
    },
    start() {
      if (started || stopping !== undefined) return;
      started = true;
      const released = outbox.releaseAll();
      const orphaned = outbox.giveUpOrphans([...channels.keys()], now());
      if (orphaned > 0) log.warn('gave up notifications of channels no longer configured', { count: orphaned });
      log.info('started', { channels: channels.size, retried: released });
      schedule(0);
    },
    stop() {
      stopping ??= (async () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        stopper.abort(new NotifyError('NOTIFY_STOPPED', 'the notifier stopped'));
        await Promise.all(allRunning());
        for (const channel of channels.values()) channel.close();
      })();
      return stopping;
    },
    async flush() {
      for (let round = 0; round < FLUSH_ROUNDS && stopping === undefined; round++) {
        pass();
        const inFlight = allRunning();
        if (inFlight.length === 0) return;
        await Promise.all(inFlight);
      }
    },
  };
}
