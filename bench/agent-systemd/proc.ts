/**
 * Memory and CPU of a systemd unit's processes inside the sandbox, read from the container's own
 * /proc (it has its own PID namespace: PIDs here are the ones `systemctl show -p MainPID` prints).
 * One `sb.exec` per sample runs a constant shell text; the PID and cgroup travel as arguments.
 *
 * /proc/PID/stat fields (proc(5)), counted from 1: 14 utime, 15 stime, 16 cutime, 17 cstime,
 * in clock ticks (USER_HZ, read with `getconf CLK_TCK`).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { unitProperties, type Sandbox } from '@sitrep/deploy';

export interface UnitProcess {
  unit: string;
  /** Main PID, as the container sees it. */
  pid: number;
  /** cgroup path inside the container, e.g. /system.slice/bench-dbus.service. */
  cgroup: string;
}

export interface ProcSample {
  /** performance.now() when the sample was taken (host). */
  at: number;
  /** VmRSS of the main process, KiB. */
  rssKb: number;
  /** VmRSS summed over every process of the unit's cgroup, KiB. */
  unitRssKb: number;
  /** Processes in the unit's cgroup (main process, journalctl, ...). */
  procs: number;
  /** utime + stime of the main process, ticks. */
  cpuTicks: number;
  /** cutime + cstime of the main process (children it has reaped), ticks. */
  childTicks: number;
  /** RssAnon / RssFile of the main process, KiB (heap and stacks / mapped files such as the node binary). */
  rssAnonKb: number;
  rssFileKb: number;
  /** Every process of the unit: utime+stime in ticks, by PID, with its command name. */
  procCpu: { pid: number; comm: string; ticks: number }[];
  /** usage_usec of the unit's cgroup (every process it ever had), or null without cpu.stat. */
  cgroupUsageUsec: number | null;
}

export class ProcError extends Error {
  readonly code = 'PROC_SAMPLE_FAILED';
}

const SAMPLE_SH = [
  'pid=$1; cg=/sys/fs/cgroup$2',
  'printf "STAT "; cat "/proc/$pid/stat"',
  'grep -E "^(RssAnon|RssFile|RssShmem):" "/proc/$pid/status" | tr -s " \\t" " " | sed "s/^/MEM /"',
  'for p in $(cat "$cg/cgroup.procs"); do',
  '  r=$(sed -n "s/^VmRSS:[[:space:]]*\\([0-9]*\\) kB/\\1/p" "/proc/$p/status" 2>/dev/null)',
  '  c=$(sed "s/^.*) //" "/proc/$p/stat" 2>/dev/null | cut -d" " -f12,13)',
  '  echo "PROC $p ${r:-0} ${c:-0 0} $(cat "/proc/$p/comm" 2>/dev/null)"',
  'done',
  'sed -n "s/^usage_usec /CG /p" "$cg/cpu.stat" 2>/dev/null || true',
].join('\n');

export async function unitProcess(sb: Sandbox, unit: string): Promise<UnitProcess> {
  const p = await unitProperties(sb, unit, ['MainPID', 'ControlGroup']);
  const pid = Number(p.MainPID);
  if (!(pid > 0) || p.ControlGroup === '') throw new ProcError(`${unit} has no main process (MainPID=${p.MainPID})`);
  return { unit, pid, cgroup: p.ControlGroup };
}

export async function clockTicks(sb: Sandbox): Promise<number> {
  const r = await sb.exec(['getconf', 'CLK_TCK'], { allowFailure: true });
  const hz = Number(r.stdout.trim());
  // USER_HZ is 100 on every Linux ABI we ship; getconf only confirms it.
  return r.exitCode === 0 && hz > 0 ? hz : 100;
}

export async function sampleUnit(sb: Sandbox, u: UnitProcess): Promise<ProcSample> {
  const { stdout } = await sb.exec(['sh', '-c', SAMPLE_SH, 'sh', String(u.pid), u.cgroup], { timeoutMs: 10_000 });
  const at = performance.now();
  const statLine = stdout.split('\n').find((l) => l.startsWith('STAT '));
  if (statLine === undefined) throw new ProcError(`no /proc/${u.pid}/stat for ${u.unit}`);
  // Fields after the parenthesised comm (which may hold spaces): fields[0] is field 3.
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  let rssKb = 0;
  let unitRssKb = 0;
  let procs = 0;
  let cgroupUsageUsec: number | null = null;
  const mem: Record<string, number> = {};
  const procCpu: ProcSample['procCpu'] = [];
  for (const line of stdout.split('\n')) {
    const [tag, a, b, c, d, comm] = line.split(' ');
    if (tag === 'PROC') {
      procs++;
      unitRssKb += Number(b);
      if (Number(a) === u.pid) rssKb = Number(b);
      procCpu.push({ pid: Number(a), comm: comm ?? '?', ticks: Number(c) + Number(d) });
    } else if (tag === 'MEM' && a !== undefined) mem[a.replace(':', '')] = Number(b);
    else if (tag === 'CG') cgroupUsageUsec = Number(a);
  }
  return {
    at,
    rssKb,
    rssAnonKb: mem['RssAnon'] ?? 0,
    rssFileKb: mem['RssFile'] ?? 0,
    unitRssKb,
    procs,
    cpuTicks: field(14) + field(15),
    childTicks: field(16) + field(17),
    procCpu,
    cgroupUsageUsec,
  };
}

/**
 * The host's PID of a process the container knows as `innerPid`: the host /proc entry in the
 * container's PID namespace whose NSpid ends with it. Lets the bench send SIGKILL itself, with the
 * timestamp taken right before, instead of through a `sb.exec` that takes tens of ms to start.
 */
export function hostPidOf(leaderPid: number, innerPid: number): number | null {
  const ns = readlinkSync(`/proc/${leaderPid}/ns/pid`);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
      const nspid = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1]?.trim().split(/\s+/);
      if (nspid !== undefined && Number(nspid.at(-1)) === innerPid) return Number(entry);
    } catch {
      continue; // The process exited while we looked: not the one we want.
    }
  }
  return null;
}
