/**
 * The figures as written to results/projector-fold.json, and the printed summary: rates, the
 * ratios against this run's references, the targets, and the correctness checks (the summary
 * returns false when rebuilt rows differ from live rows, so the bench exits 1).
 */
import type { CeilingRun, FoldRun } from './drive.js';
import type { BenchOptions } from './options.js';
import type { BigRun, RebuildRun, ScanRun } from './phases.js';
import type { ProfileSummary } from './profile.js';
import type { SqlStats } from './sql-stats.js';
import type { WorkloadOptions, WorkloadStats } from './workload.js';

export const TARGETS = { liveEventsPerSec: 50_000, rebuildEventsPerSec: 150_000, bigRebuildMs: 10_000, bigEvents: 1_000_000 };

export interface Results {
  date: string;
  machine: { cpus: number; model: string; node: string; platform: string };
  projector: string;
  options: Omit<BenchOptions, 'out'> & { out: undefined };
  workload: WorkloadOptions & WorkloadStats & { events: number; generateMs: number };
  live: FoldRun & { fileBytes: number };
  naive: FoldRun;
  /** Per-message work without any fold: the most live folding could reach on this machine. */
  ceilings: { decode: CeilingRun; append: CeilingRun };
  /** Tables that differ between the naive and live databases; null when naive did not finish. */
  naiveEqualsLive: string[] | null;
  rebuild: RebuildRun;
  scan: ScanRun;
  big: BigRun | null;
  /** The --versus version on the same input: its runs, and the tables whose live rows differ from this version's. */
  versus: { projector: string; live: FoldRun; rebuild: RebuildRun; liveDifferences: string[] | null } | null;
  profiles: Record<string, ProfileSummary>;
  sqlStats: Record<string, SqlStats>;
}

const k = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const x = (r: number) => `${r.toFixed(r < 10 ? 2 : 1)}x`;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
/** Events per CPU-second: steadier than wall-clock rates when the machine is shared. */
const perCpu = (events: number, cpuMs: number) => `${k(events / (cpuMs / 1000))} events/CPU-s`;

/** ms the run had spent when it reached `events` (linear between commits). */
export function msAt(run: FoldRun, events: number): number {
  let prev: [number, number] = [0, 0];
  for (const p of run.progress) {
    if (p[0] >= events) return prev[1] + ((events - prev[0]) / (p[0] - prev[0])) * (p[1] - prev[1]);
    prev = p;
  }
  return run.ms;
}

/** Thin a run's progress for the JSON file (the full series is used for the ratios). */
export function thin(run: FoldRun, points = 100): FoldRun {
  const every = Math.max(1, Math.ceil(run.progress.length / points));
  return { ...run, progress: run.progress.filter((_, i) => i % every === every - 1 || i === run.progress.length - 1) };
}

function printProfile(name: string, p: ProfileSummary): void {
  console.log(`\nprofile ${name} (${p.totalMs} ms sampled, not idle)`);
  const list = (title: string, rows: ProfileSummary['topSelf'], n: number) => {
    console.log(`  ${title}`);
    for (const r of rows.slice(0, n)) console.log(`    ${r.percent.toFixed(1).padStart(5)} %  ${String(r.ms).padStart(8)} ms  ${r.name}`);
  };
  list('self time', p.topSelf, 12);
  list('native calls by caller', p.nativeByCaller, 12);
  list('charged to projector functions (their SQLite calls included)', p.byProjectorFunction, 12);
}

function printSqlStats(name: string, q: SqlStats): void {
  console.log(`\nSQLite calls in ${name}: ${q.callsPerEvent} per event, ${q.usPerEvent} µs per event inside them (${q.totalMs} ms of ${q.events} events)`);
  console.log('    ms    share  per event  µs/call  call');
  for (const c of q.top.slice(0, 16)) {
    console.log(
      `  ${String(c.ms).padStart(6)}  ${((100 * c.ms) / Math.max(1, q.totalMs)).toFixed(1).padStart(5)} %  ${c.perEvent.toFixed(2).padStart(9)}  ${c.usPerCall.toFixed(2).padStart(7)}  ${c.method} ${c.sql}`,
    );
  }
}

const stopped = (run: { truncated: boolean }) => (run.truncated ? ' [stopped by time budget]' : '');
const cpuShare = (f: FoldRun) => `${((100 * f.cpuMs) / f.ms).toFixed(0)}% of a core, ${((100 * f.sysMs) / f.ms).toFixed(0)}% in the kernel`;
/** A rows-equal check as printed; null: not compared. */
const same = (equal: boolean | null, diff: readonly string[], why = 'a rebuild stopped early') =>
  equal === null ? `not compared (${why})` : equal ? 'yes' : `NO: ${diff.join('; ')}`;

function printHeader(r: Results): void {
  const w = r.workload;
  const types = Object.entries(w.byType)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t} ${((100 * n) / w.events).toFixed(1)}%`)
    .join(', ');
  console.log(`\nprojector-fold  ${r.date.slice(0, 10)}  ${r.machine.cpus} vCPU ${r.machine.model}  Node ${r.machine.node}  projector: ${r.projector}`);
  console.log(
    `workload: ${w.events} events from ${w.nodes} nodes (${types}); ${w.withLastLines} with lastLines; ` +
      `${w.outOfOrder} (${((100 * w.outOfOrder) / w.events).toFixed(2)}%) delivered after their successor; ` +
      `payload avg ${(w.payloadBytes / w.events).toFixed(0)} B; generated in ${s(w.generateMs)} (not timed)`,
  );
}

function printLive(r: Results): boolean {
  let ok = true;
  const l = r.live;
  console.log(
    `\nlive      ${l.events} events, ${l.commits} commits of ${r.options.batch}: ${s(l.ms)} = ${k(l.eventsPerSec)} events/s ` +
      `(${cpuShare(l)}; ${perCpu(l.events, l.cpuMs)}), file ${mb(l.fileBytes)}${stopped(l)}`,
  );
  // Every workload message is valid and new: anything but 'folded' means the bench (or the ingest) is wrong.
  for (const [name, f] of [['live', l], ['naive', r.naive]] as const) {
    const other = Object.entries(f.outcomes).filter(([kind]) => kind !== 'folded');
    if (other.length > 0) {
      console.log(`  ${name}: outcomes other than folded: ${other.map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
      ok = false;
    }
  }
  const n = r.naive;
  console.log(`naive     ${n.events} events, one commit each: ${s(n.ms)} = ${k(n.eventsPerSec)} events/s (${cpuShare(n)})${stopped(n)}`);
  const liveOnPrefix = n.events / (msAt(l, n.events) / 1000);
  console.log(`  live/naive over the same first ${n.events} events: ${x(liveOnPrefix / n.eventsPerSec)} (${k(liveOnPrefix)} vs ${k(n.eventsPerSec)} events/s)`);
  const c = r.ceilings;
  console.log(
    `  ceilings: topic parse + decode/validate only ${k(c.decode.eventsPerSec)} events/s; + log append (batches of ${r.options.batch}) ` +
      `${k(c.append.eventsPerSec)} events/s (${perCpu(c.append.events, c.append.cpuMs)}); live/append ${x(l.eventsPerSec / c.append.eventsPerSec)}`,
  );
  console.log(
    `  target live >= ${k(TARGETS.liveEventsPerSec)} events/s: ${verdict(l.eventsPerSec >= TARGETS.liveEventsPerSec)} (${x(l.eventsPerSec / TARGETS.liveEventsPerSec)} of target)`,
  );
  if (r.naiveEqualsLive !== null) {
    console.log(`  naive rows == live rows: ${same(r.naiveEqualsLive.length === 0, r.naiveEqualsLive)}`);
    ok &&= r.naiveEqualsLive.length === 0;
  }
  return ok;
}

function printRebuild(r: Results): boolean {
  const b = r.rebuild;
  console.log(`\nrebuild   ${b.events} events (the live file): ${s(b.ms)} = ${k(b.eventsPerSec)} events/s (${perCpu(b.events, b.cpuMs)})${stopped(b)}`);
  console.log(
    `  rebuild/live ${x(b.eventsPerSec / r.live.eventsPerSec)}; rebuild/log scan ${x(b.eventsPerSec / r.scan.eventsPerSec)} ` +
      `(scan + JSON.parse of every row: ${k(r.scan.eventsPerSec)} events/s)`,
  );
  console.log(
    `  target rebuild >= ${k(TARGETS.rebuildEventsPerSec)} events/s: ${verdict(b.eventsPerSec >= TARGETS.rebuildEventsPerSec)} ` +
      `(${x(b.eventsPerSec / TARGETS.rebuildEventsPerSec)} of target)`,
  );
  console.log(`  rebuilt rows == live rows: ${same(b.equal, b.differences)}`);
  return b.equal !== false;
}

function printBig(g: BigRun): boolean {
  console.log(
    `\nlarge log ${g.build.events} events written by ${g.build.how} in ${s(g.build.ms)} (setup, ${k(g.build.eventsPerSec)} events/s), ` +
      `file ${mb(g.fileBytes)}${stopped(g.build)}`,
  );
  console.log(
    `  rebuild: ${g.rebuild.events} events in ${s(g.rebuild.ms)} = ${k(g.rebuild.eventsPerSec)} events/s (${perCpu(g.rebuild.events, g.rebuild.cpuMs)})` +
      `${stopped(g.rebuild)}; rebuild/log scan ${x(g.rebuild.eventsPerSec / g.scan.eventsPerSec)} (scan ${k(g.scan.eventsPerSec)} events/s)`,
  );
  const perMillion = (g.rebuild.ms / g.rebuild.events) * TARGETS.bigEvents;
  console.log(
    `  target 1M rebuilt < ${s(TARGETS.bigRebuildMs)}: ${verdict(perMillion < TARGETS.bigRebuildMs)} ` +
      `(${s(perMillion)} per 1M${g.rebuild.events === TARGETS.bigEvents ? '' : ', scaled'})`,
  );
  if (g.build.how === 'ingest') console.log(`  rebuilt rows == folded rows: ${same(g.rebuild.equal, g.rebuild.differences)}`);
  return g.rebuild.equal !== false;
}

function printVersus(r: Results, v: NonNullable<Results['versus']>): boolean {
  let ok = true;
  console.log(`\nversus ${v.projector} (same messages, same run)`);
  console.log(`  live    ${k(v.live.eventsPerSec)} events/s (${perCpu(v.live.events, v.live.cpuMs)})${stopped(v.live)}: ${x(v.live.eventsPerSec / r.live.eventsPerSec)} this run's live`);
  console.log(
    `  rebuild ${k(v.rebuild.eventsPerSec)} events/s (${perCpu(v.rebuild.events, v.rebuild.cpuMs)})${stopped(v.rebuild)}: ` +
      `${x(v.rebuild.eventsPerSec / r.rebuild.eventsPerSec)} this run's rebuild; rebuilt rows == its live rows: ${same(v.rebuild.equal, v.rebuild.differences)}`,
  );
  ok &&= v.rebuild.equal !== false;
  console.log(`  its live rows == this version's live rows: ${same(v.liveDifferences === null ? null : v.liveDifferences.length === 0, v.liveDifferences ?? [], 'a live run stopped early')}`);
  ok &&= v.liveDifferences === null || v.liveDifferences.length === 0;
  const gv = r.big?.versus;
  if (r.big !== null && gv !== undefined && gv !== null) {
    console.log(
      `  large log rebuild ${gv.events} events in ${s(gv.ms)} = ${k(gv.eventsPerSec)} events/s (${perCpu(gv.events, gv.cpuMs)})${stopped(gv)}: ` +
        `${x(gv.eventsPerSec / r.big.rebuild.eventsPerSec)} this run's; rows == this version's rebuild: ${same(gv.equal, gv.differences)}`,
    );
    ok &&= gv.equal !== false;
  }
  return ok;
}

/** Prints the summary; false when a correctness check failed. */
export function printSummary(r: Results): boolean {
  printHeader(r);
  let ok = printLive(r);
  ok = printRebuild(r) && ok;
  if (r.big !== null) ok = printBig(r.big) && ok;
  if (r.versus !== null) ok = printVersus(r, r.versus) && ok;
  for (const [name, p] of Object.entries(r.profiles)) printProfile(name, p);
  for (const [name, q] of Object.entries(r.sqlStats)) printSqlStats(name, q);
  console.log(ok ? '\ncorrectness: OK' : '\ncorrectness: FAILED');
  return ok;
}
