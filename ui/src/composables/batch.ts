/**
 * Coalesces bursts of live updates into one reactive change per interval, so 500 messages a second
 * cost a few renders, not 500. Tests pass a scheduler that runs at once.
 */
export type Schedule = (run: () => void) => void;

export const FLUSH_MS = 100;
export const defaultSchedule: Schedule = (run) => {
  setTimeout(run, FLUSH_MS);
};

export function createBatch<T>(flush: (items: T[]) => void, schedule: Schedule = defaultSchedule): { push(item: T): void; clear(): void } {
  let pending: T[] = [];
  let scheduled = false;
  let epoch = 0;
  return {
    push(item) {
      pending.push(item);
      if (scheduled) return;
      scheduled = true;
      const mine = epoch;
      schedule(() => {
        if (mine !== epoch) return;
        scheduled = false;
        const items = pending;
        pending = [];
        flush(items);
      });
    },
    clear() {
      epoch += 1;
      pending = [];
      scheduled = false;
    },
  };
}
