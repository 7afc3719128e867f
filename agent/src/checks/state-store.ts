/**
 * The scheduler's side of checks-state.json: loads the saved last results at start, and saves
 * a fresh snapshot after changes. Saves are serialised and coalesced: while one is waiting to
 * start, further requests join it, and it writes whatever is current when it starts. A failed
 * save is logged and the next one tries again; the scheduler never stops over it.
 */
import type { Logger } from '@sitrep/schemas';
import { lastRunFromState, stateEntryOf, type CheckEntry, type LastRun } from './check-entry.js';
import { readCheckState, writeCheckState, type CheckStateFile } from './check-state.js';

export interface StateStore {
  /** Saved last results by check id; empty when there is no file, no stateDir, or the file is broken (logged). */
  load(): Promise<Map<string, LastRun>>;
  /** Saves the current snapshot soon. */
  save(): void;
  /** Resolves when every requested save has been attempted. */
  flushed(): Promise<void>;
}

export function snapshot(entries: Iterable<CheckEntry>, writtenAt: number): CheckStateFile {
  const checks: CheckStateFile['checks'] = {};
  for (const e of entries) checks[e.id] = stateEntryOf(e);
  return { version: 1, writtenAt, checks };
}

export function createStateStore(stateDir: string | undefined, current: () => CheckStateFile, log: Logger): StateStore {
  let chain: Promise<void> = Promise.resolve();
  let queued = false;

  return {
    async load() {
      const saved = new Map<string, LastRun>();
      if (stateDir === undefined) return saved;
      try {
        const file = await readCheckState(stateDir);
        for (const [id, entry] of Object.entries(file?.checks ?? {})) {
          const last = lastRunFromState(entry);
          if (last !== null) saved.set(id, last);
        }
      } catch (err) {
        log.warn('ignoring saved check state', { error: (err as Error).message });
      }
      return saved;
    },
    save() {
      if (stateDir === undefined || queued) return;
      queued = true;
      chain = chain.then(async () => {
        queued = false;
        try {
          await writeCheckState(stateDir, current());
        } catch (err) {
          log.warn('cannot save check state', { error: (err as Error).message });
        }
      });
    },
    flushed() {
      return chain;
    },
  };
}
