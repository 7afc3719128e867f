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
import { createSupervisor, loadDefinitions, type Supervisor } from '../supervisor/index.js';

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
        exitCode: t.exitCode,
        signal: t.signal,
        lastLines: t.lastLines.map((l) => l.slice(0, 4096)).slice(-200),
      }),
    onEvent: (e) => {
      if (e.type === 'HealthCheckFailed') o.events.emit('HealthCheckFailed', { service: e.data.service, consecutiveFailures: e.data.failures, message: e.data.message });
      else if (e.type === 'HealthCheckRecovered') o.events.emit('HealthCheckRecovered', { service: e.data.service, message: e.data.message });
      else o.events.emit('ProcessGaveUp', { process: e.data.service, restarts: e.data.restarts, windowMs: e.data.windowMs, lastLines: e.data.lastLines });
    },
    onLog: (id, lines) => o.publishLogs(id, { v: 1, node, source: id, lines }),
  });
  supervisor.start();
  return supervisor;
}
