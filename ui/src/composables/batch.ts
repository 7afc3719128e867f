/**
 * Coalesces bursts of live updates into one reactive change per interval, so 500 messages a second
 * cost a few renders, not 500. Tests pass a scheduler that runs at once.
 */
import { nextTick } from 'vue';

export type Schedule = (run: () => void) => void;

export const FLUSH_MS = 100;
export const defaultSchedule: Schedule = (run) => {
  setTimeout(run, FLUSH_MS);
};

export interface FlushClockOptions {
  /** The shortest interval between flushes, ms. */
  readonly minMs: number;
  /** The longest, ms: how late a change may be shown while the page is busiest. */
  readonly maxMs: number;
  /** The share of the main thread that folding and rendering may take (0-1). */
  readonly share: number;
  readonly now: () => number;
  readonly timer: (run: () => void, ms: number) => void;
  /** Calls back once the change made by a flush has been rendered. */
  readonly afterRender: (done: () => void) => void;
}

/** A hidden tab gets no animation frames: past this, the flush counts as rendered anyway. */
const FRAME_WAIT_MS = 1000;

/**
 * Waits for Vue's render of the flush, then for the browser's frame (style, layout, paint), which
 * cost more than the JavaScript when thousands of cells change. Without the time limit a hidden
 * tab would stop folding and keep every message in memory until it is shown again.
 */
export const afterVueAndFrame = (done: () => void): void => {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    clearTimeout(limit);
    done();
  };
  const limit = setTimeout(once, FRAME_WAIT_MS);
  void nextTick(() => {
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(once, 0));
    else once();
  });
};

export const FLUSH_CLOCK: FlushClockOptions = {
  minMs: FLUSH_MS,
  maxMs: 500,
  share: 0.25,
  now: () => performance.now(),
  timer: (run, ms) => void setTimeout(run, ms),
  afterRender: afterVueAndFrame,
};

/**
 * One clock for the stores that feed the same views (fleet and items): every batch due runs in
 * the same tick, so the page renders once per interval, not once per store. The interval
 * stretches with what the last flush cost up to its render, keeping that work near `share` of
 * the main thread. At connect the broker sends the retained state of the whole fleet at once
 * (11,500 messages for 500 nodes x 20 services); folding and re-rendering the fleet every 100 ms
 * then took most of the thread away from reading the socket, and the full grid came seconds late.
 */
export function createFlushClock(opts: FlushClockOptions = FLUSH_CLOCK): Schedule {
  let queue: (() => void)[] = [];
  let armed = false;
  let delay = opts.minMs;
  const fire = () => {
    const runs = queue;
    queue = [];
    const t0 = opts.now();
    // Each run on its own: a batch whose run was skipped would never be scheduled again.
    const errors: unknown[] = [];
    for (const run of runs) {
      try {
        run();
      } catch (err) {
        errors.push(err);
      }
    }
    opts.afterRender(() => {
      const cost = opts.now() - t0;
      delay = Math.min(opts.maxMs, Math.max(opts.minMs, (cost * (1 - opts.share)) / opts.share));
      armed = false;
      // Items pushed while this flush was rendering wait for the next interval.
      if (queue.length > 0) arm();
    });
    if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'flushes failed');
  };
  const arm = () => {
    armed = true;
    opts.timer(fire, delay);
  };
  return (run) => {
    queue.push(run);
    if (!armed) arm();
  };
}

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
