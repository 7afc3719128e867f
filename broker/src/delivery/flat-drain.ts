/**
 * aedes' message bus (mqemitter 7) drains its backlog by recursion: when a delivery slot frees,
 * `released` calls `_do` for the next queued message, and a message whose listeners all finish
 * at once (no subscriber, or only synchronous ones) frees its slot inside that very call, which
 * starts the next one, and so on down the stack. A backlog of a few thousand such messages
 * overflows it (RangeError: Maximum call stack size exceeded; mcollina/mqemitter#204, open):
 * that killed the hub when a fleet of 3,500 agents disconnected at once.
 *
 * This turns the recursion into a loop without changing what is delivered or in which order: a
 * `_do` called while another runs is queued, and the outermost call runs the queue in order.
 * The concurrency bound (aedes' back-pressure) is untouched: `_do` is only ever entered where
 * mqemitter would have entered it.
 */

type Do = (message: unknown, callback: unknown) => unknown;

/** Makes `mq` (an aedes instance's `mq`) drain its backlog in a loop; false when its internals are not the expected ones. */
export function flattenMqDrain(mq: unknown): boolean {
  const bus = mq as { _do?: Do };
  const run = bus._do;
  if (typeof run !== 'function') return false;
  let pending: [unknown, unknown][] | null = null;
  bus._do = function flatDo(this: unknown, message, callback) {
    if (pending !== null) {
      pending.push([message, callback]);
      return this;
    }
    pending = [[message, callback]];
    try {
      for (let i = 0; i < pending.length; i++) {
        const [m, cb] = pending[i]!;
        run.call(this, m, cb);
      }
    } finally {
      pending = null;
    }
    return this;
  };
  return true;
}
