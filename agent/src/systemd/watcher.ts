/**
 * Watches the configured systemd units: event-driven through D-Bus, polling `systemctl show` when
 * the bus is unavailable (and trying the bus again later). Reports every change of a unit's run
 * state as a transition, and the unit's retained state whenever something a person would notice
 * changes (state, PID, restarts, result). Memory and CPU are refreshed on the caller's schedule.
 * The last reported run state per unit is kept on disk, so a unit that failed while the agent was
 * down still yields its transition at the next start.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger, ServiceState } from '@sitrep/schemas';
import { readCgroupUsage } from './cgroup-usage.js';
import { startDbusSource, type SourceEvents, type UnitSource } from './dbus-source.js';
import { startShowSource } from './show-source.js';
import { observe, transitionsOf, type Step } from './transitions.js';
import { exitOf, runState, type RunState, type UnitProps } from './unit-props.js';

export interface UnitSpec {
  unit: string;
  expect: 'running' | 'stopped' | 'any';
  actions: readonly ('start' | 'stop' | 'restart')[];
  /** Found by discovery (failed units, globs) rather than listed in the config. */
  discovered: boolean;
}

export interface Transition {
  unit: string;
  from: RunState;
  to: RunState;
  expect: UnitSpec['expect'];
  props: UnitProps;
}

export interface UnitWatcherOptions {
  node: string;
  log: Logger;
  /** File keeping the last reported run state of each unit. */
  statePath: string;
  pollIntervalMs: number;
  now?: () => number;
  /** Gather a burst of signals (one state change brings several) before judging. */
  debounceMs?: number;
  /** Prefer polling (tests, or hosts where D-Bus misbehaves). */
  forcePoll?: boolean;
  onState(state: ServiceState): void;
  onTransition(t: Transition): void;
  /** A unit left the watch list: its retained state should be cleared. */
  onRemoved(unit: string): void;
}

export interface UnitWatcher {
  readonly sourceKind: 'dbus' | 'poll' | 'none';
  setSpecs(specs: readonly UnitSpec[]): Promise<void>;
  specs(): readonly UnitSpec[];
  /** Read memory and CPU of every unit and republish the states. */
  refreshResources(): Promise<void>;
  states(): ServiceState[];
  stop(): Promise<void>;
}

const SIGNIFICANT: readonly (keyof ServiceState)[] = [
  'state', 'exists', 'pid', 'restarts', 'activeState', 'subState', 'result', 'exitStatus', 'signal', 'expect', 'since',
];

export async function startUnitWatcher(opts: UnitWatcherOptions): Promise<UnitWatcher> {
  const { log, node } = opts;
  const now = opts.now ?? Date.now;
  const debounceMs = opts.debounceMs ?? 25;
  let specs: UnitSpec[] = [];
  const props = new Map<string, UnitProps>();
  // Run states passed through since the last evaluation, and the properties at that evaluation.
  const seen = new Map<string, Step[]>();
  const evaluated = new Map<string, UnitProps>();
  const published = new Map<string, ServiceState>();
  const cpuSample = new Map<string, { nsec: number; at: number; percent: number | null }>();
  const timers = new Map<string, NodeJS.Timeout>();
  const reported = loadReported(opts.statePath, log);
  let stopped = false;

  const events: SourceEvents = {
    change(unit, p) {
      props.set(unit, p);
      const steps = seen.get(unit) ?? [];
      observe(steps, p);
      seen.set(unit, steps);
      if (timers.has(unit)) return;
      timers.set(
        unit,
        setTimeout(() => {
          timers.delete(unit);
          evaluate(unit);
        }, debounceMs),
      );
    },
    lost(reason) {
      if (stopped) return;
      log.warn('systemd D-Bus connection lost; polling instead', { reason });
      void fallBackToPolling();
    },
  };

  let source: UnitSource | null = null;
  let retry: NodeJS.Timeout | undefined;

  async function fallBackToPolling(): Promise<void> {
    await source?.stop().catch(() => undefined);
    source = startShowSource(events, log, opts.pollIntervalMs);
    await source.setUnits(specs.map((s) => s.unit)).catch((err: Error) => log.warn('poll failed', { error: err.message }));
    if (opts.forcePoll) return;
    retry = setTimeout(() => void tryDbus(), 60_000);
    retry.unref();
  }

  async function tryDbus(): Promise<void> {
    if (stopped || opts.forcePoll) return;
    try {
      const bus = await startDbusSource(events, log);
      await source?.stop().catch(() => undefined);
      source = bus;
      await bus.setUnits(specs.map((s) => s.unit));
      log.info('watching units through the systemd D-Bus API', { units: specs.length });
    } catch (err) {
      if (source === null) log.warn('systemd D-Bus API unavailable; polling systemctl', { every: `${opts.pollIntervalMs}ms`, reason: (err as Error).message });
      if (source === null || source.kind !== 'poll') await fallBackToPolling();
      else {
        retry = setTimeout(() => void tryDbus(), 60_000);
        retry.unref();
      }
    }
  }

  function toState(spec: UnitSpec, p: UnitProps): ServiceState {
    const { exitCode, signal } = exitOf(p);
    const cpu = cpuSample.get(spec.unit);
    return {
      v: 1,
      node,
      service: spec.unit,
      ts: now(),
      kind: 'systemd',
      state: runState(p),
      expect: spec.expect,
      exists: p.loadState !== 'not-found',
      since: p.stateChangeMs,
      pid: p.mainPid,
      memoryBytes: p.memoryBytes,
      cpuPercent: cpu?.percent ?? null,
      restarts: p.restarts,
      activeState: p.activeState,
      subState: p.subState,
      result: p.result,
      exitStatus: p.execMainCode === 0 ? null : (exitCode ?? p.execMainStatus),
      signal,
      description: p.description.slice(0, 256),
    };
  }

  function evaluate(unit: string): void {
    const spec = specs.find((s) => s.unit === unit);
    const p = props.get(unit);
    if (spec === undefined || p === undefined || stopped) return;
    const state = toState(spec, p);
    const before = reported.get(unit);
    const steps = transitionsOf(before, seen.get(unit) ?? [], evaluated.get(unit), p);
    seen.delete(unit);
    evaluated.set(unit, p);
    if (before !== state.state) {
      reported.set(unit, state.state);
      saveReported(opts.statePath, reported, log);
    }
    for (const step of steps) opts.onTransition({ unit, from: step.from, to: step.to, expect: spec.expect, props: step.props });
    const last = published.get(unit);
    if (last === undefined || SIGNIFICANT.some((k) => last[k] !== state[k])) publish(state);
  }

  function publish(state: ServiceState): void {
    published.set(state.service, state);
    opts.onState(state);
  }

  const watcher: UnitWatcher = {
    get sourceKind() {
      return source?.kind ?? 'none';
    },
    async setSpecs(next) {
      // Units watched before (now, or by an earlier agent run) that are no longer wanted.
      const removed = [...new Set([...specs.map((s) => s.unit), ...reported.keys()])].filter((u) => !next.some((n) => n.unit === u));
      specs = [...next];
      for (const unit of removed) {
        props.delete(unit);
        seen.delete(unit);
        evaluated.delete(unit);
        published.delete(unit);
        cpuSample.delete(unit);
        reported.delete(unit);
        opts.onRemoved(unit);
      }
      if (removed.length > 0) saveReported(opts.statePath, reported, log);
      // No unit to watch, no connection to systemd at all.
      if (source === null && specs.length === 0) return;
      if (source === null) await (opts.forcePoll ? fallBackToPolling() : tryDbus());
      else await source.setUnits(specs.map((s) => s.unit));
      // An expect/actions change alone brings no signal: re-evaluate everything known.
      for (const s of specs) evaluate(s.unit);
    },
    specs: () => specs,
    async refreshResources() {
      const at = now();
      await Promise.all(
        specs.map(async (spec) => {
          const p = props.get(spec.unit);
          if (p === undefined) return;
          const usage = p.controlGroup === null ? null : await readCgroupUsage(p.controlGroup);
          const memoryBytes = usage?.memoryBytes ?? p.memoryBytes;
          const cpuNsec = usage?.cpuNsec ?? p.cpuNsec;
          const prev = cpuSample.get(spec.unit);
          let percent: number | null = null;
          if (cpuNsec !== null && prev !== undefined && at > prev.at && cpuNsec >= prev.nsec) {
            percent = Math.round(((cpuNsec - prev.nsec) / ((at - prev.at) * 1e6)) * 1000) / 10;
          }
          if (cpuNsec !== null) cpuSample.set(spec.unit, { nsec: cpuNsec, at, percent });
          props.set(spec.unit, { ...p, memoryBytes, cpuNsec });
          publish(toState(spec, props.get(spec.unit)!));
        }),
      );
    },
    states: () => specs.flatMap((s) => (published.has(s.unit) ? [published.get(s.unit)!] : [])),
    async stop() {
      stopped = true;
      clearTimeout(retry);
      for (const t of timers.values()) clearTimeout(t);
      await source?.stop();
    },
  };
  return watcher;
}

function loadReported(path: string, log: Logger): Map<string, RunState> {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, RunState>;
    return new Map(Object.entries(raw));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn('ignoring unreadable unit state file', { path, error: (err as Error).message });
    return new Map();
  }
}

function saveReported(path: string, reported: Map<string, RunState>, log: Logger): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(Object.fromEntries(reported)));
    renameSync(`${path}.tmp`, path);
  } catch (err) {
    log.warn('cannot save unit states', { path, error: (err as Error).message });
  }
}
