/**
 * Supervised processes: the agent's own small init. Each definition gets a slot (process-slot.ts)
 * that runs the lifecycle decider; this file owns the set of slots, the log batching timer, the
 * /proc scan shared by all slots, operator commands and the bounded shutdown.
 *
 * Callbacks (all optional, all called synchronously; a throwing callback is logged, never fatal):
 * - onState(state): the snapshot of one process changed (lifecycle, health, pid, usage after
 *   `sample()`). A `ServiceState` without `v`/`node`.
 * - onTransition(t): the contract run state changed; `ServiceStateChanged` data with evidence.
 * - onEvent(e): HealthCheckFailed, HealthCheckRecovered, ProcessGaveUp as `{ type, data }`.
 * - onLog(id, lines): output lines, in batches every `logFlushMs` (at most 1000 lines each), and
 *   always before a transition to stopped/failed so the evidence was published first.
 * - onRemoved(id): a process left the definitions (`setProcesses`) and is stopped; clear its state.
 */
import { performance } from 'node:perf_hooks';
import type { Birth, Logger } from '@sitrep/schemas';
import type { ProcessConfig } from '@sitrep/schemas/config';
import { SupervisorError } from './errors.js';
import type { ProcessTransition, SupervisorEvent } from './events.js';
import { hasProcess, isUp, type Lifecycle } from './lifecycle.js';
import { defaultProbe, type Probe } from './probe.js';
import { listProcesses, type ProcStat } from './proc-group.js';
import { KILL_WAIT_MS } from './process-runner.js';
import { createSlot, type ProcessSlot, type SlotDeps } from './process-slot.js';
import type { LogLine, ProcessServiceState } from './snapshot.js';

export type ProcessAction = 'start' | 'stop' | 'restart' | 'kill';

export interface CommandReply {
  ok: boolean;
  message: string;
}

export interface SupervisorOptions {
  processes: readonly ProcessConfig[];
  log: Logger;
  /** Stamps states, transitions and log lines (ms since the epoch). Timers use the real clock. */
  now?: () => number;
  /** Health probe; default: http and tcp only (probe.ts). */
  probe?: Probe;
  onState?(state: ProcessServiceState): void;
  onTransition?(t: ProcessTransition): void;
  onEvent?(e: SupervisorEvent): void;
  onLog?(id: string, lines: LogLine[]): void;
  onRemoved?(id: string): void;
  /** Restart delays, ms; default 1, 2, 5, 10, 30 s. */
  backoffMs?: readonly number[];
  /** Spread of each delay as a fraction; default 0.2 (±20 %). */
  jitter?: number;
  /** [0, 1); default Math.random. */
  random?: () => number;
  /** Default 500 ms. */
  logFlushMs?: number;
  /** Output lines kept per process for `tail`; default 1000. */
  ringLines?: number;
  /** Lines attached to transitions and ProcessGaveUp; default 20. */
  evidenceLines?: number;
  procRoot?: string;
}

export type WatchedProcess = Birth['services'][number];

export interface Supervisor {
  /** Start every `autostart` process; the others count as stopped. */
  start(): void;
  /** Stop every process (stopSignal, SIGKILL after its stopGrace) and wait for their groups to be gone. */
  stop(): Promise<void>;
  /** Act on a process and wait (bounded) for the outcome. Does not check `actions`: see allowedActions. */
  command(id: string, action: ProcessAction): Promise<CommandReply>;
  list(): ProcessServiceState[];
  /** The last `n` output lines (at most 1000), oldest first; [] for an unknown id. */
  tail(id: string, n: number): LogLine[];
  /** Read memory and CPU of every running process group (one /proc scan); changes go to onState. */
  sample(): void;
  /** Add, change (restarting when the command, cwd or env changed) and remove (stopping) processes. */
  setProcesses(next: readonly ProcessConfig[]): Promise<void>;
  /** The Birth `services` entries for the processes. */
  watched(): WatchedProcess[];
  /** The actions the definition allows operators; undefined for an unknown id. */
  allowedActions(id: string): readonly ProcessAction[] | undefined;
  /** The lifecycle state as the decider sees it (debugging, tests). */
  inspect(id: string): Lifecycle | undefined;
}

/** How long a started process may take to be spawned (or fail) before `command` answers anyway. */
const START_WAIT_MS = 10_000;
/** Beyond a stop's grace: the SIGKILL, the exit report and its output wait. */
const STOP_MARGIN_MS = KILL_WAIT_MS + 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function assertUniqueIds(processes: readonly ProcessConfig[]): void {
  const seen = new Set<string>();
  for (const p of processes) {
    if (seen.has(p.id)) throw new SupervisorError('DUPLICATE_ID', `process id ${p.id} is defined twice`);
    seen.add(p.id);
  }
}

/** "running (pid 12)", "exited with code 1", "could not start: ...": the state in words. */
export function describeLifecycle(s: Lifecycle): string {
  const pid = s.pid === null ? '' : ` (pid ${s.pid})`;
  const how = s.result === 'spawn-failed' ? `could not start: ${s.message ?? 'unknown error'}`
    : s.signal !== null ? `killed by ${s.signal}`
    : s.exitCode !== null ? `exited with code ${s.exitCode}`
    : '';
  switch (s.status) {
    case 'running':
    case 'starting':
    case 'stopping':
      return `${s.status}${pid}`;
    case 'unhealthy':
      return `running but unhealthy${pid}`;
    case 'stopped':
      return how === '' ? 'stopped' : `stopped (${how})`;
    case 'crashed':
      return s.restartAt === null ? `crashed: ${how}` : `crashed: ${how}; restart scheduled`;
    case 'failed':
      return `failed: ${how}; gave up after ${s.recentRestarts.length} restarts`;
    case 'pending':
      return 'not started yet';
  }
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  assertUniqueIds(opts.processes);
  const log = opts.log;
  const now = opts.now ?? Date.now;
  const procRoot = opts.procRoot ?? '/proc';
  const logFlushMs = opts.logFlushMs ?? 500;
  const slots = new Map<string, ProcessSlot>();
  /** Removed from the definitions, still stopping. */
  const retiring = new Set<ProcessSlot>();
  let running = false;
  let flushTimer: NodeJS.Timeout | undefined;

  const allSlots = () => [...slots.values(), ...retiring];

  const deps: SlotDeps = {
    log,
    now,
    random: opts.random ?? Math.random,
    probe: opts.probe ?? defaultProbe,
    tuning: { ...(opts.backoffMs === undefined ? {} : { backoffMs: opts.backoffMs }), ...(opts.jitter === undefined ? {} : { jitter: opts.jitter }) },
    ringLines: opts.ringLines ?? 1000,
    evidenceLines: opts.evidenceLines ?? 20,
    procRoot,
    onState: (s) => opts.onState?.(s),
    onTransition: (t) => opts.onTransition?.(t),
    onEvent: (e) => opts.onEvent?.(e),
    onLog: (id, lines) => opts.onLog?.(id, lines),
    linesPending() {
      flushTimer ??= setTimeout(() => {
        flushTimer = undefined;
        for (const s of allSlots()) s.flushLogs();
      }, logFlushMs);
    },
  };

  for (const p of opts.processes) slots.set(p.id, createSlot(p, deps));

  /** Wait until the slot's process has exited and its group is gone, within `boundMs`. */
  async function untilDown(slot: ProcessSlot, boundMs: number): Promise<boolean> {
    const down = await slot.waitFor((s) => !hasProcess(s.status), boundMs);
    const settled = await Promise.race([slot.settled().then(() => true), sleep(boundMs).then(() => false)]);
    return down && settled;
  }

  async function retire(slot: ProcessSlot): Promise<void> {
    retiring.add(slot);
    slot.dispatch({ type: 'StopProcess', now: now() });
    if (!(await untilDown(slot, slot.config().stopGrace + STOP_MARGIN_MS))) slot.forceKill();
    slot.dispose();
    slot.flushLogs();
    retiring.delete(slot);
    if (!slots.has(slot.id)) opts.onRemoved?.(slot.id);
  }

  async function startLike(slot: ProcessSlot, type: 'StartProcess' | 'RestartProcess'): Promise<CommandReply> {
    const before = slot.state();
    if (type === 'StartProcess' && isUp(before.status)) return { ok: true, message: `already ${describeLifecycle(before)}` };
    const target = before.run + 1;
    slot.dispatch({ type, now: now() });
    const bound = START_WAIT_MS + (hasProcess(before.status) ? slot.config().stopGrace + STOP_MARGIN_MS : 0);
    const done = await slot.waitFor((s) => s.run >= target && s.status !== 'starting' && s.status !== 'stopping', bound);
    const after = slot.state();
    if (!done) return { ok: false, message: `no outcome within ${bound} ms: ${describeLifecycle(after)}` };
    return { ok: isUp(after.status), message: describeLifecycle(after) };
  }

  async function stopLike(slot: ProcessSlot, type: 'StopProcess' | 'KillProcess'): Promise<CommandReply> {
    const before = slot.state();
    if (!hasProcess(before.status) && before.restartAt === null) return { ok: true, message: `not running: ${describeLifecycle(before)}` };
    slot.dispatch({ type, now: now() });
    const bound = (type === 'StopProcess' ? slot.config().stopGrace : 0) + STOP_MARGIN_MS;
    const done = await slot.waitFor((s) => !hasProcess(s.status), bound);
    const after = slot.state();
    return done ? { ok: true, message: describeLifecycle(after) } : { ok: false, message: `still ${describeLifecycle(after)} after ${bound} ms` };
  }

  return {
    start() {
      if (running) return;
      running = true;
      for (const slot of slots.values()) slot.dispatch({ type: 'Boot', now: now() });
    },

    async stop() {
      running = false;
      const all = allSlots();
      for (const slot of all) slot.dispatch({ type: 'StopProcess', now: now() });
      const bound = Math.max(0, ...all.map((s) => s.config().stopGrace)) + STOP_MARGIN_MS;
      const results = await Promise.all(all.map((s) => untilDown(s, bound)));
      if (results.some((ok) => !ok)) {
        log.error('processes still there after their stop grace; killing them', { ids: all.filter((_, i) => !results[i]).map((s) => s.id).join(',') });
        for (const s of all) s.forceKill();
        await Promise.race([Promise.all(all.map((s) => s.settled())), sleep(KILL_WAIT_MS)]);
      }
      clearTimeout(flushTimer);
      flushTimer = undefined;
      for (const s of all) {
        s.dispose();
        s.flushLogs();
      }
    },

    async command(id, action) {
      const slot = slots.get(id);
      if (slot === undefined) return { ok: false, message: `no supervised process ${JSON.stringify(id)}` };
      if (!running) return { ok: false, message: 'the process supervisor is not running' };
      switch (action) {
        case 'start':
          return startLike(slot, 'StartProcess');
        case 'restart':
          return startLike(slot, 'RestartProcess');
        case 'stop':
          return stopLike(slot, 'StopProcess');
        case 'kill':
          return stopLike(slot, 'KillProcess');
      }
    },

    list: () => [...slots.values()].map((s) => s.snapshot()),
    tail: (id, n) => slots.get(id)?.tail(n) ?? [],

    sample() {
      const live = allSlots().filter((s) => s.state().pid !== null);
      if (live.length === 0) return;
      let all: ProcStat[];
      try {
        all = listProcesses(procRoot);
      } catch (err) {
        log.warn('cannot scan processes for memory and CPU', { error: (err as Error).message });
        return;
      }
      const groups = new Map<number, ProcStat[]>(live.map((s) => [s.state().pid ?? 0, []]));
      for (const p of all) groups.get(p.pgrp)?.push(p);
      const at = performance.now();
      for (const s of live) s.sample(groups.get(s.state().pid ?? 0) ?? [], at);
    },

    async setProcesses(next) {
      assertUniqueIds(next);
      const ids = new Set(next.map((p) => p.id));
      const removed = [...slots.values()].filter((s) => !ids.has(s.id));
      for (const s of removed) slots.delete(s.id);
      for (const def of next) {
        const slot = slots.get(def.id);
        if (slot === undefined) {
          const added = createSlot(def, deps);
          slots.set(def.id, added);
          if (running) added.dispatch({ type: 'Boot', now: now() });
        } else if (JSON.stringify(slot.config()) !== JSON.stringify(def)) {
          const respawn = slot.reconfigure(def);
          if (respawn && isUp(slot.state().status)) slot.dispatch({ type: 'RestartProcess', now: now() });
        }
      }
      await Promise.all(removed.map(retire));
    },

    watched: () =>
      [...slots.values()].map((s) => ({ id: s.id, kind: 'process' as const, expect: s.config().expect, actions: [...s.config().actions] })),
    allowedActions: (id) => slots.get(id)?.config().actions,
    inspect: (id) => slots.get(id)?.state(),
  };
}
