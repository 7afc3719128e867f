/**
 * The properties of a systemd unit that sitrep reports, read from D-Bus or `systemctl show`,
 * and the seed's mapping of (ActiveState, SubState) to running / stopped / failed / unknown.
 */
import { constants } from 'node:os';
import type { ServiceState } from '@sitrep/schemas';

export interface UnitProps {
  id: string;
  description: string;
  loadState: string;
  activeState: string;
  subState: string;
  /** null when there is no main process (systemd reports 0). */
  mainPid: number | null;
  /** null when unknown (`[not set]`, or 2^64-1 from D-Bus). */
  memoryBytes: number | null;
  cpuNsec: number | null;
  restarts: number | null;
  stateChangeMs: number | null;
  result: string;
  /** CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3; 0 when the main process has not exited. */
  execMainCode: number;
  execMainStatus: number | null;
  /** Path of the unit's cgroup relative to the cgroup root, e.g. /system.slice/nginx.service. */
  controlGroup: string | null;
}

/** The properties `systemctl show -p` is asked for, and the D-Bus names they come from. */
export const SHOW_PROPERTIES = [
  'Id', 'Description', 'LoadState', 'ActiveState', 'SubState', 'MainPID', 'MemoryCurrent', 'CPUUsageNSec',
  'NRestarts', 'StateChangeTimestamp', 'Result', 'ExecMainCode', 'ExecMainStatus', 'ControlGroup',
] as const;

const UINT64_MAX = 18446744073709551615n;

/** A numeric property, or null for systemd's "unknown": `[not set]`, empty, or 2^64-1. */
export function numberOrNull(raw: string | number | bigint | undefined): number | null {
  if (raw === undefined || raw === '' || raw === '[not set]') return null;
  let big: bigint;
  try {
    big = typeof raw === 'bigint' ? raw : BigInt(raw);
  } catch {
    return null;
  }
  if (big >= UINT64_MAX || big < 0n) return null;
  return Number(big);
}

/** `@1700000000` (--timestamp=unix), or `Mon 2026-11-23 14:55:52 UTC` (we run systemctl with TZ=UTC). */
export function parseShowTimestamp(raw: string | undefined): number | null {
  if (raw === undefined || raw === '' || raw === 'n/a') return null;
  if (raw.startsWith('@')) {
    const s = Number(raw.slice(1));
    return Number.isFinite(s) && s > 0 ? Math.round(s * 1000) : null;
  }
  const m = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? UTC$/.exec(raw);
  if (m === null) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? ''}Z`);
  return Number.isFinite(ms) ? ms : null;
}

function fromFields(f: Map<string, string>): UnitProps {
  return {
    id: f.get('Id') ?? '',
    description: f.get('Description') ?? '',
    loadState: f.get('LoadState') ?? 'unknown',
    activeState: f.get('ActiveState') ?? 'unknown',
    subState: f.get('SubState') ?? 'unknown',
    mainPid: numberOrNull(f.get('MainPID')) || null,
    memoryBytes: numberOrNull(f.get('MemoryCurrent')),
    cpuNsec: numberOrNull(f.get('CPUUsageNSec')),
    restarts: numberOrNull(f.get('NRestarts')),
    stateChangeMs: parseShowTimestamp(f.get('StateChangeTimestamp')),
    result: f.get('Result') ?? '',
    execMainCode: numberOrNull(f.get('ExecMainCode')) ?? 0,
    execMainStatus: numberOrNull(f.get('ExecMainStatus')),
    controlGroup: f.get('ControlGroup') || null,
  };
}

/** Parse `systemctl show -p ... unit...` output: one block of KEY=VALUE lines per unit, blank-line separated. */
export function parseShowOutput(text: string): UnitProps[] {
  const units: UnitProps[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
    }
    if (fields.has('Id')) units.push(fromFields(fields));
  }
  return units;
}

export type RunState = ServiceState['state'];

/**
 * The seed mapping: activating and reloading count as running, deactivating as stopped. One
 * exception: `activating/auto-restart` is systemd waiting to restart a unit that just died, which a
 * person calls "failed, restarting", not "running".
 */
export function runState(p: Pick<UnitProps, 'loadState' | 'activeState' | 'subState' | 'result'>): RunState {
  if (p.loadState === 'not-found') return 'unknown';
  switch (p.activeState) {
    case 'active':
    case 'reloading':
      return 'running';
    case 'activating':
      if (p.subState === 'auto-restart') return p.result === 'success' ? 'stopped' : 'failed';
      return 'running';
    case 'deactivating':
    case 'inactive':
      return 'stopped';
    case 'failed':
      return 'failed';
    default:
      return 'unknown';
  }
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Exit code and signal of the main process, from ExecMainCode/ExecMainStatus. */
export function exitOf(p: Pick<UnitProps, 'execMainCode' | 'execMainStatus'>): { exitCode: number | null; signal: string | null } {
  if (p.execMainCode === 1) return { exitCode: p.execMainStatus, signal: null };
  if (p.execMainCode === 2 || p.execMainCode === 3) {
    return { exitCode: null, signal: p.execMainStatus === null ? null : (SIGNAL_NAMES.get(p.execMainStatus) ?? `SIG${p.execMainStatus}`) };
  }
  return { exitCode: null, signal: null };
}
