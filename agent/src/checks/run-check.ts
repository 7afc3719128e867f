/**
 * Runs one check, a script or a probe, to a result. Never rejects: whatever goes wrong becomes a
 * result with status ERROR and a message saying what.
 *
 * A script runs as argv `[path]` (no shell, its `#!` line picks the interpreter), with cwd `/`,
 * the environment of check-env.ts, stdin closed, and stdout+stderr captured within
 * `maxOutputBytes`. Its status comes from its last status line or its exit code (status-line.ts).
 * ERROR when it is missing or not executable, cannot be started, is killed by a signal, or runs
 * past its timeout ("timed out after N s"; its whole process group is killed).
 *
 * The result is the contract's CheckResult without `v` and `node` (the agent adds them when it
 * publishes); `ts` is when the run ended, by the agent's clock.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { CheckResult, Logger } from '@sitrep/schemas';
import type { ProbeSpec } from '@sitrep/schemas/config';
import { checkEnv, formatSeconds } from './check-env.js';
import { systemReason } from './errors.js';
import { runProbeSpec, type ProbeOutcome } from './probes.js';
import { runProcess, type ProcessResult } from './run-process.js';
import { decideStatus, MAX_MESSAGE_LENGTH, StatusLineScanner } from './status-line.js';

export type CheckRunResult = Omit<CheckResult, 'v' | 'node'>;

export interface RunCheckOptions {
  timeoutMs: number;
  maxOutputBytes: number;
  /** Aborting kills the run; the result is ERROR "stopped before it finished". */
  signal?: AbortSignal;
  /** Clock for `ts`; default Date.now. */
  now?: () => number;
  /** Between SIGTERM and SIGKILL on timeout, ms (default 2000). */
  killGraceMs?: number;
  /** Where trouble killing a run, and processes a script left behind, are logged. */
  log?: Logger;
}

export type CheckTarget = { kind: 'script'; id: string; path: string } | { kind: 'probe'; id: string; probe: ProbeSpec };

function result(id: string, outcome: ProbeOutcome, durationMs: number, now: () => number): CheckRunResult {
  const r: CheckRunResult = {
    check: id,
    ts: now(),
    status: outcome.status,
    message: outcome.message.slice(0, MAX_MESSAGE_LENGTH),
    durationMs,
  };
  if (outcome.exitCode !== undefined) r.exitCode = outcome.exitCode;
  if (outcome.output !== undefined) r.output = outcome.output;
  return r;
}

/** Why `path` cannot be run as a check, or null when it can. */
async function notRunnable(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return `${path} is not a regular file`;
  } catch (err) {
    return `cannot find ${path}: ${systemReason(err)}`;
  }
  try {
    await access(path, constants.X_OK);
    return null;
  } catch (err) {
    return `${path} is not executable (${systemReason(err)}): chmod 755 it, or install it with "sitrep check add"`;
  }
}

function scriptOutcome(path: string, run: ProcessResult, scanner: StatusLineScanner, timeoutMs: number): ProbeOutcome {
  const base = { exitCode: run.exitCode, output: run.output };
  switch (run.end) {
    case 'spawn-failed': {
      const code = run.spawnError?.code;
      const hint = code === 'ENOEXEC' ? ' (no #! line and not a binary?)' : '';
      return { status: 'ERROR', message: `cannot run ${path}: ${code ?? run.spawnError?.message}${hint}`, exitCode: null };
    }
    case 'timed-out':
      return { ...base, status: 'ERROR', message: `timed out after ${formatSeconds(timeoutMs)}` };
    case 'aborted':
      return { ...base, status: 'ERROR', message: 'stopped before it finished' };
    case 'signalled':
      return { ...base, status: 'ERROR', message: `killed by ${run.signal}` };
    case 'exited':
      scanner.end();
      return { ...base, ...decideStatus(scanner.last, run.exitCode ?? 0, run.output) };
  }
}

/** What the result does not say but an operator may want to know. */
function logAftermath(id: string, run: ProcessResult, log: Logger | undefined): void {
  if (run.killedLeftovers) log?.info('check exited leaving processes behind; killed them', { check: id });
  for (const problem of run.problems) log?.warn('trouble ending a check', { check: id, problem });
}

/** Runs the script at `path` as check `id`. */
export async function runScript(id: string, path: string, opts: RunCheckOptions): Promise<CheckRunResult> {
  const now = opts.now ?? Date.now;
  const problem = await notRunnable(path);
  if (problem !== null) return result(id, { status: 'ERROR', message: problem, exitCode: null }, 0, now);
  const scanner = new StatusLineScanner();
  const run = await runProcess([path], {
    timeoutMs: opts.timeoutMs,
    maxOutputBytes: opts.maxOutputBytes,
    env: checkEnv(id),
    cwd: '/',
    onStdout: (chunk) => scanner.push(chunk),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.killGraceMs === undefined ? {} : { killGraceMs: opts.killGraceMs }),
  });
  logAftermath(id, run, opts.log);
  return result(id, scriptOutcome(path, run, scanner, opts.timeoutMs), run.durationMs, now);
}

/** Runs a built-in probe as check `id`. */
export async function runProbe(id: string, probe: ProbeSpec, opts: RunCheckOptions): Promise<CheckRunResult> {
  const now = opts.now ?? Date.now;
  const start = performance.now();
  let outcome: ProbeOutcome;
  try {
    outcome = await runProbeSpec(probe, {
      id,
      timeoutMs: opts.timeoutMs,
      maxOutputBytes: opts.maxOutputBytes,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      ...(opts.killGraceMs === undefined ? {} : { killGraceMs: opts.killGraceMs }),
      ...(opts.log === undefined ? {} : { log: opts.log }),
    });
  } catch (err) {
    // The probes map their own failures; anything here is a bug, reported rather than thrown at the scheduler.
    outcome = { status: 'ERROR', message: `probe failed unexpectedly: ${err instanceof Error ? err.message : String(err)}` };
  }
  return result(id, outcome, Math.round(performance.now() - start), now);
}

/** Runs a script or a probe. */
export function runCheck(target: CheckTarget, opts: RunCheckOptions): Promise<CheckRunResult> {
  return target.kind === 'script' ? runScript(target.id, target.path, opts) : runProbe(target.id, target.probe, opts);
}
