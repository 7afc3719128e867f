/**
 * What the supervisor reports besides states and logs. `ProcessTransition` maps one to one onto the
 * contract's `ServiceStateChanged` data; the events below are shaped as `{ type, data }` and map
 * field by field onto the contract's events of the same names (services/processes.ts does it).
 */
import type { ProbeSpec, ProcessConfig } from '@sitrep/schemas/config';
import type { ExitResult, LifecycleEvent, LifecycleStatus, StartReason } from './lifecycle.js';
import type { ServiceRunState } from './snapshot.js';

/** The run state changed (`from !== to`); sub-state changes alone only produce an `onState`. */
export interface ProcessTransition {
  id: string;
  at: number;
  from: ServiceRunState;
  to: ServiceRunState;
  fromSubState: LifecycleStatus;
  subState: LifecycleStatus;
  expect: ProcessConfig['expect'];
  /**
   * Exit evidence, set when `to` is stopped or failed because the process has exited (a stop
   * request turns the run state to stopped at once, while the process is still stopping: no
   * evidence yet then). exitCode/signal null and lastLines [] otherwise.
   */
  exitCode: number | null;
  signal: string | null;
  result?: ExitResult;
  /** The process's last output lines (stdout and stderr), oldest first, each at most 4096 chars. */
  lastLines: string[];
}

/** The process was healthy (or not yet known) and failed `failures` probes in a row. */
export interface HealthCheckFailed {
  type: 'HealthCheckFailed';
  data: { service: string; probe: ProbeSpec['type']; failures: number; message: string };
}

/** The first successful probe after HealthCheckFailed. */
export interface HealthCheckRecovered {
  type: 'HealthCheckRecovered';
  data: { service: string; probe: ProbeSpec['type']; failures: number; unhealthyForMs: number; message: string };
}

/** It crashed once more after `restarts` automatic restarts within `windowMs`: no more restarts. */
export interface ProcessGaveUp {
  type: 'ProcessGaveUp';
  data: {
    service: string;
    restarts: number;
    windowMs: number;
    exitCode: number | null;
    signal: string | null;
    lastLines: string[];
  };
}

/** The process of a run exited: a crash, a clean end, or the end of a stop. */
export interface ProcessExited {
  type: 'ProcessExited';
  data: {
    service: string;
    exitCode: number | null;
    signal: string | null;
    result: Exclude<ExitResult, 'start-limit-hit'>;
    /** The restart policy (or a queued restart command) starts it again; after `restartInMs`. */
    willRestart: boolean;
    restartInMs?: number;
    lastLines: string[];
  };
}

/** The restart policy started the process again: the new run is spawned. */
export interface ProcessRestarted {
  type: 'ProcessRestarted';
  /** attempt: restarts in a row since it last stayed up for `stableAfter` (1 = first). */
  data: { service: string; attempt: number; pid: number };
}

export type SupervisorEvent = HealthCheckFailed | HealthCheckRecovered | ProcessGaveUp | ProcessExited | ProcessRestarted;

/** The lifecycle events that are news outside the agent, as `SupervisorEvent`s; null for the others. */
export function supervisorEventOf(
  event: LifecycleEvent,
  ctx: {
    id: string;
    probe: ProbeSpec['type'];
    exitCode: number | null;
    signal: string | null;
    lastLines: () => string[];
    /** The events decided together with this one, after it (a restart follows an exit). */
    following: readonly LifecycleEvent[];
    /** Why the current run was started, and the backoff attempt it was. */
    startReason: StartReason;
    attempt: number;
  },
): SupervisorEvent | null {
  const service = ctx.id;
  switch (event.type) {
    case 'HealthCheckFailed':
      return { type: 'HealthCheckFailed', data: { service, probe: ctx.probe, failures: event.failures, message: event.message } };
    case 'HealthCheckRecovered':
      return {
        type: 'HealthCheckRecovered',
        data: { service, probe: ctx.probe, failures: event.failures, unhealthyForMs: event.unhealthyForMs, message: event.message },
      };
    case 'ProcessGaveUp':
      return {
        type: 'ProcessGaveUp',
        data: { service, restarts: event.restarts, windowMs: event.windowMs, exitCode: ctx.exitCode, signal: ctx.signal, lastLines: ctx.lastLines() },
      };
    case 'ProcessExited': {
      const next = ctx.following.find((e) => e.type === 'RestartScheduled' || e.type === 'ProcessStartRequested');
      const restartInMs = next?.type === 'RestartScheduled' ? next.delayMs : next === undefined ? undefined : 0;
      return {
        type: 'ProcessExited',
        data: {
          service,
          exitCode: event.exitCode,
          signal: event.signal,
          result: event.result,
          willRestart: restartInMs !== undefined,
          ...(restartInMs === undefined ? {} : { restartInMs }),
          lastLines: ctx.lastLines(),
        },
      };
    }
    case 'ProcessSpawned':
      return ctx.startReason === 'auto-restart'
        ? { type: 'ProcessRestarted', data: { service, attempt: Math.max(1, ctx.attempt), pid: event.pid } }
        : null;
    default:
      return null;
  }
}
