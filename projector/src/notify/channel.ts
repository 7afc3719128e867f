/** What every channel does: send one notification, or throw a NotifyError saying why not. */
import type { Alert } from '@sitrep/schemas';

export type NotifyKind = 'opened' | 'closed' | 'repeat';
export type NotifyEvent = `alert.${NotifyKind}`;

/** One notification for one channel, as taken from the outbox. */
export interface Delivery {
  /** The outbox row id: unique per hub database, the same on every retry of this notification. */
  id: number;
  event: NotifyEvent;
  alert: Alert;
  /** Closings only. */
  closedAt?: number;
}

export interface Channel {
  readonly name: string;
  /**
   * Resolves when the receiver accepted the notification. `signal` aborts on the notifier's stop;
   * the channel adds its own timeout. Rejects with a NotifyError.
   */
  send(delivery: Delivery, signal: AbortSignal): Promise<void>;
  /** Frees connections; sends after it fail. */
  close(): void;
}
