/**
 * Steady-state cost of long-running processes: after a warm-up, RSS sampled every few seconds and
 * CPU time (utime+stime) taken at the start and the end of one window. Every target is sampled in
 * the same loop, so they share the window exactly. `tick` runs every 10 s from the start of the
 * warm-up to the end of the window (the node-exporter scrape).
 */
import type { Sandbox } from '@sitrep/deploy';
import { sampleUnit, type ProcSample, type UnitProcess } from './proc.js';

export const SAMPLE_EVERY_MS = 5000;
export const TICK_EVERY_MS = 10_000;

export interface SteadyFigures {
  name: string;
  pid: number;
  windowMs: number;
  samples: number;
  /** VmRSS of the main process, MiB. */
  rssMaxMiB: number;
  rssLastMiB: number;
  /** Every RSS sample of the window, MiB (one per SAMPLE_EVERY_MS). */
  rssSeriesMiB: number[];
  /** RssAnon / RssFile at the last sample: heap, stacks, JIT code / pages of mapped files (the binary). */
  rssAnonLastMiB: number;
  rssFileLastMiB: number;
  /** VmRSS summed over the unit's processes (e.g. the agent's journalctl), MiB. */
  unitRssMaxMiB: number;
  unitProcs: number;
  /** CPU of each process of the unit alive for the whole window. */
  procCpu: { pid: number; comm: string; cpuMs: number }[];
  /** The unit's CPU between consecutive samples (cgroup usage_usec), ms: where in the window it went. */
  unitCpuSeriesMs: number[] | null;
  /** utime+stime of the main process over the window. */
  cpuMs: number;
  cpuPercentOfCore: number;
  cpuMsPer10s: number;
  /** The whole unit's cgroup (main process, children alive or reaped), null without cpu.stat. */
  unitCpuMs: number | null;
  unitCpuPercentOfCore: number | null;
}

export interface SteadyOptions {
  warmupMs: number;
  windowMs: number;
  hz: number;
  tick?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const MiB = (kb: number) => Math.round((kb / 1024) * 10) / 10;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** CPU of each process present in both samples, ms. */
export function cpuByProcess(first: ProcSample, last: ProcSample, hz: number): SteadyFigures['procCpu'] {
  return last.procCpu.flatMap((p) => {
    const before = first.procCpu.find((q) => q.pid === p.pid);
    return before === undefined ? [] : [{ pid: p.pid, comm: p.comm, cpuMs: round(((p.ticks - before.ticks) * 1000) / hz, 1) }];
  });
}

export interface SteadyRun {
  figures: SteadyFigures[];
  /** performance.now() of the first and the last sample: the window as measured. */
  fromAt: number;
  toAt: number;
}

export async function measureSteady(sb: Sandbox, targets: readonly UnitProcess[], o: SteadyOptions): Promise<SteadyRun> {
  const ticks: Promise<void>[] = [];
  const t0 = performance.now();
  const windowStart = t0 + o.warmupMs;
  const windowEnd = windowStart + o.windowMs;
  let nextTick = t0;
  const fireTicks = (until: number) => {
    while (o.tick !== undefined && nextTick <= until && nextTick <= windowEnd) {
      ticks.push(o.tick());
      nextTick += TICK_EVERY_MS;
    }
  };

  // Warm-up: ticks only.
  while (performance.now() < windowStart) {
    fireTicks(performance.now());
    await sleep(Math.min(nextTick, windowStart) - performance.now());
  }
  fireTicks(performance.now());
  const series: ProcSample[][] = targets.map(() => []);
  const takeAll = async () => {
    const s = await Promise.all(targets.map((u) => sampleUnit(sb, u)));
    s.forEach((x, i) => series[i]!.push(x));
  };
  await takeAll();
  const maxSamples = Math.ceil(o.windowMs / SAMPLE_EVERY_MS) + 2;
  let nextSample = performance.now() + SAMPLE_EVERY_MS;
  while (performance.now() < windowEnd && series[0]!.length < maxSamples) {
    fireTicks(performance.now());
    const wake = Math.min(nextSample, nextTick, windowEnd);
    await sleep(wake - performance.now());
    fireTicks(performance.now());
    if (performance.now() >= nextSample && performance.now() < windowEnd) {
      await takeAll();
      nextSample += SAMPLE_EVERY_MS;
    }
  }
  await takeAll();
  await Promise.all(ticks);

  const figures = targets.map((u, i): SteadyFigures => {
    const s = series[i]!;
    const first = s[0]!;
    const last = s.at(-1)!;
    const windowMs = last.at - first.at;
    const cpuMs = ((last.cpuTicks - first.cpuTicks) * 1000) / o.hz;
    const unitCpuMs =
      first.cgroupUsageUsec === null || last.cgroupUsageUsec === null ? null : (last.cgroupUsageUsec - first.cgroupUsageUsec) / 1000;
    return {
      name: u.unit,
      pid: u.pid,
      windowMs: Math.round(windowMs),
      samples: s.length,
      rssMaxMiB: MiB(Math.max(...s.map((x) => x.rssKb))),
      rssLastMiB: MiB(last.rssKb),
      rssSeriesMiB: s.map((x) => MiB(x.rssKb)),
      unitCpuSeriesMs: s.some((x) => x.cgroupUsageUsec === null)
        ? null
        : s.slice(1).map((x, j) => round((x.cgroupUsageUsec! - s[j]!.cgroupUsageUsec!) / 1000, 1)),
      rssAnonLastMiB: MiB(last.rssAnonKb),
      rssFileLastMiB: MiB(last.rssFileKb),
      unitRssMaxMiB: MiB(Math.max(...s.map((x) => x.unitRssKb))),
      unitProcs: last.procs,
      procCpu: cpuByProcess(first, last, o.hz),
      cpuMs: round(cpuMs, 1),
      cpuPercentOfCore: round((cpuMs / windowMs) * 100, 4),
      cpuMsPer10s: round((cpuMs / windowMs) * 10_000, 2),
      unitCpuMs: unitCpuMs === null ? null : round(unitCpuMs, 1),
      unitCpuPercentOfCore: unitCpuMs === null ? null : round((unitCpuMs / windowMs) * 100, 4),
    };
  });
  return { figures, fromAt: series[0]![0]!.at, toAt: series[0]!.at(-1)!.at };
}
