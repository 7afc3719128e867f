/**
 * Supervised processes as services of the contract: retained `services/{id}` with kind
 * `process`, ServiceStateChanged with exit evidence, health and give-up events, `logs/{id}`.
 * Definitions come from the agent config and from `processesDir` (`*.yaml`, one process each).
 */
import type { LogBatch, Logger, ServiceState } from '@sitrep/schemas';
import type { ProcessConfig } from '@sitrep/schemas/config';
import { runProbe } from '../checks/index.js';
import type { ResolvedAgentConfig } from '../config/load.js';
import type { EventPublisher } from '../events/publisher.js';
import { createSupervisor, loadDefinitions, type Supervisor, type SupervisorEvent } from '../supervisor/index.js';

export interface ProcessServicesOptions {
  config: ResolvedAgentConfig;
  log: Logger;
  now: () => number;
  events: EventPublisher;
  publishState(id: string, state: ServiceState | null): void;
  publishLogs(id: string, batch: LogBatch): void;
}

export async function startProcessServices(o: ProcessServicesOptions): Promise<Supervisor> {
  const { config, log } = o;
  const node = config.node;
  let processes: ProcessConfig[] = [...config.processes];
  if (config.processesDir !== undefined) {
    const loaded = await loadDefinitions(config.processesDir);
    for (const p of loaded.problems) log.warn('process definition refused', { file: p.file, issues: p.issues.join('; ') });
    const ids = new Set(processes.map((p) => p.id));
    for (const d of loaded.definitions) {
      if (ids.has(d.id)) log.warn('process defined twice; the agent config wins', { id: d.id });
      else processes = [...processes, d];
    }
  }
  const supervisor = createSupervisor({
    processes,
    log: log.child('supervisor'),
    now: o.now,
    // Health checks use the same probes as scheduled checks: http, tcp and command.
    probe: async (spec, timeoutMs) => {
      const r = await runProbe('health', spec, { timeoutMs, maxOutputBytes: 4096 });
      return { ok: r.status === 'OK', message: r.message };
    },
    onState: (s) => o.publishState(s.service, { v: 1, node, ...s }),
    onRemoved: (id) => o.publishState(id, null),
    onTransition: (t) =>
      o.events.emit('ServiceStateChanged', {
        service: t.id,
        from: t.from,
        to: t.to,
        expect: t.expect,
        ...(t.result === undefined ? {} : { result: t.result }),
        exitCode: t.exitCode,
        signal: t.signal,
        lastLines: evidence(t.lastLines),
      }),
    onEvent: (e) => emitSupervisorEvent(o.events, e),
    onLog: (id, lines) => o.publishLogs(id, { v: 1, node, source: id, lines }),
  });
  supervisor.start();
  return supervisor;
}

/** The contract's `lastLines`: at most 200 lines of at most 4096 characters. */
const evidence = (lines: readonly string[]) => lines.map((l) => l.slice(0, 4096)).slice(-200);

/** The supervisor's events as the contract's events, numbered and spooled by the publisher. */
export function emitSupervisorEvent(events: EventPublisher, e: SupervisorEvent): void {
  switch (e.type) {
    case 'HealthCheckFailed':
      events.emit('HealthCheckFailed', { service: e.data.service, consecutiveFailures: e.data.failures, message: e.data.message });
      return;
    case 'HealthCheckRecovered':
      events.emit('HealthCheckRecovered', { service: e.data.service, message: e.data.message });
      return;
    case 'ProcessGaveUp':
      events.emit('ProcessGaveUp', { process: e.data.service, restarts: e.data.restarts, windowMs: e.data.windowMs, lastLines: evidence(e.data.lastLines) });
      return;
    case 'ProcessExited': {
      const { service, exitCode, signal, willRestart, restartInMs, lastLines } = e.data;
      events.emit('ProcessExited', { process: service, exitCode, signal, willRestart, ...(restartInMs === undefined ? {} : { restartInMs }), lastLines: evidence(lastLines) });
      return;
    }
    case 'ProcessRestarted':
      events.emit('ProcessRestarted', { process: e.data.service, attempt: e.data.attempt, pid: e.data.pid });
      return;
  }
}
