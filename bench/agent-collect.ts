/**
 * CPU cost of one host metrics snapshot: the procfs collector (agent/src/collectors/proc-metrics.ts)
 * against the systeminformation-based collector it replaced (bench/reference/si-metrics.ts), same run,
 * same host. Budget: < 0.2% of one core at a 10 s interval, i.e. < 20 ms of CPU per snapshot.
 *
 *   pnpm --filter @sitrep/bench agent-collect [iterations]
 *
 * process.cpuUsage() counts this process only; systeminformation also spawns children (df for
 * fsSize), whose CPU shows up in cutime/cstime of /proc/self/stat once they are reaped, so both
 * are reported. Those two fields are in clock ticks; USER_HZ is 100 on every Linux ABI we ship.
 */
import { readFileSync } from 'node:fs';
import { createMetricsCollector } from '@sitrep/agent';
import { collectMetrics } from './reference/si-metrics.js';

const ITERATIONS = Number(process.argv[2] ?? 200);
const MAX_MS_PER_COLLECTOR = 30_000;
const USER_HZ = 100;

/** CPU of reaped children, µs: fields 16 and 17 of /proc/self/stat (after the parenthesised comm). */
function childrenCpuMicros(): number {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  return ((Number(fields[13]) + Number(fields[14])) * 1e6) / USER_HZ;
}

interface Result {
  name: string;
  runs: number;
  selfUs: number;
  childUs: number;
  wallMs: number;
}

async function measure(name: string, collect: (node: string) => Promise<unknown>): Promise<Result> {
  await collect('bench'); // warm up: module init, first /proc reads, JIT
  const cpu0 = process.cpuUsage();
  const child0 = childrenCpuMicros();
  const t0 = performance.now();
  let runs = 0;
  while (runs < ITERATIONS && performance.now() - t0 < MAX_MS_PER_COLLECTOR) {
    await collect('bench');
    runs++;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { name, runs, selfUs: (cpu.user + cpu.system) / runs, childUs: (childrenCpuMicros() - child0) / runs, wallMs: wallMs / runs };
}

const fmt = (us: number) => `${(us / 1000).toFixed(3)} ms`;
function print(r: Result): void {
  const total = r.selfUs + r.childUs;
  // CPU share of one core at one snapshot every 10 s.
  const at10s = (total / 10e6) * 100;
  console.log(
    `${r.name.padEnd(20)} runs=${String(r.runs).padStart(4)}  cpu/collect: self ${fmt(r.selfUs)} + children ${fmt(r.childUs)} = ${fmt(total)}` +
      `  wall ${r.wallMs.toFixed(2)} ms  => ${at10s.toFixed(4)}% of a core at 10 s`,
  );
}

// Default logger (stderr): a filesystem or sensor left out of the snapshot is worth seeing here.
const procCollector = createMetricsCollector();
const fresh = await measure('proc-metrics (new)', (node) => procCollector.collect(node));
const old = await measure('systeminformation', (node) => collectMetrics(node));
print(fresh);
print(old);
const ratio = (old.selfUs + old.childUs) / (fresh.selfUs + fresh.childUs);
const ratioSelf = old.selfUs / fresh.selfUs;
console.log(`old/new CPU per collect: ${ratio.toFixed(1)}x (this process only: ${ratioSelf.toFixed(1)}x)`);
console.log(`rss after both: ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MiB`);
