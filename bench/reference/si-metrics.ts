/** The systeminformation-based collector the agent used first: kept as the reference for bench/agent-collect.ts. */
/**
 * Host metrics snapshot. CPU comes from systeminformation (it diffs /proc/stat between calls);
 * memory, load and uptime from node:os and /proc, which is cheaper than spawning anything.
 */
import { loadavg, uptime } from 'node:os';
import si from 'systeminformation';
import type { Metrics } from '@sitrep/schemas';

/** Filesystems that are not disks: kernel, memory-backed and container overlay noise. */
const PSEUDO_FS = new Set([
  'tmpfs', 'devtmpfs', 'overlay', 'squashfs', 'proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'mqueue',
  'debugfs', 'tracefs', 'securityfs', 'pstore', 'autofs', 'hugetlbfs', 'fusectl', 'configfs', 'bpf',
  'nsfs', 'ramfs', 'efivarfs', 'binfmt_misc', 'rpc_pipefs', 'fuse.lxcfs', 'fuse.snapfuse', 'shm',
]);

const round1 = (n: number) => Math.round(n * 10) / 10;
const clampPct = (n: number) => Math.min(100, Math.max(0, round1(Number.isFinite(n) ? n : 0)));

export function realDisks(all: readonly si.Systeminformation.FsSizeData[]): Metrics['disks'] {
  const seen = new Set<string>();
  const disks = all
    .filter((d) => !PSEUDO_FS.has(d.type) && d.size > 0 && !d.mount.startsWith('/snap/'))
    .filter((d) => (seen.has(d.mount) ? false : (seen.add(d.mount), true)))
    .map((d) => ({
      mount: d.mount,
      fs: d.type,
      size: d.size,
      used: d.used,
      available: d.available,
      percent: clampPct(d.size > 0 ? (d.used / d.size) * 100 : 0),
    }));
  // The root filesystem first: it is the one a dashboard shows when it shows one.
  return disks.sort((a, b) => (a.mount === '/' ? -1 : b.mount === '/' ? 1 : a.mount.localeCompare(b.mount)));
}

export async function collectMetrics(node: string, now: () => number = Date.now): Promise<Metrics> {
  const [load, mem, fs] = await Promise.all([si.currentLoad(), si.mem(), si.fsSize()]);
  const [l1, l5, l15] = loadavg();
  const used = mem.total - mem.available;
  return {
    v: 1,
    node,
    ts: now(),
    cpu: { percent: clampPct(load.currentLoad), cores: load.cpus.map((c) => clampPct(c.load)) },
    memory: {
      total: mem.total,
      used,
      available: mem.available,
      percent: clampPct(mem.total > 0 ? (used / mem.total) * 100 : 0),
      swapTotal: mem.swaptotal,
      swapUsed: mem.swapused,
    },
    disks: realDisks(fs),
    load: [l1, l5, l15].map((x) => Math.round(Math.max(0, x ?? 0) * 100) / 100) as [number, number, number],
    uptime: Math.round(uptime()),
  };
}
