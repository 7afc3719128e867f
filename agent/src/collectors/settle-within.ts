/** Waiting for I/O that may never finish (a hung NFS server, a stuck sensor driver). */

export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * The promise's value, or TIMED_OUT after `ms`. The operation itself cannot be cancelled (a
 * blocked statfs keeps its libuv thread), so callers must not start it again while it is still
 * pending: see the in-flight sets in disk-usage.ts and sys-temperatures.ts.
 */
export async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
