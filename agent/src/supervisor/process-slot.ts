/**
 * One supervised process at run time: the lifecycle decider's state, and the effects its events
 * ask for (spawn, signals, timers, health probes), its output ring, its usage meter. Every report
 * from outside (a spawn, an exit, a timer, a probe, an operator) goes through `dispatch` as a
 * command, so the decider alone decides.
 */
import type { Logger } from '@sitrep/schemas';
import type { ProcessConfig } from '@sitrep/schemas/config';
import { supervisorEventOf, type ProcessTransition, type SupervisorEvent } from './events.js';
import { startHealthLoop, type HealthLoop } from './health-loop.js';
import {
  decide,
  evolve,
  hasProcess,
  initialState,
  policyOf,
  type BackoffTuning,
  type Lifecycle,
  type LifecycleCommand,
  type LifecycleEvent,
  type LifecyclePolicy,
  type StartReason,
} from './lifecycle.js';
import { ProcessOutput } from './output.js';
import type { Probe } from './probe.js';
import { GroupUsageMeter, type ProcStat } from './proc-group.js';
import { startRunner, type ProcessRunner } from './process-runner.js';
import { runStateOf, snapshotOf, type LogLine, type ProcessServiceState, type Usage } from './snapshot.js';
import { argvOf, envOf } from './spawn-spec.js';

export interface SlotDeps {
  log: Logger;
  now: () => number;
  random: () => number;
  probe: Probe;
  tuning: BackoffTuning;
  ringLines: number;
  evidenceLines: number;
  procRoot: string;
  onState(state: ProcessServiceState): void;
  onTransition(t: ProcessTransition): void;
  onEvent(e: SupervisorEvent): void;
  onLog(id: string, lines: LogLine[]): void;
  /** Lines are waiting: make sure a flush is scheduled. */
  linesPending(): void;
}

export interface ProcessSlot {
  readonly id: string;
  config(): ProcessConfig;
  state(): Lifecycle;
  snapshot(): ProcessServiceState;
  dispatch(command: LifecycleCommand): void;
  /** Resolves true once `predicate` holds (checked after every dispatch), false after `timeoutMs`. */
  waitFor(predicate: (s: Lifecycle) => boolean, timeoutMs: number): Promise<boolean>;
  /** Take the new definition; true when it changes what is spawned (a running process needs a restart). */
  reconfigure(next: ProcessConfig): boolean;
  tail(n: number): LogLine[];
  flushLogs(): void;
  /** New usage from this group's members (from one /proc scan for all slots). */
  sample(members: readonly ProcStat[], atMs: number): void;
  /** Every run's process group is gone. */
  settled(): Promise<void>;
  /** SIGKILL every group this slot still has. */
  forceKill(): void;
  /** Clear timers and probes (after a stop). */
  dispose(): void;
}

const spawnKey = (c: ProcessConfig) => JSON.stringify([c.command, c.shellCommand, c.cwd, c.env]);

export function createSlot(initial: ProcessConfig, deps: SlotDeps): ProcessSlot {
  const id = initial.id;
  const log = deps.log;
  let config = initial;
  let policy: LifecyclePolicy = policyOf(config, deps.tuning);
  let state: Lifecycle = initialState();
  let usage: Usage = { memoryBytes: null, cpuPercent: null };
  const meter = new GroupUsageMeter(deps.procRoot);
  const output = new ProcessOutput({
    capacity: deps.ringLines,
    now: deps.now,
    deliver: (lines) => call('onLog', () => deps.onLog(id, lines)),
    pending: deps.linesPending,
  });
  let current: ProcessRunner | null = null;
  const runners = new Set<ProcessRunner>();
  let restartTimer: NodeJS.Timeout | undefined;
  let stopTimer: NodeJS.Timeout | undefined;
  let health: HealthLoop | null = null;
  let lastStateKey = '';
  /** Why the current run was started: a spawn after an automatic restart is a ProcessRestarted. */
  let startReason: StartReason = 'autostart';
  const waiters = new Set<() => void>();
  const queue: LifecycleCommand[] = [];
  let busy = false;

  /** A throwing callback is logged with context and does not break the state machine. */
  const call = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.error('supervisor callback threw', { callback: what, id, error: (err as Error).message });
    }
  };

  const snapshot = () => snapshotOf(config, state, usage, deps.now());

  function emitStateIfChanged(): void {
    const s = snapshot();
    const key = JSON.stringify({ ...s, ts: 0 });
    if (key === lastStateKey) return;
    lastStateKey = key;
    call('onState', () => deps.onState(s));
  }

  const evidence = () => output.evidence(deps.evidenceLines);

  function stopHealth(): void {
    health?.stop();
    health = null;
  }

  function startHealth(run: number): void {
    stopHealth();
    if (config.health === undefined) return;
    health = startHealthLoop(config.health, deps.probe, (r) =>
      dispatch({ type: 'RecordHealthProbe', now: deps.now(), run, ok: r.ok, message: r.message }),
    );
  }

  function spawnRun(run: number): void {
    meter.reset();
    usage = { memoryBytes: null, cpuPercent: null };
    const runner = startRunner(
      {
        id,
        argv: argvOf(config),
        ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
        env: envOf(config),
        stopSignal: config.stopSignal,
        stopGraceMs: config.stopGrace,
        procRoot: deps.procRoot,
      },
      {
        onSpawn: (pid) => dispatch({ type: 'RecordSpawn', now: deps.now(), run, pid }),
        onSpawnError: (message) => dispatch({ type: 'RecordSpawnFailure', now: deps.now(), run, message, rand: deps.random() }),
        onExit: (exitCode, signal) => dispatch({ type: 'RecordExit', now: deps.now(), run, exitCode, signal, rand: deps.random() }),
        onLine: (stream, text) => output.push(stream, text),
      },
      log,
    );
    current = runner;
    runners.add(runner);
    void runner.done.then(() => runners.delete(runner));
  }

  /** What an event asks the world to do. */
  function effect(event: LifecycleEvent): void {
    switch (event.type) {
      case 'ProcessStartRequested':
        clearTimeout(restartTimer);
        startReason = event.reason;
        spawnRun(event.run);
        break;
      case 'ProcessSpawned':
        if (state.status === 'running') startHealth(event.run);
        break;
      case 'ProcessExited':
        stopHealth();
        clearTimeout(stopTimer);
        current = null;
        break;
      case 'RestartScheduled':
        clearTimeout(restartTimer);
        restartTimer = setTimeout(() => dispatch({ type: 'ElapseRestartDelay', now: deps.now(), run: event.run }), event.delayMs);
        break;
      case 'RestartCancelled':
        clearTimeout(restartTimer);
        break;
      case 'ProcessStopRequested':
        stopHealth();
        current?.terminate(event.signal, event.graceMs);
        clearTimeout(stopTimer);
        stopTimer = setTimeout(() => dispatch({ type: 'ElapseStopGrace', now: deps.now(), run: event.run }), event.graceMs);
        break;
      case 'ProcessKillRequested':
        stopHealth();
        current?.kill();
        break;
      default:
        break;
    }
  }

  /** What an event tells the outside: states, transitions, events, log lines. */
  function report(before: Lifecycle, event: LifecycleEvent, following: readonly LifecycleEvent[]): void {
    const from = runStateOf(before.status);
    const to = runStateOf(state.status);
    if (event.type === 'ProcessExited') {
      const how = event.signal ?? (event.result === 'spawn-failed' ? event.message : `exit code ${event.exitCode}`);
      if (event.expected) log.info('process stopped', { id, run: event.run, how });
      else log.warn('process exited unexpectedly', { id, run: event.run, how });
    }
    if (from !== to) {
      // Exit evidence only once the process has exited: a stop turns the run state to `stopped`
      // at the request, while the process is still stopping.
      const ended = (to === 'stopped' || to === 'failed') && !hasProcess(state.status);
      if (ended) output.flush();
      const t: ProcessTransition = {
        id,
        at: event.at,
        from,
        to,
        fromSubState: before.status,
        subState: state.status,
        expect: config.expect,
        exitCode: ended ? state.exitCode : null,
        signal: ended ? state.signal : null,
        ...(ended && state.result !== null ? { result: state.result } : {}),
        lastLines: ended ? evidence() : [],
      };
      call('onTransition', () => deps.onTransition(t));
    }
    emitStateIfChanged();
    const external = supervisorEventOf(event, {
      id,
      probe: config.health?.probe.type ?? 'command',
      exitCode: state.exitCode,
      signal: state.signal,
      lastLines: evidence,
      following,
      startReason,
      attempt: state.backoffStep,
    });
    if (external !== null) call('onEvent', () => deps.onEvent(external));
    switch (event.type) {
      case 'HealthCheckFailed':
        log.warn('process unhealthy', { id, failures: event.failures, message: event.message });
        break;
      case 'HealthCheckRecovered':
        log.info('process healthy again', { id, unhealthyForMs: event.unhealthyForMs });
        break;
      case 'ProcessGaveUp':
        log.error('process crashed too often; not restarting it', { id, restarts: event.restarts, windowMs: event.windowMs });
        break;
      case 'RestartScheduled':
        log.info('restart scheduled', { id, delayMs: event.delayMs, attempt: event.attempt });
        break;
      default:
        break;
    }
  }

  function dispatch(command: LifecycleCommand): void {
    // Callbacks may dispatch again (an operator command from onState): queue, never nest.
    queue.push(command);
    if (busy) return;
    busy = true;
    try {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        const events = decide(c, state, policy);
        events.forEach((event, i) => {
          const before = state;
          state = evolve(state, event);
          effect(event);
          report(before, event, events.slice(i + 1));
        });
      }
    } finally {
      busy = false;
    }
    for (const wake of [...waiters]) wake();
  }

  return {
    id,
    config: () => config,
    state: () => state,
    snapshot,
    dispatch,
    waitFor(predicate, timeoutMs) {
      if (predicate(state)) return Promise.resolve(true);
      return new Promise((resolve) => {
        const finish = (ok: boolean) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(ok);
        };
        const wake = () => {
          if (predicate(state)) finish(true);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        waiters.add(wake);
      });
    },
    reconfigure(next) {
      const respawn = spawnKey(next) !== spawnKey(config);
      const healthChanged = JSON.stringify(next.health) !== JSON.stringify(config.health);
      config = next;
      policy = policyOf(next, deps.tuning);
      if (healthChanged && (state.status === 'running' || state.status === 'unhealthy')) startHealth(state.run);
      emitStateIfChanged();
      return respawn;
    },
    tail: (n) => output.tail(n),
    flushLogs: () => output.flush(),
    sample(members, atMs) {
      if (state.pid === null) return;
      usage = meter.sample(members, atMs);
      emitStateIfChanged();
    },
    settled: () => Promise.all([...runners].map((r) => r.done)).then(() => undefined),
    forceKill() {
      for (const r of runners) r.kill();
    },
    dispose() {
      clearTimeout(restartTimer);
      clearTimeout(stopTimer);
      stopHealth();
    },
  };
}
