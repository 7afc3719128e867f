/**
 * The lifecycle of one supervised process as a pure decider: `decide(command, state, policy)`
 * returns events, `evolve(state, event)` folds one into the state. Time (`now`) and chance (`rand`)
 * come in with the commands; the decider never reads a clock, never sets a timer and never touches
 * a process. Events that need an effect say so with data: `RestartScheduled.delayMs` and
 * `ProcessStopRequested.graceMs` are the timers the runtime sets, `ProcessStartRequested` is the
 * spawn, `ProcessStopRequested.signal` / `ProcessKillRequested` the signals to the process group.
 *
 *   pending ─boot/start─▶ starting ─spawned─▶ running ◀─recovered─┐
 *      │                    │                  │  └─N failures─▶ unhealthy
 *      │                    │                  ├─stop─▶ stopping ─exit─▶ stopped
 *      │                    └──────exit────────┴─▶ crashed ─delay─▶ starting   (restart policy)
 *      └─boot, no autostart─▶ stopped             └─too many restarts in the window─▶ failed
 *
 * `crashed` means "exited although it should have kept running" (a permanent process that exits
 * with 0 included); `restartAt` tells whether a restart is scheduled. A clean exit (0, no signal)
 * of a transient or temporary process ends in `stopped`.
 */
import { backoffDelay } from './backoff.js';
import type {
  HealthProbed,
  LifecycleCommand,
  LifecycleEvent,
  ProcessExited,
  ProcessStartRequested,
} from './lifecycle-messages.js';
import type { LifecyclePolicy } from './policy.js';

export type * from './lifecycle-messages.js';
export { policyOf, type BackoffTuning, type LifecyclePolicy, type RestartPolicy, type StopSignal } from './policy.js';

export type LifecycleStatus = 'pending' | 'starting' | 'running' | 'unhealthy' | 'stopping' | 'stopped' | 'crashed' | 'failed';
export type Health = 'healthy' | 'unhealthy' | 'unknown';
/** How the last run ended; `start-limit-hit` (as systemd calls it) once the supervisor gave up. */
export type ExitResult = 'success' | 'exit-code' | 'signal' | 'spawn-failed' | 'start-limit-hit';
/** autostart: the supervisor started; operator: a command; auto-restart: the restart policy. */
export type StartReason = 'autostart' | 'operator' | 'auto-restart';

export interface Lifecycle {
  readonly status: LifecycleStatus;
  /** When `status` was entered (ms since the epoch). */
  readonly since: number | null;
  /** Runs started so far; every timer and report names the run it belongs to. */
  readonly run: number;
  readonly pid: number | null;
  /** When the current (or last) run was spawned; null while starting. */
  readonly startedAt: number | null;
  /** Automatic restarts so far (operator starts do not count), like systemd's NRestarts. */
  readonly restarts: number;
  /** Quick crashes in a row: the index into the backoff schedule for the next delay. */
  readonly backoffStep: number;
  /** Times of the automatic restarts within the restart window. */
  readonly recentRestarts: readonly number[];
  /** When the scheduled restart is due; null when none is scheduled. */
  readonly restartAt: number | null;
  /** Start again once the current stop completes (restart command). */
  readonly startQueued: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly result: ExitResult | null;
  /** Why the last spawn failed, when it did. */
  readonly message: string | null;
  readonly health: Health;
  /** Consecutive failed health probes of this run. */
  readonly failures: number;
  readonly unhealthySince: number | null;
}

export function initialState(): Lifecycle {
  return {
    status: 'pending',
    since: null,
    run: 0,
    pid: null,
    startedAt: null,
    restarts: 0,
    backoffStep: 0,
    recentRestarts: [],
    restartAt: null,
    startQueued: false,
    exitCode: null,
    signal: null,
    result: null,
    message: null,
    health: 'unknown',
    failures: 0,
    unhealthySince: null,
  };
}

/** A process is there and meant to be up. */
export const isUp = (s: LifecycleStatus): boolean => s === 'starting' || s === 'running' || s === 'unhealthy';
/** A process (the group leader) may exist: up, or being stopped. */
export const hasProcess = (s: LifecycleStatus): boolean => isUp(s) || s === 'stopping';

const startRequested = (state: Lifecycle, at: number, reason: StartReason): ProcessStartRequested => ({
  type: 'ProcessStartRequested',
  at,
  run: state.run + 1,
  reason,
});

export function decide(command: LifecycleCommand, state: Lifecycle, policy: LifecyclePolicy): LifecycleEvent[] {
  const at = command.now;
  const { run, status } = state;
  switch (command.type) {
    case 'Boot':
      if (hasProcess(status) || state.restartAt !== null) return [];
      if (policy.autostart) return [startRequested(state, at, 'autostart')];
      return status === 'pending' ? [{ type: 'AutostartSkipped', at }] : [];
    case 'StartProcess':
      if (status === 'stopping') return state.startQueued ? [] : [{ type: 'StartQueued', at }];
      return isUp(status) ? [] : [startRequested(state, at, 'operator')];
    case 'StopProcess':
      if (isUp(status)) return [{ type: 'ProcessStopRequested', at, run, signal: policy.stopSignal, graceMs: policy.stopGraceMs }];
      if (status === 'stopping') return state.startQueued ? [{ type: 'QueuedStartCancelled', at }] : [];
      return state.restartAt === null ? [] : [{ type: 'RestartCancelled', at, run }];
    case 'RestartProcess':
      if (isUp(status)) {
        return [{ type: 'ProcessStopRequested', at, run, signal: policy.stopSignal, graceMs: policy.stopGraceMs }, { type: 'StartQueued', at }];
      }
      if (status === 'stopping') return state.startQueued ? [] : [{ type: 'StartQueued', at }];
      return [startRequested(state, at, 'operator')];
    case 'KillProcess':
      if (hasProcess(status)) return [{ type: 'ProcessKillRequested', at, run, reason: 'operator' }];
      return state.restartAt === null ? [] : [{ type: 'RestartCancelled', at, run }];
    case 'RecordSpawn':
      if (command.run !== run || state.pid !== null || (status !== 'starting' && status !== 'stopping')) return [];
      return [{ type: 'ProcessSpawned', at, run, pid: command.pid }];
    case 'RecordSpawnFailure':
      return exited(state, policy, command, { exitCode: null, signal: null, result: 'spawn-failed', message: command.message });
    case 'RecordExit': {
      const result = command.signal !== null ? 'signal' : command.exitCode === 0 ? 'success' : 'exit-code';
      return exited(state, policy, command, { exitCode: command.exitCode, signal: command.signal, result, message: null });
    }
    case 'ElapseRestartDelay':
      if (command.run !== run || status !== 'crashed' || state.restartAt === null) return [];
      return [startRequested(state, at, 'auto-restart')];
    case 'ElapseStopGrace':
      return command.run === run && status === 'stopping' ? [{ type: 'ProcessKillRequested', at, run, reason: 'grace-elapsed' }] : [];
    case 'RecordHealthProbe':
      return probed(state, policy, command);
  }
}

type Exit = Pick<ProcessExited, 'exitCode' | 'signal' | 'result' | 'message'>;

function exited(
  state: Lifecycle,
  policy: LifecyclePolicy,
  command: { now: number; run: number; rand: number },
  exit: Exit,
): LifecycleEvent[] {
  if (command.run !== state.run || !hasProcess(state.status)) return [];
  const at = command.now;
  const run = state.run;
  if (state.status === 'stopping') {
    const done: ProcessExited = { type: 'ProcessExited', at, run, ...exit, expected: true };
    return state.startQueued ? [done, startRequested(state, at, 'operator')] : [done];
  }
  const clean = exit.result === 'success';
  const restart = policy.restart === 'permanent' || (policy.restart === 'transient' && !clean);
  if (!restart) return [{ type: 'ProcessExited', at, run, ...exit, expected: clean }];
  const crash: ProcessExited = { type: 'ProcessExited', at, run, ...exit, expected: false };
  const recent = state.recentRestarts.filter((t) => t > at - policy.restartWindowMs).length;
  if (recent >= policy.maxRestarts) return [crash, { type: 'ProcessGaveUp', at, run, restarts: recent, windowMs: policy.restartWindowMs }];
  const stable = state.startedAt !== null && at - state.startedAt >= policy.stableAfterMs;
  const step = stable ? 0 : state.backoffStep;
  const delayMs = backoffDelay(policy.backoffMs, step, policy.jitter, command.rand);
  return [crash, { type: 'RestartScheduled', at, run, delayMs, attempt: step + 1, windowMs: policy.restartWindowMs }];
}

function probed(
  state: Lifecycle,
  policy: LifecyclePolicy,
  command: Extract<LifecycleCommand, { type: 'RecordHealthProbe' }>,
): LifecycleEvent[] {
  const { run, status } = state;
  if (command.run !== run || (status !== 'running' && status !== 'unhealthy')) return [];
  const at = command.now;
  const probe: HealthProbed = { type: 'HealthProbed', at, run, ok: command.ok, message: command.message };
  if (command.ok) {
    if (status !== 'unhealthy') return [probe];
    const unhealthyForMs = at - (state.unhealthySince ?? at);
    return [probe, { type: 'HealthCheckRecovered', at, run, failures: state.failures, unhealthyForMs, message: command.message }];
  }
  const failures = state.failures + 1;
  if (status === 'running' && failures >= policy.failuresBeforeUnhealthy) {
    return [probe, { type: 'HealthCheckFailed', at, run, failures, message: command.message }];
  }
  return [probe];
}

export function evolve(state: Lifecycle, event: LifecycleEvent): Lifecycle {
  const at = event.at;
  switch (event.type) {
    case 'ProcessStartRequested': {
      // An operator or the supervisor starting afresh forgets earlier crashes; a restart does not.
      const fresh = event.reason !== 'auto-restart';
      return {
        ...state,
        status: 'starting',
        since: at,
        run: event.run,
        pid: null,
        startedAt: null,
        restarts: fresh ? state.restarts : state.restarts + 1,
        backoffStep: fresh ? 0 : state.backoffStep,
        recentRestarts: fresh ? [] : state.recentRestarts,
        restartAt: null,
        startQueued: false,
        message: null,
        health: 'unknown',
        failures: 0,
        unhealthySince: null,
      };
    }
    case 'AutostartSkipped':
      return { ...state, status: 'stopped', since: at };
    case 'ProcessSpawned':
      return state.status === 'starting'
        ? { ...state, status: 'running', since: at, pid: event.pid, startedAt: at }
        : { ...state, pid: event.pid, startedAt: at };
    case 'ProcessExited':
      return {
        ...state,
        status: event.expected ? 'stopped' : 'crashed',
        since: at,
        pid: null,
        exitCode: event.exitCode,
        signal: event.signal,
        result: event.result,
        message: event.message,
        health: 'unknown',
        failures: 0,
        unhealthySince: null,
      };
    case 'RestartScheduled':
      return {
        ...state,
        restartAt: at + event.delayMs,
        backoffStep: event.attempt,
        recentRestarts: [...state.recentRestarts.filter((t) => t > at - event.windowMs), at],
      };
    case 'ProcessGaveUp':
      return { ...state, status: 'failed', since: at, restartAt: null, result: 'start-limit-hit' };
    case 'RestartCancelled':
      return { ...state, status: 'stopped', since: at, restartAt: null };
    case 'ProcessStopRequested':
      return { ...state, status: 'stopping', since: at };
    case 'ProcessKillRequested':
      return {
        ...state,
        status: 'stopping',
        since: state.status === 'stopping' ? state.since : at,
        startQueued: event.reason === 'operator' ? false : state.startQueued,
      };
    case 'StartQueued':
      return { ...state, startQueued: true };
    case 'QueuedStartCancelled':
      return { ...state, startQueued: false };
    case 'HealthProbed':
      return event.ok ? { ...state, health: 'healthy', failures: 0 } : { ...state, failures: state.failures + 1 };
    case 'HealthCheckFailed':
      return { ...state, status: 'unhealthy', since: at, health: 'unhealthy', unhealthySince: at };
    case 'HealthCheckRecovered':
      return { ...state, status: 'running', since: at, health: 'healthy', unhealthySince: null };
  }
}

/** Decide and fold in one step: the events and the state after them. */
export function handle(
  command: LifecycleCommand,
  state: Lifecycle,
  policy: LifecyclePolicy,
): { events: LifecycleEvent[]; state: Lifecycle } {
  const events = decide(command, state, policy);
  return { events, state: events.reduce(evolve, state) };
}
