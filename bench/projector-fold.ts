/**
 * Projector folding and rebuild throughput, against references measured in the same run:
 * - live: a fleet's events through the real ingest, batched into one `BEGIN IMMEDIATE … COMMIT`
 *   per `--batch` messages as the MQTT consumer does, on a WAL file from `openDatabase`;
 * - naive reference: the same handler with each message committing alone;
 * - rebuild of the live database (rows must equal the live rows: exit 1 if not), against a plain
 *   scan of the log; then a rebuild of a large log (`--big`, default 1M events).
 * Targets (the issue): live >= 50k events/s, rebuild >= 150k events/s, 1M events rebuilt < 10 s.
 * `--versus=<other projector's src/index.ts>` runs live folding and both rebuilds on a second
 * version too (same messages, same large log), prints its/this ratios and checks its rows are equal.
 *
 *   pnpm --filter @sitrep/bench projector-fold [--events=200000] [--batch=1000] [--profile] ...
 *
 * Figures go to results/projector-fold.json; see README.md ("Projector"). No sockets: SQLite files only.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTopics } from '@sitrep/schemas';
import type { Api } from './projector-fold/drive.js';
import { differences } from './projector-fold/dump.js';
import { parseOptions, USAGE } from './projector-fold/options.js';
import { bigRun, ceilingRuns, fileBytes, liveRun, naiveRun, rebuildRun, scanRun, type Context, type Version } from './projector-fold/phases.js';
import { printSummary, thin, type Results } from './projector-fold/report.js';
import { DEFAULT_WORKLOAD, fleetWorkload } from './projector-fold/workload.js';
import { optionsOrExit } from './options-or-exit.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2).filter((a) => a !== '--');
if (args.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const options = optionsOrExit('projector-fold', USAGE, () => parseOptions(args, benchDir));

async function load(id: Version['id'], path: string | undefined): Promise<Version> {
  const entry = path === undefined ? import.meta.resolve('@sitrep/projector') : pathToFileURL(path).href;
  return { id, label: path ?? '@sitrep/projector (workspace)', api: (await import(entry)) as Api, src: new URL('.', entry).href };
}

const a = await load('a', options.projector);
const b = options.versus === undefined ? undefined : await load('b', options.versus);
const topics = createTopics('sitrep/v1');
const dir = mkdtempSync(join(tmpdir(), 'sitrep-projector-fold-'));
const ctx: Context = { topics, dir, profileDir: dirname(options.out), options, profiles: {}, sqlStats: {} };
mkdirSync(ctx.profileDir, { recursive: true });
const step = (what: string) => console.error(`[projector-fold] ${what}`);

try {
  step(`generating ${options.events} events (${DEFAULT_WORKLOAD.nodes} nodes) in ${dir}`);
  const g0 = performance.now();
  const workload = fleetWorkload(topics, options.events);
  const messages = [...workload.messages].map(({ topic, payload, receivedAt }) => ({ topic, payload, receivedAt, event: undefined as never }));
  const generateMs = performance.now() - g0;

  step(`live: batches of ${options.batch} per transaction`);
  const live = await liveRun(ctx, a, messages);
  const liveB = b === undefined ? undefined : await liveRun(ctx, b, messages);
  step(`naive reference: one transaction per event (budget ${options.naiveBudgetMs} ms)`);
  const naive = await naiveRun(ctx, a, messages);
  step('ceilings: decode only, decode + log append');
  const ceilings = await ceilingRuns(ctx, a, messages);
  step('rebuild of the live database');
  const scan = scanRun(live.db);
  const rebuilt = await rebuildRun(ctx, a, 'rebuild', live.db, live.digest);
  const rebuiltB = liveB === undefined ? undefined : await rebuildRun(ctx, b!, 'rebuild', liveB.db, liveB.digest);
  const liveBytes = fileBytes(live.path);
  for (const l of [live, liveB]) l?.db.close();
  let big = null;
  if (options.bigEvents > 0) {
    step(`large log: ${options.bigEvents} events (${options.bigBuild}), then rebuild`);
    big = await bigRun(ctx, a, b);
  }

  const results: Results = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
    projector: a.label,
    options: { ...options, out: undefined },
    workload: { ...DEFAULT_WORKLOAD, events: messages.length, generateMs, ...workload.stats() },
    live: { ...live.run, fileBytes: liveBytes },
    naive: naive.run,
    ceilings,
    // Naive and live fold the same messages; when naive got through all of them the rows must match too.
    naiveEqualsLive: naive.run.truncated ? null : differences(live.digest, naive.digest),
    rebuild: rebuilt,
    scan,
    big,
    versus:
      b === undefined || liveB === undefined || rebuiltB === undefined
        ? null
        : { projector: b.label, live: liveB.run, rebuild: rebuiltB, liveDifferences: liveB.run.truncated || live.run.truncated ? null : differences(live.digest, liveB.digest, true) },
    profiles: ctx.profiles,
    sqlStats: ctx.sqlStats,
  };
  const ok = printSummary(results);
  const forFile = {
    ...results,
    live: { ...thin(results.live), fileBytes: liveBytes },
    naive: thin(results.naive),
    versus: results.versus === null ? null : { ...results.versus, live: thin(results.versus.live) },
  };
  writeFileSync(options.out, `${JSON.stringify(forFile, null, 2)}\n`);
  console.log(`figures: ${options.out}${options.profile ? `; raw profiles: ${ctx.profileDir}/projector-fold.*.cpuprofile` : ''}`);
  if (!ok) process.exitCode = 1;
} finally {
  if (!options.keep) rmSync(dir, { recursive: true, force: true });
}
