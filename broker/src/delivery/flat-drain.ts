/**
 * aedes' message bus (mqemitter 7) drains its backlog by recursion: when a delivery slot frees,
 * `released` calls `_do` for the next queued message, and a message whose listeners all finish
 * at once (no subscriber, or only synchronous ones) frees its slot inside that very call, which
 * starts the next one, and so on down the stack. A backlog of a few thousand such messages
 * overflows it (RangeError: Maximum call stack size exceeded; mcollina/mqemitter#204, open):
 * that killed the hub when a fleet of 3,500 agents disconnected at once.
 *
 * This turns the recursion into a loop without changing what is delivered: a `_do` called while
 * another runs is queued, and the outermost call runs the queue in order (so a message emitted by a
 * listener now reaches listeners after the message being delivered, not in the middle of it). The
 * concurrency bound (aedes' back-pressure) holds: mqemitter counts a message in `current` inside
 * `_do`, so a queued one takes its slot at once and gives it back just before it runs (where `_do`
 * takes it again); `emit` sees the same count as without the queue.
 */

type Do = (this: { current: number }, message: unknown, callback: unknown) => unknown;

/** Makes `mq` (an aedes instance's `mq`) drain its backlog in a loop; false when its internals are not the expected ones. */
export function flattenMqDrain(mq: unknown): boolean {
  const bus = mq as { _do?: Do };
  const run = bus._do;
  if (typeof run !== 'function') return false;
  let pending: [unknown, unknown][] | null = null;
  bus._do = function flatDo(this: { current: number }, message, callback) {
    if (pending !== null) {
      this.current++; // its slot, held while it waits
      pending.push([message, callback]);
      return this;
    }
    pending = [[message, callback]];
    try {
      for (let i = 0; i < pending.length; i++) {
        const [m, cb] = pending[i]!;
        if (i > 0) this.current--; // `_do` counts it again
        run.call(this, m, cb);
      }
    } finally {
      pending = null;
    }
    return this;
  };
  return true;
}
