/**
 * CPU utilisation from the `cpu` lines of /proc/stat (proc(5)): cumulative jiffies per state since
 * boot, so utilisation over an interval is the busy share of the difference of two samples.
 */
import type { Metrics } from '@sitrep/schemas';
import { MetricsError } from './metrics-error.js';
import { clampPercent } from './percent.js';

export interface CpuTimes {
  /** user + nice + system + idle + iowait + irq + softirq + steal. */
  total: number;
  /** idle + iowait: a CPU waiting for I/O is free to run something else. */
  idle: number;
}

export interface CpuSample {
  all: CpuTimes;
  /** Online CPUs by number; offline ones are absent from /proc/stat. */
  cores: Map<number, CpuTimes>;
}

/**
 * Fields: user nice system idle iowait irq softirq steal guest guest_nice. guest and guest_nice
 * are already included in user and nice, so adding them would count guest time twice.
 * Kernels before 2.6.11 have fewer fields; missing ones count as 0.
 */
function parseTimes(fields: string[]): CpuTimes {
  let total = 0;
  for (let i = 1; i <= 8 && i < fields.length; i++) total += Number(fields[i]);
  const idle = Number(fields[4] ?? 0) + Number(fields[5] ?? 0);
  if (!Number.isFinite(total) || !Number.isFinite(idle)) throw new MetricsError('PROC_PARSE_FAILED', `/proc/stat: bad cpu line "${fields.join(' ')}"`);
  return { total, idle };
}

export function parseProcStat(text: string): CpuSample {
  let all: CpuTimes | undefined;
  const cores = new Map<number, CpuTimes>();
  for (const line of text.split('\n')) {
    // The cpu lines come first; stop at the first other line (intr, ctxt, ...).
    if (!line.startsWith('cpu')) break;
    const fields = line.split(/\s+/);
    const name = fields[0]!;
    if (name === 'cpu') all = parseTimes(fields);
    else cores.set(Number(name.slice(3)), parseTimes(fields));
  }
  if (all === undefined) throw new MetricsError('PROC_PARSE_FAILED', '/proc/stat has no aggregate cpu line');
  return { all, cores };
}

/** Busy share between two samples; without a usable previous sample, since boot. */
function busyPercent(cur: CpuTimes, prev: CpuTimes | undefined): number {
  let dTotal = cur.total - (prev?.total ?? 0);
  let dIdle = cur.idle - (prev?.idle ?? 0);
  // Counters that went backwards (a CPU taken offline and back, a buggy iowait): use since boot.
  if (dTotal < 0 || dIdle < 0) {
    dTotal = cur.total;
    dIdle = cur.idle;
  }
  // No tick elapsed (two samples within one jiffy): nothing ran that we could see.
  if (dTotal === 0) return 0;
  return clampPercent(((dTotal - dIdle) / dTotal) * 100);
}

/** Keeps the previous sample so each call reports utilisation since the last one. */
export function createCpuSampler(): { sample(text: string): Metrics['cpu'] } {
  let prev: CpuSample | undefined;
  return {
    sample(text) {
      const cur = parseProcStat(text);
      const cores = [...cur.cores.keys()].sort((a, b) => a - b).map((n) => busyPercent(cur.cores.get(n)!, prev?.cores.get(n)));
      const cpu = { percent: busyPercent(cur.all, prev?.all), cores: cores.slice(0, 4096) };
      prev = cur;
      return cpu;
    },
  };
}
