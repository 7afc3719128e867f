/**
 * The lifecycle decider's messages. Commands are what happened outside (a report from the runtime,
 * a timer, an operator), imperative; events are what the decider concluded, past tense, with the
 * data the runtime needs to act (delays, signals, run numbers).
 */
import type { ExitResult, StartReason } from './lifecycle.js';
import type { StopSignal } from './policy.js';

export type LifecycleCommand =
  /** The supervisor (re)starts: autostart processes start, the others count as stopped. */
  | { type: 'Boot'; now: number }
  | { type: 'StartProcess'; now: number }
  | { type: 'StopProcess'; now: number }
  | { type: 'RestartProcess'; now: number }
  | { type: 'KillProcess'; now: number }
  | { type: 'RecordSpawn'; now: number; run: number; pid: number }
  | { type: 'RecordSpawnFailure'; now: number; run: number; message: string; rand: number }
  | { type: 'RecordExit'; now: number; run: number; exitCode: number | null; signal: string | null; rand: number }
  | { type: 'ElapseRestartDelay'; now: number; run: number }
  | { type: 'ElapseStopGrace'; now: number; run: number }
  | { type: 'RecordHealthProbe'; now: number; run: number; ok: boolean; message: string };

export type ProcessStartRequested = { type: 'ProcessStartRequested'; at: number; run: number; reason: StartReason };
export type AutostartSkipped = { type: 'AutostartSkipped'; at: number };
export type ProcessSpawned = { type: 'ProcessSpawned'; at: number; run: number; pid: number };
export type ProcessExited = {
  type: 'ProcessExited';
  at: number;
  run: number;
  exitCode: number | null;
  signal: string | null;
  result: Exclude<ExitResult, 'start-limit-hit'>;
  message: string | null;
  /** Asked to stop, or a clean exit the restart policy accepts: `stopped`; otherwise `crashed`. */
  expected: boolean;
};
export type RestartScheduled = { type: 'RestartScheduled'; at: number; run: number; delayMs: number; attempt: number; windowMs: number };
export type ProcessGaveUp = { type: 'ProcessGaveUp'; at: number; run: number; restarts: number; windowMs: number };
export type RestartCancelled = { type: 'RestartCancelled'; at: number; run: number };
export type ProcessStopRequested = { type: 'ProcessStopRequested'; at: number; run: number; signal: StopSignal; graceMs: number };
export type ProcessKillRequested = { type: 'ProcessKillRequested'; at: number; run: number; reason: 'operator' | 'grace-elapsed' };
export type StartQueued = { type: 'StartQueued'; at: number };
export type QueuedStartCancelled = { type: 'QueuedStartCancelled'; at: number };
export type HealthProbed = { type: 'HealthProbed'; at: number; run: number; ok: boolean; message: string };
export type HealthCheckFailed = { type: 'HealthCheckFailed'; at: number; run: number; failures: number; message: string };
export type HealthCheckRecovered = { type: 'HealthCheckRecovered'; at: number; run: number; failures: number; unhealthyForMs: number; message: string };

export type LifecycleEvent =
  | ProcessStartRequested
  | AutostartSkipped
  | ProcessSpawned
  | ProcessExited
  | RestartScheduled
  | ProcessGaveUp
  | RestartCancelled
  | ProcessStopRequested
  | ProcessKillRequested
  | StartQueued
  | QueuedStartCancelled
  | HealthProbed
  | HealthCheckFailed
  | HealthCheckRecovered;
