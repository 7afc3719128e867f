/**
 * One scheduled check as the scheduler holds it: what to run, when, and what happened last.
 * Built from a script's metadata or a configured probe; shown as CheckInfo and saved as a
 * CheckStateEntry.
 */
import type { ProbeConfig } from '@sitrep/schemas/config';
import type { CheckInfo, CheckStateEntry } from './check-state.js';
import type { CheckDefinition } from './metadata.js';
import type { CheckRunResult, CheckTarget } from './run-check.js';
import type { Schedule } from './schedule.js';

export interface Running {
  promise: Promise<CheckRunResult>;
  controller: AbortController;
}

/** What a check's last run said; from a run, or from the state file after a restart. */
export type LastRun = Pick<CheckRunResult, 'status' | 'message' | 'ts' | 'durationMs'> & {
  exitCode: number | null;
  output: string | null;
};

export interface CheckEntry {
  id: string;
  target: CheckTarget;
  name: string;
  description: string | null;
  version: string | null;
  schedule: Schedule;
  timeoutMs: number;
  /** Scripts: inode, size, mtime and mode, to notice edits. */
  fingerprint: string | null;
  nextRun: number | null;
  timer: NodeJS.Timeout | null;
  running: Running | null;
  last: LastRun | null;
}

export function scriptEntry(def: CheckDefinition, fingerprint: string, defaultTimeoutMs: number): CheckEntry {
  return {
    id: def.id,
    target: { kind: 'script', id: def.id, path: def.path },
    name: def.name,
    description: def.description ?? null,
    version: def.version ?? null,
    schedule: def.schedule,
    timeoutMs: def.timeoutMs ?? defaultTimeoutMs,
    fingerprint,
    nextRun: null,
    timer: null,
    running: null,
    last: null,
  };
}

export function probeEntry(probe: ProbeConfig, schedule: Schedule): CheckEntry {
  return {
    id: probe.id,
    target: { kind: 'probe', id: probe.id, probe: probe.probe },
    name: probe.name ?? probe.id,
    description: null,
    version: null,
    schedule,
    timeoutMs: probe.timeout,
    fingerprint: null,
    nextRun: null,
    timer: null,
    running: null,
    last: null,
  };
}

export function lastRunOf(result: CheckRunResult): LastRun {
  return {
    status: result.status,
    message: result.message,
    ts: result.ts,
    durationMs: result.durationMs,
    exitCode: result.exitCode ?? null,
    output: result.output ?? null,
  };
}

export function lastRunFromState(saved: CheckStateEntry): LastRun | null {
  if (saved.lastStatus === null || saved.lastRun === null) return null;
  return {
    status: saved.lastStatus,
    message: saved.lastMessage ?? '',
    ts: saved.lastRun,
    durationMs: saved.lastDurationMs ?? 0,
    exitCode: saved.lastExitCode,
    output: saved.lastOutput,
  };
}

export function infoOf(e: CheckEntry): CheckInfo {
  return {
    id: e.id,
    kind: e.target.kind,
    name: e.name,
    description: e.description,
    version: e.version,
    schedule: e.schedule.text,
    timeoutMs: e.timeoutMs,
    path: e.target.kind === 'script' ? e.target.path : null,
    running: e.running !== null,
    lastStatus: e.last?.status ?? null,
    lastMessage: e.last?.message ?? null,
    lastRun: e.last?.ts ?? null,
    lastDurationMs: e.last?.durationMs ?? null,
    nextRun: e.nextRun,
  };
}

export function stateEntryOf(e: CheckEntry): CheckStateEntry {
  return { ...infoOf(e), running: false, lastExitCode: e.last?.exitCode ?? null, lastOutput: e.last?.output ?? null };
}
