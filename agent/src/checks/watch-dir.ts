/**
 * Tells when a directory's contents may have changed: fs.watch (inotify on Linux) with a debounce,
 * since one `sitrep check add` is several events (write, chmod, rename); plus a periodic rescan,
 * because fs.watch can miss events (network filesystems, a directory replaced or created after
 * start). The rescan also (re)starts the watch once the directory exists again.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '@sitrep/schemas';
import { systemReason } from './errors.js';

export interface DirWatchOptions {
  /** Quiet time after the last event before `onChange`, ms. */
  debounceMs: number;
  /** Period of the fallback rescan, ms. */
  rescanMs: number;
  onChange: (why: 'event' | 'rescan') => void;
  log: Logger;
  /** What the directory holds, for log messages; default "checks". */
  what?: string;
}

export interface DirWatch {
  /** True while fs.watch is active (false: only the periodic rescan). */
  readonly watching: boolean;
  close(): void;
}

export function watchDir(dir: string, opts: DirWatchOptions): DirWatch {
  let watcher: FSWatcher | null = null;
  let debounce: NodeJS.Timeout | null = null;
  let closed = false;
  // Log "cannot watch" once per failure reason, not at every rescan.
  let lastProblem: string | null = null;
  const what = `${opts.what ?? 'checks'} directory`;

  function fire(): void {
    if (debounce !== null) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      if (!closed) opts.onChange('event');
    }, opts.debounceMs);
  }

  function drop(): void {
    watcher?.close();
    watcher = null;
  }

  function start(): void {
    if (watcher !== null || closed) return;
    try {
      watcher = watch(dir, { persistent: false }, fire);
    } catch (err) {
      const reason = systemReason(err);
      if (reason !== lastProblem) opts.log.info(`cannot watch the ${what}; rescanning periodically`, { dir, reason, everyMs: opts.rescanMs });
      lastProblem = reason;
      return;
    }
    lastProblem = null;
    watcher.on('error', (err) => {
      // The directory was removed or replaced: fall back to the rescan, which re-watches it.
      opts.log.warn(`${what} watch failed; rescanning periodically`, { dir, reason: systemReason(err) });
      drop();
      fire();
    });
  }

  const rescan = setInterval(() => {
    start();
    opts.onChange('rescan');
  }, opts.rescanMs);
  start();

  return {
    get watching() {
      return watcher !== null;
    },
    close() {
      closed = true;
      clearInterval(rescan);
      if (debounce !== null) clearTimeout(debounce);
      drop();
    },
  };
}
