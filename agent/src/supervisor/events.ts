/**
 * What the supervisor reports besides states and logs. `ProcessTransition` maps one to one onto the
 * contract's `ServiceStateChanged` data; the three events below are not in the contract yet and are
 * shaped as `{ type, data }` so that they can be added to `AGENT_EVENTS` as they are.
 */
import type { ProbeSpec, ProcessConfig } from '@sitrep/schemas/config';
import type { ExitResult, LifecycleEvent, LifecycleStatus } from './lifecycle.js';
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

export type SupervisorEvent = HealthCheckFailed | HealthCheckRecovered | ProcessGaveUp;

/** The lifecycle events that are news outside the agent, as `SupervisorEvent`s; null for the others. */
export function supervisorEventOf(
  event: LifecycleEvent,
  ctx: { id: string; probe: ProbeSpec['type']; exitCode: number | null; signal: string | null; lastLines: () => string[] },
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
    default:
      return null;
  }
}
