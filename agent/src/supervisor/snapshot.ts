/**
 * The lifecycle seen through the contract (`ServiceState`, `ServiceStateChanged`): the contract has
 * four run states, the lifecycle eight. The precise lifecycle state goes in `subState`.
 *
 *   lifecycle   run state   why
 *   pending     unknown     defined, the supervisor has not started it yet
 *   starting    running     like systemd's "activating counts as running"
 *   running     running
 *   unhealthy   running     it runs; `health` says 'unhealthy'
 *   stopping    stopped     like systemd's "deactivating counts as stopped"
 *   stopped     stopped     stopped on request, or a clean exit the restart policy accepts
 *   crashed     failed      exited although it should run (a restart may be scheduled)
 *   failed      failed      crashed too often within the restart window: gave up
 */
import { constants } from 'node:os';
import type { LogBatch, ServiceState } from '@sitrep/schemas';
import type { ProcessConfig } from '@sitrep/schemas/config';
import { hasProcess, isUp, type Lifecycle, type LifecycleStatus } from './lifecycle.js';

/** The contract's run state: running, stopped, failed, unknown. */
export type ServiceRunState = ServiceState['state'];
/** One output line as the contract's `LogBatch` carries it. */
export type LogLine = LogBatch['lines'][number];

/** A `ServiceState` without the envelope (`v`, `node`) the agent adds when it publishes. */
export type ProcessServiceState = Omit<ServiceState, 'v' | 'node'>;

export interface Usage {
  /** VmRSS summed over the live members of the process group. */
  memoryBytes: number | null;
  /** CPU time of the group over the last sample interval, in % of one core (may exceed 100). */
  cpuPercent: number | null;
}

const RUN_STATE: Record<LifecycleStatus, ServiceRunState> = {
  pending: 'unknown',
  starting: 'running',
  running: 'running',
  unhealthy: 'running',
  stopping: 'stopped',
  stopped: 'stopped',
  crashed: 'failed',
  failed: 'failed',
};

export const runStateOf = (status: LifecycleStatus): ServiceRunState => RUN_STATE[status];

/** The contract's `exitStatus`: the exit code, or the signal number when killed (as systemd's ExecMainStatus). */
export function exitStatusOf(state: Pick<Lifecycle, 'exitCode' | 'signal'>): number | null {
  if (state.exitCode !== null) return state.exitCode;
  if (state.signal === null) return null;
  return (constants.signals as Record<string, number | undefined>)[state.signal] ?? null;
}

export function snapshotOf(config: ProcessConfig, state: Lifecycle, usage: Usage, ts: number): ProcessServiceState {
  const up = isUp(state.status);
  const alive = hasProcess(state.status);
  const ended = !alive && state.status !== 'pending' && state.result !== null;
  return {
    service: config.id,
    ts,
    kind: 'process',
    state: runStateOf(state.status),
    expect: config.expect,
    exists: true,
    // A run's "since" is when it was spawned, so health flapping does not reset it.
    since: up && state.startedAt !== null ? state.startedAt : state.since,
    pid: alive ? state.pid : null,
    memoryBytes: alive ? usage.memoryBytes : null,
    cpuPercent: alive ? usage.cpuPercent : null,
    restarts: state.restarts,
    subState: state.status,
    ...(ended ? { result: state.result ?? undefined, exitStatus: exitStatusOf(state), signal: state.signal } : {}),
    ...(config.health === undefined ? {} : { health: up ? state.health : 'unknown' }),
  };
}
