/**
 * Command line of `pnpm --filter @sitrep/bench projector-fold`: every count and time budget has a
 * default and a ceiling, so no setting makes the bench run unbounded.
 */
import { resolve } from 'node:path';
import { OptionsError } from '../options-or-exit.js';

export interface BenchOptions {
  /** Events folded live (and by the naive reference, within its time budget). */
  events: number;
  /** Messages per outer transaction in the live run (the consumer commits once per batch). */
  batch: number;
  /** Wall-clock budget of the live run and of the naive run, ms; the run stops early past it. */
  liveBudgetMs: number;
  naiveBudgetMs: number;
  /** Size of the large log that is rebuilt; 0 skips it. */
  bigEvents: number;
  /** How the large log is written: straight INSERTs into `events`, or through the ingest. */
  bigBuild: 'append' | 'ingest';
  /** Messages per transaction while building the large log. */
  bigBatch: number;
  bigBudgetMs: number;
  /** Wall-clock budget of each rebuild, ms: it stops after the chunk that crosses it. */
  rebuildBudgetMs: number;
  /** Profile the live run and the rebuild (node:inspector) and print top self time. */
  profile: boolean;
  /** Count SQLite calls per statement in the live run and the rebuild (a diagnosis: slows the run). */
  sqlStats: boolean;
  /** Alternative projector entry (index.ts of a patched copy), for A/B runs; default the workspace package. */
  projector: string | undefined;
  /** A second projector entry to run live folding and the rebuilds on too, for same-run ratios. */
  versus: string | undefined;
  out: string;
  /** Where the SQLite files go (a fresh temp dir, removed at the end unless --keep). */
  keep: boolean;
}

const LIMITS = { events: 2_000_000, batch: 100_000, budgetMs: 600_000, bigEvents: 5_000_000 };

export const USAGE = `usage: pnpm --filter @sitrep/bench projector-fold [--events=200000] [--batch=1000]
  [--big=1000000] [--big-build=append|ingest] [--big-batch=20000] [--live-ms=120000] [--naive-ms=60000]
  [--big-ms=180000] [--rebuild-ms=120000] [--profile] [--sql-stats] [--projector=/path/to/projector/src/index.ts] [--versus=/path/to/other/projector/src/index.ts] [--out=results/projector-fold.json] [--keep]`;

function int(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min || n > max) throw new OptionsError(`--${name} must be an integer in [${min}, ${max}], got ${raw}`);
  return n;
}

export function parseOptions(argv: readonly string[], benchDir: string): BenchOptions {
  const o: BenchOptions = {
    events: 200_000,
    batch: 1000,
    liveBudgetMs: 120_000,
    naiveBudgetMs: 60_000,
    bigEvents: 1_000_000,
    bigBuild: 'append',
    bigBatch: 20_000,
    bigBudgetMs: 180_000,
    rebuildBudgetMs: 120_000,
    profile: false,
    sqlStats: false,
    projector: undefined,
    versus: undefined,
    out: resolve(benchDir, 'results/projector-fold.json'),
    keep: false,
  };
  for (const arg of argv) {
    const [flag, value = ''] = arg.split('=', 2) as [string, string | undefined];
    switch (flag) {
      case '--events': o.events = int('events', value, 1000, LIMITS.events); break;
      case '--batch': o.batch = int('batch', value, 1, LIMITS.batch); break;
      case '--live-ms': o.liveBudgetMs = int('live-ms', value, 1000, LIMITS.budgetMs); break;
      case '--naive-ms': o.naiveBudgetMs = int('naive-ms', value, 1000, LIMITS.budgetMs); break;
      case '--big': o.bigEvents = int('big', value, 0, LIMITS.bigEvents); break;
      case '--big-batch': o.bigBatch = int('big-batch', value, 1, LIMITS.batch); break;
      case '--big-ms': o.bigBudgetMs = int('big-ms', value, 1000, LIMITS.budgetMs); break;
      case '--rebuild-ms': o.rebuildBudgetMs = int('rebuild-ms', value, 1000, LIMITS.budgetMs); break;
      case '--big-build':
        if (value !== 'append' && value !== 'ingest') throw new OptionsError(`--big-build is append or ingest, got ${value}`);
        o.bigBuild = value;
        break;
      case '--profile': o.profile = true; break;
      case '--sql-stats': o.sqlStats = true; break;
      case '--keep': o.keep = true; break;
      case '--projector': o.projector = resolve(value); break;
      case '--versus': o.versus = resolve(value); break;
      case '--out': o.out = resolve(value); break;
      default: throw new OptionsError(`unknown argument ${arg}`);
    }
  }
  return o;
}
