/**
 * Supervised processes as services of the contract: retained `services/{id}` with kind
 * `process`, ServiceStateChanged with exit evidence, ProcessExited / ProcessRestarted /
 * ProcessGaveUp and health events, `logs/{id}` batches and the retained `logs/{id}/tail`.
 * Definitions come from the agent config and from `processesDir` (`*.yaml`, one process each),
 * which is watched: `sitrep process add|remove` takes effect without a restart of the agent.
 */
import { mkdirSync } from 'node:fs';
import type { LogBatch, Logger, ServiceState } from '@sitrep/schemas';
import type { ProcessConfig } from '@sitrep/schemas/config';
import { runProbe } from '../checks/index.js';
import { watchDir, type DirWatch } from '../checks/watch-dir.js';
import type { ResolvedAgentConfig } from '../config/load.js';
import type { EventPublisher } from '../events/publisher.js';
import { createSupervisor, loadDefinitions, type Supervisor, type SupervisorEvent } from '../supervisor/index.js';
import { TailPublisher } from './log-tail.js';

/** Lines in `logs/{id}/tail`: what a late subscriber gets. */
export const TAIL_LINES = 100;

export interface ProcessServicesOptions {
  config: ResolvedAgentConfig;
  log: Logger;
  now: () => number;
  events: EventPublisher;
  publishState(id: string, state: ServiceState | null): void;
  publishLogs(id: string, batch: LogBatch): void;
  /** The retained last lines of a process; null clears them. */
  publishTail(id: string, tail: LogBatch | null): void;
  /** The set of processes or what they allow changed (processesDir): the birth must be republished. */
  onWatchListChanged(): void;
  /** Least time between two tail snapshots of one process, ms; default 2000. */
  tailEveryMs?: number;
  /** Fallback rescan of processesDir, ms; default 60 s (changes are normally seen at once). */
  rescanMs?: number;
}

export interface ProcessServices extends Supervisor {
  /** Republish every process state and tail (after a reconnect: the broker may have lost them). */
  announce(): void;
  /** Read processesDir again and apply the changes now. */
  reload(): Promise<void>;
}

/** The config's processes, then the directory's (an id in both: the config wins, logged once). */
function definitionsOf(config: ResolvedAgentConfig): { processes: ProcessConfig[]; problems: string[] } {
  const processes: ProcessConfig[] = [...config.processes];
  const problems: string[] = [];
  if (config.processesDir === undefined) return { processes, problems };
  const loaded = loadDefinitions(config.processesDir);
  for (const p of loaded.problems) problems.push(`${p.file}: ${p.issues.join('; ')}`);
  const ids = new Set(processes.map((p) => p.id));
  for (const d of loaded.definitions) {
    if (ids.has(d.id)) problems.push(`${loaded.files[d.id]}: process ${d.id} is also in the agent config, which wins`);
    else processes.push(d);
  }
  return { processes, problems };
}

export async function startProcessServices(o: ProcessServicesOptions): Promise<ProcessServices> {
  const { config, log } = o;
  const node = config.node;
  let reported = '';
  const reportProblems = (problems: string[]) => {
    // Logged when they change, not at every rescan.
    const key = problems.join('\n');
    if (key !== reported) for (const p of problems) log.warn('process definition refused', { problem: p });
    reported = key;
  };
  const first = definitionsOf(config);
  reportProblems(first.problems);

  const tails = new TailPublisher({
    lines: TAIL_LINES,
    everyMs: o.tailEveryMs ?? 2000,
    read: (id, n) => supervisor.tail(id, n),
    publish: (id, lines) => o.publishTail(id, lines === null ? null : { v: 1, node, source: id, lines }),
  });
  const supervisor = createSupervisor({
    processes: first.processes,
    log: log.child('supervisor'),
    now: o.now,
    // Health checks use the same probes as scheduled checks: http, tcp and command.
    probe: async (spec, timeoutMs) => {
      const r = await runProbe('health', spec, { timeoutMs, maxOutputBytes: 4096 });
      return { ok: r.status === 'OK', message: r.message };
    },
    onState: (s) => o.publishState(s.service, { v: 1, node, ...s }),
    onRemoved: (id) => {
      o.publishState(id, null);
      tails.clear(id);
    },
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
    onLog: (id, lines) => {
      o.publishLogs(id, { v: 1, node, source: id, lines });
      tails.changed(id);
    },
  });
  supervisor.start();

  // One reload at a time, in order: the last one reads the directory as it is now.
  let reloading: Promise<void> = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      const next = definitionsOf(config);
      reportProblems(next.problems);
      const before = JSON.stringify(supervisor.watched());
      await supervisor.setProcesses(next.processes);
      if (JSON.stringify(supervisor.watched()) !== before) {
        log.info('process definitions changed', { processes: next.processes.map((p) => p.id).join(',') });
        o.onWatchListChanged();
      }
    });
    return reloading;
  };
  const dir = config.processesDir;
  if (dir !== undefined) {
    // Watching needs the directory; where the agent may not create it (a read-only /etc under
    // systemd), the periodic rescan finds it once `sitrep process add` or the installer has.
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      log.info('cannot create the processes directory; rescanning for it periodically', { dir, error: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
  }
  const watch: DirWatch | null =
    dir === undefined
      ? null
      : watchDir(dir, {
          what: 'processes',
          debounceMs: 300,
          rescanMs: o.rescanMs ?? 60_000,
          log,
          onChange: () => {
            reload().catch((err: Error) => log.warn('cannot apply the process definitions', { dir, error: err.message }));
          },
        });

  return {
    ...supervisor,
    announce() {
      const states = supervisor.list();
      for (const s of states) o.publishState(s.service, { v: 1, node, ...s });
      tails.republish(states.map((s) => s.service));
    },
    reload,
    async stop() {
      watch?.close();
      await reloading.catch(() => undefined);
      await supervisor.stop();
      tails.stop();
    },
  };
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
