/**
 * Runs the scripts of a checks directory and the configured probes, each on its schedule.
 *
 * - Slots: each check's next slot is `schedule.next(...)`; timers wait at most MAX_TIMER_MS at a
 *   time, so wall-clock jumps (NTP, suspend) are noticed within a minute and month-long waits
 *   stay under setTimeout's limit. A slot missed while the host slept runs once, late; slots are
 *   never caught up in a burst.
 * - Never two runs of one check at once: a slot that comes while the previous run is still going
 *   is skipped and logged; `runNow` during a run returns that run's result.
 * - The directory is watched (debounced fs.watch plus a periodic rescan): added, edited and
 *   removed scripts are picked up without a restart. A removed check's running run is killed.
 *   Invalid scripts are logged with line and reason and reported through `onInvalid` once per
 *   version of the file; they never stop the others.
 * - After every run, `<stateDir>/checks-state.json` is rewritten (when stateDir is given) and
 *   `onResult` called. Runs cut short by stop() or by removing the check are not reported.
 */
import { infoOf, lastRunOf, probeEntry, scriptEntry, type CheckEntry, type LastRun } from './check-entry.js';
import type { CheckInfo } from './check-state.js';
import { CheckError, CheckMetadataError, ScheduleError } from './errors.js';
import { runCheck, type CheckRunResult } from './run-check.js';
import { parseSchedule } from './schedule.js';
import type { CheckScheduler, CheckSchedulerOptions, ReloadSummary } from './scheduler-api.js';
import { scanChecksDir, type InvalidCheckFile } from './scan-dir.js';
import { createStateStore, snapshot } from './state-store.js';
import { watchDir, type DirWatch } from './watch-dir.js';

export type { CheckScheduler, CheckSchedulerOptions, ReloadSummary } from './scheduler-api.js';

/** Longest single timer wait, ms. */
const MAX_TIMER_MS = 60_000;

export function createCheckScheduler(opts: CheckSchedulerOptions): CheckScheduler {
  const { log } = opts;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, CheckEntry>();
  const probeIds = new Set(opts.probes.map((p) => p.id));
  /** file -> fingerprint of the version already reported invalid. */
  const reportedInvalid = new Map<string, string>();
  let started = false;
  let stopped = false;
  let watch: DirWatch | null = null;
  let reloading: Promise<ReloadSummary> | null = null;
  /** The scan after the running one, shared by everyone who asks while one runs. */
  let reloadNext: Promise<ReloadSummary> | null = null;
  let missingLogged = false;
  const store = createStateStore(opts.stateDir, () => snapshot(entries.values(), now()), log);
  /** Results from before a restart, by id, until a check takes them. */
  let saved = new Map<string, LastRun>();

  // ---- timers and runs -------------------------------------------------------------------------

  function arm(e: CheckEntry): void {
    if (e.timer !== null) clearTimeout(e.timer);
    e.timer = null;
    if (stopped || e.nextRun === null) return;
    const wait = Math.min(Math.max(0, e.nextRun - now()), MAX_TIMER_MS);
    e.timer = setTimeout(() => tick(e), wait);
  }

  function scheduleFrom(e: CheckEntry, from: number): void {
    if (stopped) return;
    e.nextRun = e.schedule.next(from);
    arm(e);
  }

  function tick(e: CheckEntry): void {
    e.timer = null;
    if (stopped || entries.get(e.id) !== e || e.nextRun === null) return;
    const slot = e.nextRun;
    const t = now();
    if (t < slot) return arm(e);
    if (e.running !== null) {
      log.warn('check still running at its next slot; skipping the slot', { check: e.id, slot: new Date(slot).toISOString() });
    } else {
      startRun(e);
    }
    // Fixed rate from the slot, but never a slot already past (no catch-up burst after a sleep).
    const next = e.schedule.next(slot);
    e.nextRun = next > t ? next : e.schedule.next(t);
    arm(e);
  }

  function startRun(e: CheckEntry): Promise<CheckRunResult> {
    const controller = new AbortController();
    const promise = runCheck(e.target, {
      timeoutMs: e.timeoutMs,
      maxOutputBytes: opts.maxOutputBytes,
      signal: controller.signal,
      now,
      log,
      ...(opts.killGraceMs === undefined ? {} : { killGraceMs: opts.killGraceMs }),
    })
      // runCheck maps every failure to a result; should a bug slip through, the check must not stay "running" forever.
      .catch((err: unknown): CheckRunResult => ({
        check: e.id,
        ts: now(),
        status: 'ERROR',
        message: `internal error: ${err instanceof Error ? err.message : String(err)}`,
        durationMs: 0,
      }))
      .then((result) => {
        e.running = null;
        if (!controller.signal.aborted) record(e, result);
        return result;
      });
    e.running = { promise, controller };
    return promise;
  }

  function record(e: CheckEntry, result: CheckRunResult): void {
    const before = e.last?.status ?? null;
    e.last = lastRunOf(result);
    if (result.status !== before) {
      log.info('check status changed', { check: e.id, from: before, to: result.status, message: result.message.slice(0, 200) });
    }
    store.save();
    try {
      opts.onResult(infoOf(e), result);
    } catch (err) {
      log.error('onResult failed', { check: e.id, error: (err as Error).message });
    }
  }

  // ---- the set of checks -----------------------------------------------------------------------

  function add(e: CheckEntry): void {
    // The saved result is for the first check to take the id after a restart, not for a later namesake.
    e.last = saved.get(e.id) ?? null;
    saved.delete(e.id);
    entries.set(e.id, e);
    if (started) scheduleFrom(e, now());
  }

  function remove(e: CheckEntry): void {
    if (e.timer !== null) clearTimeout(e.timer);
    e.timer = null;
    e.nextRun = null;
    e.running?.controller.abort();
    entries.delete(e.id);
  }

  function addProbes(): void {
    for (const [i, probe] of opts.probes.entries()) {
      try {
        add(probeEntry(probe, parseSchedule(probe.schedule)));
      } catch (err) {
        if (!(err instanceof ScheduleError)) throw err;
        const where = `probes[${i}] (${probe.id})`;
        log.warn('invalid probe', { probe: probe.id, reason: err.message });
        opts.onInvalid?.(where, new CheckError('CHECK_METADATA_INVALID', `${where}: ${err.message}`, { cause: err }));
      }
    }
  }

  async function scanOnce(): Promise<ReloadSummary> {
    const scan = await scanChecksDir(opts.checksDir, probeIds);
    if (scan.missing && !missingLogged) log.info('checks directory does not exist; no scripted checks', { dir: opts.checksDir });
    missingLogged = scan.missing;
    const summary: ReloadSummary = { added: [], removed: [], changed: [], invalid: scan.invalid };
    const seen = new Set<string>();
    for (const { def, fingerprint } of scan.checks) {
      seen.add(def.id);
      const old = entries.get(def.id);
      if (old !== undefined && old.fingerprint === fingerprint && old.target.kind === 'script' && old.target.path === def.path) continue;
      const fresh = scriptEntry(def, fingerprint, opts.defaultTimeoutMs);
      if (old === undefined) {
        summary.added.push(def.id);
        add(fresh);
        continue;
      }
      // Edited: the new definition applies from the next run; a run in progress finishes.
      summary.changed.push(def.id);
      const rescheduled = fresh.schedule.text !== old.schedule.text;
      Object.assign(old, { ...fresh, last: old.last, running: old.running, timer: old.timer, nextRun: old.nextRun });
      if (started && rescheduled) scheduleFrom(old, now());
    }
    for (const e of [...entries.values()]) {
      if (e.target.kind === 'script' && !seen.has(e.id)) {
        summary.removed.push(e.id);
        remove(e);
      }
    }
    reportInvalid(scan.invalid);
    for (const id of summary.added) log.info('check added', { check: id, schedule: entries.get(id)?.schedule.text });
    for (const id of summary.removed) log.info('check removed', { check: id });
    for (const id of summary.changed) log.info('check changed', { check: id });
    if (summary.added.length + summary.removed.length + summary.changed.length > 0) {
      store.save();
      try {
        opts.onChange?.(list());
      } catch (err) {
        log.error('onChange failed', { error: (err as Error).message });
      }
    }
    return summary;
  }

  function reportInvalid(invalid: readonly InvalidCheckFile[]): void {
    const current = new Set<string>();
    for (const { file, error, fingerprint } of invalid) {
      current.add(file);
      if (reportedInvalid.get(file) === fingerprint) continue;
      reportedInvalid.set(file, fingerprint);
      const line = error instanceof CheckMetadataError ? error.line : undefined;
      log.warn('invalid check', { file, line, code: error.code, reason: error.message });
      try {
        opts.onInvalid?.(file, error);
      } catch (err) {
        log.error('onInvalid failed', { file, error: (err as Error).message });
      }
    }
    for (const file of [...reportedInvalid.keys()]) if (!current.has(file)) reportedInvalid.delete(file);
  }

  /**
   * One scan at a time. A request while one runs (which may have listed the directory before the
   * caller's change) gets the scan after it, shared by every request made meanwhile.
   */
  function reload(): Promise<ReloadSummary> {
    if (stopped) return Promise.reject(new CheckError('CHECK_SCHEDULER_STOPPED', 'the check scheduler is stopped'));
    if (reloading === null) {
      reloading = scanOnce().finally(() => {
        reloading = null;
      });
      return reloading;
    }
    if (reloadNext === null) {
      // The running scan's outcome, success or failure, belongs to its own callers.
      const next = () => {
        reloadNext = null;
        return reload();
      };
      reloadNext = reloading.then(next, next);
    }
    return reloadNext;
  }

  function list(): CheckInfo[] {
    return [...entries.values()].map(infoOf).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  return {
    async start() {
      if (started || stopped) return;
      saved = await store.load();
      addProbes();
      // Watch before the first scan, so that a file added meanwhile is not missed until the rescan.
      watch = watchDir(opts.checksDir, {
        debounceMs: opts.watchDebounceMs ?? 300,
        rescanMs: opts.rescanIntervalMs ?? 60_000,
        log,
        onChange: () => {
          reload().catch((err: Error) => log.warn('cannot rescan the checks directory', { dir: opts.checksDir, error: err.message }));
        },
      });
      try {
        await reload();
      } catch (err) {
        log.warn('cannot scan the checks directory; will retry', { dir: opts.checksDir, error: (err as Error).message });
      }
      started = true;
      for (const e of entries.values()) scheduleFrom(e, now());
      store.save();
    },
    list,
    runNow(id) {
      if (stopped) return Promise.reject(new CheckError('CHECK_SCHEDULER_STOPPED', 'the check scheduler is stopped'));
      const e = entries.get(id);
      if (e === undefined) return Promise.reject(new CheckError('CHECK_NOT_FOUND', `no check "${id}"`));
      return e.running?.promise ?? startRun(e);
    },
    reload,
    async stop() {
      if (stopped) return;
      stopped = true;
      watch?.close();
      const runs: Promise<unknown>[] = [];
      for (const e of entries.values()) {
        if (e.timer !== null) clearTimeout(e.timer);
        e.timer = null;
        e.nextRun = null;
        if (e.running !== null) {
          e.running.controller.abort();
          runs.push(e.running.promise);
        }
      }
      const scans = [reloading, reloadNext].map((p) => p?.catch((err: Error) => log.warn('rescan failed while stopping', { error: err.message })));
      await Promise.all([...runs, ...scans]);
      // Without timers there is no next run: save that too.
      store.save();
      await store.flushed();
    },
  };
}
