/**
 * The measured phases, each on its own SQLite file in the run's temp dir: live folding (the
 * consumer's batches), the naive reference (one transaction per event), a rebuild of the live
 * database checked against the live rows, a plain scan of the log (the floor under any rebuild),
 * and a rebuild of a large log. With `--versus`, live folding and both rebuilds also run on a
 * second projector version in the same process, on the same messages and the same large log.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Topics } from '@sitrep/schemas';
import type { Db, RebuildProgress } from '@sitrep/projector';
import { appendLog, ceiling, foldBatched, foldEach, foldStream, type Api, type AppendRun, type CeilingRun, type FoldRun } from './drive.js';
import { differences, digestTables, type Digest } from './dump.js';
import type { BenchOptions } from './options.js';
import { profiled, type ProfileSummary } from './profile.js';
import { withSqlStats, type SqlStats } from './sql-stats.js';
import { fleetWorkload, type Message } from './workload.js';

/**
 * The read models derived from the log, compared between runs and versions: tables a rebuild
 * refills and views over the log (an older version without views: its tables only).
 */
function readModels(api: Api): string[] {
  const views = (api as Partial<Pick<Api, 'derivedReadModels'>>).derivedReadModels;
  return views !== undefined ? views(api.PROJECTIONS) : api.rebuildTables(api.PROJECTIONS);
}

/** One projector implementation under test. */
export interface Version {
  /** Short name used in phase names and file names: `a` (the reference) or `b` (--versus). */
  id: 'a' | 'b';
  label: string;
  api: Api;
  /** file: URL of its src/ (profiles charge samples to functions under it). */
  src: string;
}

export interface Context {
  topics: Topics;
  dir: string;
  /** Where raw .cpuprofile files go (next to the figures). */
  profileDir: string;
  options: BenchOptions;
  profiles: Record<string, ProfileSummary>;
  sqlStats: Record<string, SqlStats>;
}

export interface RebuildRun {
  events: number;
  ms: number;
  cpuMs: number;
  eventsPerSec: number;
  /** Stopped by the time budget (after a whole chunk). */
  truncated: boolean;
  /** Rows-equal check against the tables before the rebuild; null when there was nothing to compare. */
  equal: boolean | null;
  differences: string[];
  digest: Digest;
}

export interface ScanRun {
  events: number;
  ms: number;
  eventsPerSec: number;
}

/** Run a phase, under the profiler and/or the SQL counters when asked for. */
async function instrumented<T>(ctx: Context, v: Version, name: string, db: Db, phase: () => T, eventsOf: (r: T) => number): Promise<T> {
  const key = v.id === 'a' ? name : `${name}-versus`;
  let run = phase;
  if (ctx.options.sqlStats) {
    run = () => {
      const { value, stats } = withSqlStats(db, phase, eventsOf);
      ctx.sqlStats[key] = stats;
      return value;
    };
  }
  if (!ctx.options.profile) return run();
  const { value, summary } = await profiled(join(ctx.profileDir, `projector-fold.${key}.cpuprofile`), v.src, run);
  ctx.profiles[key] = summary;
  return value;
}

export function fileBytes(path: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      bytes += statSync(path + suffix).size;
    } catch {
      // no WAL file: nothing to add
    }
  }
  return bytes;
}

/**
 * Open a file for a phase as the projector process opens it: `openDatabase`, then its WAL
 * checkpoints on their own thread (projector.ts; an older version without one: its connection's
 * automatic checkpoints). `close` stops the thread and closes the connection.
 */
async function openAsProjector(v: Version, path: string): Promise<{ db: Db; close: () => Promise<void> }> {
  const db = v.api.openDatabase(path);
  const start = (v.api as Partial<Pick<Api, 'startCheckpointer'>>).startCheckpointer;
  const checkpoints = start?.(db, { log: createLogger('checkpoints', (line) => console.error(line)) });
  return {
    db,
    close: async () => {
      await checkpoints?.stop();
      db.close();
    },
  };
}

export interface LiveRun {
  db: Db;
  run: FoldRun;
  digest: Digest;
  path: string;
}

export async function liveRun(ctx: Context, v: Version, messages: readonly Message[]): Promise<LiveRun> {
  const path = join(ctx.dir, `live-${v.id}.db`);
  const { db, close } = await openAsProjector(v, path);
  const run = await instrumented(ctx, v, 'live', db, () => foldBatched(v.api, db, ctx.topics, messages, ctx.options.batch, ctx.options.liveBudgetMs), (r) => r.events);
  // The rebuild that follows runs on a plain connection, as `sitrep projector rebuild` does.
  await close();
  const reopened = v.api.openDatabase(path);
  return { db: reopened, run, digest: digestTables(reopened, readModels(v.api)), path };
}

export async function naiveRun(ctx: Context, v: Version, messages: readonly Message[]): Promise<{ run: FoldRun; digest: Digest }> {
  const { db, close } = await openAsProjector(v, join(ctx.dir, 'naive.db'));
  try {
    const run = foldEach(v.api, db, ctx.topics, messages, ctx.options.naiveBudgetMs);
    return { run, digest: digestTables(db, readModels(v.api)) };
  } finally {
    await close();
  }
}

class BudgetExceeded extends Error {
  readonly code = 'BUDGET_EXCEEDED';
}

/**
 * `rebuild` past the time budget: its progress callback throws after a chunk committed, which
 * ends the rebuild there (the tables then hold a partial rebuild, so nothing is compared).
 */
function boundedRebuild(v: Version, db: Db, budgetMs: number): RebuildProgress & { truncated: boolean } {
  let last: RebuildProgress = { done: 0, total: 0, elapsedMs: 0 };
  try {
    const r = v.api.rebuild(db, v.api.PROJECTIONS, (p) => {
      last = p;
      if (p.elapsedMs > budgetMs && p.done < p.total) throw new BudgetExceeded(`rebuild stopped after ${p.done} of ${p.total} events`);
    });
    return { ...r, truncated: false };
  } catch (err) {
    if (err instanceof BudgetExceeded) return { ...last, truncated: true };
    throw err;
  }
}

/** Rebuild `db` in place and compare the rebuilt tables with `before` (when given; `shared`: the tables both have). */
export async function rebuildRun(ctx: Context, v: Version, name: string, db: Db, before: Digest | null, shared = false): Promise<RebuildRun> {
  const cpu0 = process.cpuUsage();
  const r = await instrumented(ctx, v, name, db, () => boundedRebuild(v, db, ctx.options.rebuildBudgetMs), (p) => p.done);
  const cpu = process.cpuUsage(cpu0);
  const after = digestTables(db, readModels(v.api));
  const compared = before !== null && !r.truncated;
  const diff = compared ? differences(before, after, shared) : [];
  return {
    events: r.done,
    ms: r.elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    eventsPerSec: r.done / (r.elapsedMs / 1000),
    truncated: r.truncated,
    equal: compared ? diff.length === 0 : null,
    differences: diff,
    digest: after,
  };
}

/** Read every log row and parse its data, as a rebuild must: the floor under any rebuild. */
export function scanRun(db: Db): ScanRun {
  const t0 = performance.now();
  let events = 0;
  let keys = 0;
  for (const row of db.prepare('SELECT * FROM events ORDER BY id').iterate() as IterableIterator<{ data: string }>) {
    keys += Object.keys(JSON.parse(row.data) as object).length;
    events++;
  }
  const ms = performance.now() - t0;
  if (keys < 0) throw new Error('unreachable: keeps the parse from being optimised away');
  return { events, ms, eventsPerSec: events / (ms / 1000) };
}

export interface BigRun {
  build: (AppendRun | FoldRun) & { how: BenchOptions['bigBuild'] };
  fileBytes: number;
  scan: ScanRun;
  rebuild: RebuildRun;
  /** The same log rebuilt by the --versus version; its rows are compared with the first rebuild's. */
  versus: RebuildRun | null;
}

/** Build the large log with version `a`, rebuild it with `a`, then (when given) with `b`. */
export async function bigRun(ctx: Context, a: Version, b: Version | undefined): Promise<BigRun> {
  const o = ctx.options;
  const path = join(ctx.dir, 'big.db');
  let db = a.api.openDatabase(path);
  try {
    const { messages } = fleetWorkload(ctx.topics, o.bigEvents, undefined, o.bigBuild === 'ingest');
    const build =
      o.bigBuild === 'append'
        ? appendLog(db, messages, o.bigEvents, o.bigBatch, o.bigBudgetMs)
        : foldStream(a.api, db, ctx.topics, messages, o.bigEvents, o.bigBatch, o.bigBudgetMs);
    // Built through the ingest, the folded rows are there to compare the rebuild with.
    const before = o.bigBuild === 'ingest' ? digestTables(db, readModels(a.api)) : null;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = fileBytes(path);
    const scan = scanRun(db);
    const rebuild = await rebuildRun(ctx, a, 'rebuild-big', db, before);
    let versus = null;
    if (b !== undefined) {
      // Through b's own openDatabase, so its connection settings apply.
      db.close();
      db = b.api.openDatabase(path);
      versus = await rebuildRun(ctx, b, 'rebuild-big', db, rebuild.truncated ? null : rebuild.digest, true);
    }
    return { build: { ...build, how: o.bigBuild }, fileBytes: bytes, scan, rebuild, versus };
  } finally {
    db.close();
  }
}

/** What any live fold must do per message, without the fold: decode only, then decode + log append. */
export async function ceilingRuns(ctx: Context, v: Version, messages: readonly Message[]): Promise<{ decode: CeilingRun; append: CeilingRun }> {
  const budget = ctx.options.liveBudgetMs;
  const decode = ceiling(ctx.topics, messages, budget);
  const { db, close } = await openAsProjector(v, join(ctx.dir, 'append.db'));
  try {
    return { decode, append: ceiling(ctx.topics, messages, budget, db, ctx.options.batch) };
  } finally {
    await close();
  }
}
