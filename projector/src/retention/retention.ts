/**
 * Retention: deletes rows past each rule's horizon in small chunks, one short transaction each,
 * yielding to the event loop between chunks so MQTT ingest (same connection, same thread) and
 * other writers of the file never wait long for the write lock. A run is bounded in rows and
 * time; what is left over waits for the next run.
 */
import type { Logger } from '@sitrep/schemas';
import type { Db } from '../projections/projection.js';
import { checkRule, compileRule, type RetentionPolicy } from './rule.js';

export interface RetentionOptions {
  /** Rows deleted per transaction; default 5000 (a few ms of lock on this kind of table). */
  chunkRows?: number;
  /** Rows deleted per run over all tables at most; default 1,000,000. */
  maxRowsPerRun?: number;
  /** Time one run may take, ms; default 60,000. Checked between chunks. */
  maxMsPerRun?: number;
  /** Stops the run between chunks (the report then says `complete: false`). */
  signal?: AbortSignal;
  /** Waits between chunks; default one turn of the event loop (setImmediate). */
  pause?: () => Promise<void>;
  /** Monotonic clock for the time budget, ms; default performance.now. */
  clock?: () => number;
}

export interface RetentionReport {
  /** Per rule table: rows deleted and transactions (chunks) used, including empty ones. */
  tables: Record<string, { deleted: number; chunks: number }>;
  /** False when a budget or the signal stopped the run before every rule was done. */
  complete: boolean;
  ms: number;
}

const DEFAULTS = { chunkRows: 5000, maxRowsPerRun: 1_000_000, maxMsPerRun: 60_000 } as const;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Deletes what `policy` says has expired at `now` (ms since the epoch). */
export async function runRetention(db: Db, policy: RetentionPolicy, now: number, opts: RetentionOptions = {}): Promise<RetentionReport> {
  const chunkRows = opts.chunkRows ?? DEFAULTS.chunkRows;
  const clock = opts.clock ?? (() => performance.now());
  const pause = opts.pause ?? nextTurn;
  const started = clock();
  const deadline = started + (opts.maxMsPerRun ?? DEFAULTS.maxMsPerRun);
  let budget = opts.maxRowsPerRun ?? DEFAULTS.maxRowsPerRun;
  if (!Number.isSafeInteger(chunkRows) || chunkRows <= 0) throw new RangeError(`chunkRows must be a positive integer, got ${chunkRows}`);

  const compiled = policy.map((rule) => compileRule(db, rule));
  const tables: RetentionReport['tables'] = {};
  const stopped = () => budget <= 0 || clock() >= deadline || opts.signal?.aborted === true;

  for (const c of compiled) {
    const entry = (tables[c.rule.table] ??= { deleted: 0, chunks: 0 });
    const cutoff = now - c.rule.maxAgeMs;
    for (const partition of c.partitions()) {
      for (;;) {
        if (stopped()) return { tables, complete: false, ms: clock() - started };
        const limit = Math.min(chunkRows, budget);
        const n = c.deleteChunk(partition, cutoff, limit);
        entry.deleted += n;
        entry.chunks++;
        budget -= n;
        await pause();
        if (n < limit) break;
      }
    }
  }
  return { tables, complete: true, ms: clock() - started };
}

export interface RetentionSchedule {
  /** Cancels the timer, stops a run in progress between two chunks and waits for it. */
  stop(): Promise<void>;
}

export interface StartRetentionOptions {
  db: Db;
  policy: RetentionPolicy;
  /** Period between the end of one run and the start of the next, ms. */
  every: number;
  log: Logger;
  /** Delay before the first run, ms; default min(every, 30 s), so a restart catches up soon. */
  firstRunAfter?: number;
  /** Wall clock, ms since the epoch; default Date.now. */
  now?: () => number;
  options?: Omit<RetentionOptions, 'signal'>;
}

/** Runs retention every `every` ms (timer unref'd: it never keeps the process alive). */
export function startRetention(opts: StartRetentionOptions): RetentionSchedule {
  const { db, policy, every, log } = opts;
  if (!Number.isFinite(every) || every <= 0) throw new RangeError(`every must be a positive number of ms, got ${every}`);
  policy.forEach(checkRule); // a malformed rule fails at start, not at the first tick
  const now = opts.now ?? Date.now;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = (ms: number) => {
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const runOnce = async () => {
    try {
      const report = await runRetention(db, policy, now(), { ...opts.options, signal: abort.signal });
      const deleted = Object.entries(report.tables).filter(([, t]) => t.deleted > 0);
      if (deleted.length > 0 || !report.complete) {
        log.info('retention', { ...Object.fromEntries(deleted.map(([table, t]) => [table, t.deleted])), complete: report.complete, ms: Math.round(report.ms) });
      }
    } catch (err) {
      // A failed run (a rule whose table is missing, a disk error) is logged; the next run retries.
      log.error('retention failed', { error: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code });
    }
  };
  function tick(): void {
    timer = undefined;
    running = runOnce().finally(() => {
      running = undefined;
      if (!abort.signal.aborted) schedule(every);
    });
  }

  schedule(opts.firstRunAfter ?? Math.min(every, 30_000));
  return {
    async stop() {
      abort.abort();
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
