/**
 * Runs until SIGINT or SIGTERM, then stops cleanly. A second signal during shutdown exits at once,
 * so a hung shutdown never traps the user. A part that dies on its own (`died`, e.g. the hub's
 * projector thread) stops the rest cleanly too, and then rejects with why: the command exits 1.
 */
import type { Logger } from '@sitrep/schemas';

export function runUntilSignal(log: Logger, stop: () => Promise<void>, died?: Promise<Error>): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    // The handlers stay until stopping has finished: a signal meanwhile is the "second signal".
    const detach = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn('second signal: exiting without waiting', { signal });
        process.exit(130);
      }
      stopping = true;
      log.info('stopping', { signal });
      stop().then(
        () => {
          detach();
          log.info('stopped cleanly');
          resolve();
        },
        (err: unknown) => {
          detach();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void died?.then((why) => {
      if (stopping) return;
      stopping = true;
      log.error('stopping: a part stopped on its own', { error: why.message });
      stop().then(
        () => {
          detach();
          reject(why);
        },
        (err: unknown) => {
          detach();
          log.error('stop failed', { error: err instanceof Error ? err.message : String(err) });
          reject(why);
        },
      );
    });
  });
}
