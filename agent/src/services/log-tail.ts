/**
 * The retained `logs/{id}/tail` snapshots: the last lines of each supervised process, so that a
 * subscriber who comes late (a dashboard opened now, `mosquitto_sub`) sees them at once, while
 * `logs/{id}` itself stays a stream of batches that nobody replays.
 *
 * Rate: new lines publish a snapshot at once when none went out in the last `everyMs`, otherwise
 * one snapshot at the end of that period with whatever came meanwhile (leading and trailing
 * edge), so a chatty process costs at most one retained message per period.
 */
import type { LogBatch } from '@sitrep/schemas';

type Line = LogBatch['lines'][number];

export interface TailPublisherOptions {
  /** Lines per snapshot (the contract says 100). */
  lines: number;
  everyMs: number;
  /** The last `n` lines of a source, oldest first. */
  read(id: string, n: number): Line[];
  /** null clears the retained snapshot. */
  publish(id: string, lines: Line[] | null): void;
}

export class TailPublisher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly dirty = new Set<string>();

  constructor(private readonly o: TailPublisherOptions) {}

  /** `id` has new lines. */
  changed(id: string): void {
    if (this.timers.has(id)) {
      this.dirty.add(id);
      return;
    }
    this.publishNow(id);
  }

  /** Publish every snapshot again (after a reconnect: the broker may have lost them). */
  republish(ids: readonly string[]): void {
    for (const id of ids) if (this.o.read(id, 1).length > 0) this.publishNow(id);
  }

  /** `id` is gone: no more snapshots, and clear the retained one. */
  clear(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.dirty.delete(id);
    this.o.publish(id, null);
  }

  /** Publish what is pending now and stop the timers. */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    const pending = [...this.dirty];
    this.dirty.clear();
    for (const id of pending) this.o.publish(id, this.o.read(id, this.o.lines));
  }

  private publishNow(id: string): void {
    this.dirty.delete(id);
    this.o.publish(id, this.o.read(id, this.o.lines));
    clearTimeout(this.timers.get(id));
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        if (this.dirty.has(id)) this.publishNow(id);
      }, this.o.everyMs),
    );
  }
}
