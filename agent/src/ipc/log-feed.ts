/**
 * Log lines as they are published (supervised processes and units alike), fanned out to the
 * local followers of `sitrep logs -f`. Holds no lines itself: the tails come from the ring
 * buffers (processes) and the journal (units).
 */
import type { LogBatch } from '@sitrep/schemas';

export type FeedLine = LogBatch['lines'][number];
export type FeedListener = (lines: readonly FeedLine[]) => void;

export class LogFeed {
  private readonly listeners = new Map<string, Set<FeedListener>>();

  push(source: string, lines: readonly FeedLine[]): void {
    if (lines.length === 0) return;
    for (const fn of this.listeners.get(source) ?? []) fn(lines);
  }

  /** Calls `fn` with every later batch of `source`; returns the unsubscribe. */
  follow(source: string, fn: FeedListener): () => void {
    let set = this.listeners.get(source);
    if (set === undefined) this.listeners.set(source, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.listeners.delete(source);
    };
  }

  get followers(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
