/**
 * Process groups through procfs and kill(2). Every supervised process leads its own group (it is
 * spawned with setsid), so the group is "the process and everything it started" unless a
 * descendant deliberately leaves it (setsid/setpgid: a daemonising double fork). That is the
 * limit of this approach; a cgroup per process would close it.
 *
 * Zombies count as gone: they hold no memory, run no code, and an orphaned one is only reaped
 * when PID 1 gets to it (some container inits never do), while kill(pid, 0) still answers for it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Clock ticks per second of the utime/stime fields in /proc/<pid>/stat. It is part of the
 * kernel's user-space ABI and 100 on every architecture Node runs on (sysconf(_SC_CLK_TCK)).
 */
export const USER_HZ = 100;

export interface ProcStat {
  pid: number;
  /** proc(5) state letter: R S D Z T t X ... */
  state: string;
  pgrp: number;
  /** utime + stime + cutime + cstime: its own CPU time and that of children it has reaped. */
  ticks: number;
  /** Since boot, in ticks: with the pid it identifies the process even if the pid is reused. */
  startTime: number;
}

/** Parse /proc/<pid>/stat. The command name (field 2) may contain spaces and parentheses. */
export function parseStat(pid: number, text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  // Fields from 3 (state) on; field n is at index n - 3.
  const f = text.slice(close + 2).split(' ');
  const num = (n: number) => Number(f[n - 3]);
  const stat = { pid, state: f[0] ?? '', pgrp: num(5), ticks: num(14) + num(15) + num(16) + num(17), startTime: num(22) };
  return Number.isFinite(stat.pgrp) && Number.isFinite(stat.ticks) && Number.isFinite(stat.startTime) ? stat : null;
}

function readStat(procRoot: string, pid: number): ProcStat | null {
  try {
    return parseStat(pid, readFileSync(join(procRoot, String(pid), 'stat'), 'utf8'));
  } catch {
    return null; // The process is gone (ENOENT/ESRCH between readdir and read): not a member.
  }
}

/** Every process on the host that is not a zombie. One read per process: call it once per sample. */
export function listProcesses(procRoot = '/proc'): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(procRoot, Number(name));
    if (st !== null && st.state !== 'Z' && st.state !== 'X') out.push(st);
  }
  return out;
}

/** Live (non-zombie) members of group `pgid`. */
export function groupMembers(pgid: number, procRoot = '/proc'): ProcStat[] {
  return listProcesses(procRoot).filter((p) => p.pgrp === pgid);
}

/** A pid that is safe to negate for kill(2): never 0 (our own group) or 1 (every process). */
const safeGroup = (pgid: number): boolean => Number.isInteger(pgid) && pgid > 1;

/** Does group `pgid` still have a member that is not a zombie? */
export function groupAlive(pgid: number, procRoot = '/proc'): boolean {
  if (!safeGroup(pgid)) return false;
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: a member we may not signal (it changed its user); it exists, so look closer below.
  }
  return groupMembers(pgid, procRoot).length > 0;
}

/** True when `pid` has exited: no such process, or a zombie waiting to be reaped. */
export function processGone(pid: number, procRoot = '/proc'): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  const st = readStat(procRoot, pid);
  return st === null || st.state === 'Z' || st.state === 'X';
}

export type SignalOutcome = 'sent' | 'gone' | 'refused';

/** Send `signal` to every process of group `pgid`. 'refused' (EPERM) means some member could not be signalled. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): SignalOutcome {
  if (!safeGroup(pgid)) return 'gone';
  try {
    process.kill(-pgid, signal);
    return 'sent';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : 'refused';
  }
}

/** VmRSS of `pid` in bytes (proc(5): "VmRSS: 1234 kB"), or null when it is gone or has none (a kernel thread). */
export function readRssBytes(pid: number, procRoot = '/proc'): number | null {
  let text: string;
  try {
    text = readFileSync(join(procRoot, String(pid), 'status'), 'utf8');
  } catch {
    return null;
  }
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text)?.[1];
  return kb === undefined ? null : Number(kb) * 1024;
}

/**
 * Memory and CPU of one process group between samples. Memory is the sum of VmRSS over the
 * members (pages shared between members count once per member, as `ps` would add them up). CPU
 * is the growth of each member's ticks since the previous sample; a member that appeared since
 * counts with all its ticks, one that exited since loses its last interval unless its parent in
 * the group reaped it (then its time moved into the parent's cutime/cstime).
 */
export class GroupUsageMeter {
  private previous = new Map<string, number>();
  private previousAt: number | null = null;

  constructor(private readonly procRoot = '/proc') {}

  /** `members` from `listProcesses`, `atMs` from a monotonic clock. */
  sample(members: readonly ProcStat[], atMs: number): { memoryBytes: number | null; cpuPercent: number | null } {
    let rss: number | null = null;
    let ticks = 0;
    const current = new Map<string, number>();
    for (const m of members) {
      const bytes = readRssBytes(m.pid, this.procRoot);
      if (bytes !== null) rss = (rss ?? 0) + bytes;
      const key = `${m.pid}:${m.startTime}`;
      current.set(key, m.ticks);
      ticks += Math.max(0, m.ticks - (this.previous.get(key) ?? 0));
    }
    const elapsedMs = this.previousAt === null ? 0 : atMs - this.previousAt;
    const cpuPercent = elapsedMs > 0 ? Math.round(((ticks / USER_HZ) * 1000 * 100 * 10) / elapsedMs) / 10 : null;
    this.previous = current;
    this.previousAt = atMs;
    return { memoryBytes: rss, cpuPercent };
  }

  /** The group is gone (or a new run leads a new one): start over. */
  reset(): void {
    this.previous.clear();
    this.previousAt = null;
  }
}
