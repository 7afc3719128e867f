/**
 * Hub capacity (issue 9): the largest simulated fleet the hub (broker + projector thread, one process)
 * sustains at a 10 s interval with 20 services per node, while the projector's lag stays under 1 s
 * at p99 and no event is lost. Each step is a fresh `sitrep hub --no-agent` child with a fresh data
 * directory and a fleet of real MQTT connections (one agent identity each) from this process.
 *
 *   pnpm --filter @sitrep/bench hub-capacity [--nodes 500,1000,2000] [--window 60] [--warmup 20] [--services 20] [--interval 10]
 *
 * Lag is `received_at - ts` of every agent event in the window, read from the projector's log
 * afterwards (same host, same clock): agent publish to projector ingest, broker included.
 * Loss: for every node, the log must hold seq 1..lastSeq exactly (the simulator knows lastSeq).
 * The fleet runs on the same 2 cores as the hub, so the hub gets less than the whole machine: a
 * pessimistic figure. The same steps then run against Mosquitto (Debian package) with `sitrep
 * projector` as a separate process, for comparison (`--no-mosquitto` skips it). Figures go to
 * results/hub-capacity.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeIds } from '@sitrep/simulator';
import { mosquittoAndProjector, sitrepHub, type TargetKind } from './hub-capacity/targets.js';
import { runStep, type StepResult } from './hub-capacity/step.js';

const USAGE = `hub-capacity [--nodes 500,1000,2000] [--window SEC] [--warmup SEC] [--services M] [--interval SEC] [--failure-rate P] [--max-minutes N] [--targets sitrep,mosquitto] [--no-mosquitto]`;

function option(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  if (inline !== undefined) return inline.slice(name.length + 3);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
}
function bounded(name: string, fallback: number, min: number, max: number): number {
  const v = Number(option(name, String(fallback)));
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`--${name} must be a number from ${min} to ${max}\n${USAGE}`);
    process.exit(2);
  }
  return v;
}
if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}

const steps = option('nodes', '500,1000,2000').split(',').map(Number);
if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000)) {
  console.error(`--nodes takes a comma-separated list of integers from 1 to 10000\n${USAGE}`);
  process.exit(2);
}
const settings = {
  windowSec: bounded('window', 60, 10, 600),
  warmupSec: bounded('warmup', 20, 5, 300),
  services: bounded('services', 20, 1, 100),
  intervalSec: bounded('interval', 10, 1, 60),
  failureRate: bounded('failure-rate', 0.002, 0, 1),
};
const deadline = Date.now() + bounded('max-minutes', 30, 1, 120) * 60_000;
const log = (s: string) => console.error(`[hub-capacity] ${s}`);

const chosen = option('targets', process.argv.includes('--no-mosquitto') ? 'sitrep' : 'sitrep,mosquitto').split(',');
const targets: TargetKind[] = [...(chosen.includes('sitrep') ? [sitrepHub] : []), ...(chosen.includes('mosquitto') ? [mosquittoAndProjector] : [])];
const results: { target: string; steps: StepResult[] }[] = [];
for (const target of targets) {
  const why = target.unavailable();
  if (why !== null) {
    log(`${target.name}: skipped (${why})`);
    continue;
  }
  const done: StepResult[] = [];
  results.push({ target: target.name, steps: done });
  for (const nodes of steps) {
    if (Date.now() > deadline) {
      log(`time budget spent; not running ${nodes} nodes`);
      break;
    }
    log(`${target.name}: ${nodes} nodes x ${settings.services} services every ${settings.intervalSec} s`);
    const r = await runStep(await target.start(nodeIds(nodes)), { nodes, ...settings }, log);
    done.push(r);
    log(`  -> ${r.sustained ? 'sustained' : 'NOT sustained'}: lag p99 ${r.lag?.p99 ?? '-'} ms, lost ${r.lost}, hub ${r.hubCpuPercent}% CPU, ${r.hubRssMiB} MiB`);
    if (!r.sustained) break;
  }
}

console.log('\nHub capacity (broker + projector thread, one process), fleet on the same machine');
console.log('| target | nodes | connections | msg/s | events/s | lag p50 | lag p99 | lost | hub CPU | hub RSS | RSS per node | sustained |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const { target, steps: rows } of results) {
  for (const r of rows) {
    console.log(`| ${target} | ${r.nodes} | ${r.connected} | ${r.msgPerSec} | ${r.eventsPerSec} | ${r.lag?.p50 ?? '-'} ms | ${r.lag?.p99 ?? '-'} ms | ${r.lost} | ${r.hubCpuPercent} % | ${r.hubRssMiB} MiB | ${r.rssPerNodeKiB} KiB | ${r.sustained ? 'yes' : 'no'} |`);
  }
}
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'hub-capacity.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), settings, results }, null, 2)}\n`);
log(`figures in ${out}`);
process.exit(0);
