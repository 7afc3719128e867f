import type { LogFields, Logger } from '@sitrep/schemas';

/**
 * Logs a repeated warning at most once per interval, with how many were suppressed since, so a
 * flood of refused connections cannot flood the log too.
 */
export function throttledWarn(log: Logger, message: string, everyMs = 1000): (fields: LogFields) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (fields) => {
    const now = Date.now();
    if (now - last < everyMs) {
      suppressed++;
      return;
    }
    log.warn(message, suppressed > 0 ? { ...fields, suppressed } : fields);
    last = now;
    suppressed = 0;
  };
}
