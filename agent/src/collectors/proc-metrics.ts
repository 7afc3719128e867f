/**
 * Host metrics snapshot from procfs and sysfs, without child processes: one read of each of
 * /proc/stat, meminfo, loadavg, uptime, self/mounts and net/dev, one readdir of /proc, statfs per
 * real filesystem and the temperature inputs. Replaces the systeminformation-based metrics.ts,
 * whose fsSize() spawns df on every cycle (see bench/agent-collect.ts for the numbers).
 *
 * Stateful: CPU and network figures are rates since the previous call, so keep one collector per
 * agent and call it once per cycle.
 */
import { join } from 'node:path';
import { createLogger, type Logger, type Metrics } from '@sitrep/schemas';
import { createDiskUsage, type StatfsFn } from './disk-usage.js';
import { createProcFileReader } from './proc-file.js';
import { countProcesses, parseLoadavg, parseUptime } from './proc-loadavg.js';
import { parseMeminfo } from './proc-meminfo.js';
import { parseMounts, selectRealMounts } from './proc-mounts.js';
import { createNetRates, parseNetDev } from './proc-net-dev.js';
import { createCpuSampler } from './proc-stat.js';
import { settleWithin, TIMED_OUT } from './settle-within.js';
import { createTemperatureReader, type Temperature } from './sys-temperatures.js';

export interface MetricsCollectorOptions {
  /** Where procfs is mounted. Default `/proc`. */
  procRoot?: string;
  /** Where sysfs is mounted. Default `/sys`. */
  sysRoot?: string;
  /**
   * Clock, ms since the epoch. Default Date.now for `ts`, and a monotonic clock for rates (so an
   * NTP step cannot distort them); when given, it is used for both, which makes rates testable.
   */
  now?: () => number;
  /** Where unreadable optional parts (a disk, the sensors, net/dev) are reported. */
  log?: Logger;
  /** statfs per mount point; default fs.promises.statfs. Replaceable to test a hung mount. */
  statfs?: StatfsFn;
  /** How long one statfs may take before its filesystem is left out, ms. Default 1000. */
  statfsTimeoutMs?: number;
  /** How long reading all temperature sensors may take, ms. Default 2000. */
  sensorsTimeoutMs?: number;
}

export interface MetricsCollector {
  /** One snapshot; rejects (MetricsError) only when CPU, memory, load or uptime are unreadable. */
  collect(node: string): Promise<Metrics>;
}

export function createMetricsCollector(opts: MetricsCollectorOptions = {}): MetricsCollector {
  const procRoot = opts.procRoot ?? '/proc';
  const sysRoot = opts.sysRoot ?? '/sys';
  const wallClock = opts.now ?? Date.now;
  const rateClock = opts.now ?? (() => performance.timeOrigin + performance.now());
  const log = opts.log ?? createLogger('agent/metrics');
  const sensorsTimeoutMs = opts.sensorsTimeoutMs ?? 2000;

  const proc = createProcFileReader();
  const read = (file: string, until?: string) => proc.read(join(procRoot, file), until);
  const cpu = createCpuSampler();
  const net = createNetRates();
  const temps = createTemperatureReader(sysRoot);
  let sensorsPending = false;

  // Optional parts fail the same way every cycle (a mount we may not read, no net/dev in a
  // sandbox): say so when the reason changes, not every 10 seconds.
  const lastProblem = new Map<string, string>();
  function problem(part: string, reason: string | null): void {
    const before = lastProblem.get(part);
    if (reason === before || (reason === null && before === undefined)) return;
    if (reason === null) {
      lastProblem.delete(part);
      log.info('metrics part readable again', { part });
    } else {
      lastProblem.set(part, reason);
      log.warn('metrics part left out of the snapshot', { part, reason });
    }
  }
  function optional<T>(part: string, fn: () => T): T | undefined {
    try {
      const value = fn();
      problem(part, null);
      return value;
    } catch (err) {
      problem(part, (err as Error).message);
      return undefined;
    }
  }

  const skippedDisks = new Set<string>();
  const disks = createDiskUsage({
    statfs: opts.statfs,
    timeoutMs: opts.statfsTimeoutMs,
    onSkip: (mount, reason) => {
      skippedDisks.add(mount);
      problem(`disk ${mount}`, reason);
    },
  });

  async function temperatures(): Promise<Temperature[] | undefined> {
    // A sensor read that never returned holds a libuv thread; do not pile more on top of it.
    if (sensorsPending) {
      problem('temperatures', 'sensor reads from an earlier snapshot have not returned yet');
      return undefined;
    }
    sensorsPending = true;
    const reading = temps.read().then(
      (list) => ({ list }),
      (err: Error) => ({ err }),
    );
    void reading.finally(() => (sensorsPending = false));
    const outcome = await settleWithin(reading, sensorsTimeoutMs);
    if (outcome === TIMED_OUT) {
      problem('temperatures', `sensor reads took longer than ${sensorsTimeoutMs} ms`);
      return undefined;
    }
    if ('err' in outcome) {
      problem('temperatures', outcome.err.message);
      return undefined;
    }
    problem('temperatures', null);
    return outcome.list.length > 0 ? outcome.list : undefined;
  }

  return {
    async collect(node) {
      const ts = Math.round(wallClock());
      const at = rateClock();
      const metrics: Metrics = {
        v: 1,
        node,
        ts,
        // Stop decoding at the first non-cpu line: the `intr` line can be tens of kilobytes.
        cpu: cpu.sample(read('stat', '\nintr')),
        memory: parseMeminfo(read('meminfo')),
        disks: [],
        load: parseLoadavg(read('loadavg')),
        uptime: parseUptime(read('uptime')),
      };
      const processes = optional('processes', () => countProcesses(procRoot));
      if (processes !== undefined) metrics.processes = processes;
      const network = optional('network', () => net.sample(parseNetDev(read('net/dev')), at));
      if (network !== undefined) metrics.network = network;

      const mounts = optional('mounts', () => selectRealMounts(parseMounts(read('self/mounts')))) ?? [];
      skippedDisks.clear();
      const [diskList, temperatureList] = await Promise.all([disks.collect(mounts), temperatures()]);
      metrics.disks = diskList;
      const mounted = new Set(mounts.map((m) => m.mount));
      for (const part of lastProblem.keys()) {
        if (!part.startsWith('disk ')) continue;
        const mount = part.slice('disk '.length);
        if (!mounted.has(mount)) lastProblem.delete(part); // unmounted since: nothing to report
        else if (!skippedDisks.has(mount)) problem(part, null); // back in the snapshot
      }
      if (temperatureList !== undefined) metrics.temperatures = temperatureList;
      return metrics;
    },
  };
}
