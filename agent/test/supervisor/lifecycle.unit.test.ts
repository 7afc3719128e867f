import { describe, expect, it } from 'vitest';
import { ProcessConfig } from '@sitrep/schemas/config';
import { DEFAULT_BACKOFF_MS } from '../../src/supervisor/backoff.js';
import {
  handle,
  initialState,
  policyOf,
  type Lifecycle,
  type LifecycleCommand,
  type LifecycleEvent,
  type LifecycleStatus,
} from '../../src/supervisor/lifecycle.js';
import { runStateOf } from '../../src/supervisor/snapshot.js';

const T0 = 1_700_000_000_000;

/** The decider driven by hand with a fake clock: `at` is ms after T0. */
function machine(config: Record<string, unknown> = {}) {
  const policy = policyOf(ProcessConfig.parse({ id: 'p', command: ['x'], ...config }));
  let state: Lifecycle = initialState();
  const all: LifecycleEvent[] = [];
  const send = (command: LifecycleCommand): LifecycleEvent[] => {
    const r = handle(command, state, policy);
    state = r.state;
    all.push(...r.events);
    return r.events;
  };
  return {
    send,
    all,
    get state() {
      return state;
    },
    boot: (at: number) => send({ type: 'Boot', now: T0 + at }),
    spawned: (at: number, pid = 100 + state.run) => send({ type: 'RecordSpawn', now: T0 + at, run: state.run, pid }),
    exit: (at: number, exitCode: number | null, signal: string | null = null, rand = 0.5) =>
      send({ type: 'RecordExit', now: T0 + at, run: state.run, exitCode, signal, rand }),
    restartDue: (at: number) => send({ type: 'ElapseRestartDelay', now: T0 + at, run: state.run }),
    probe: (at: number, ok: boolean) => send({ type: 'RecordHealthProbe', now: T0 + at, run: state.run, ok, message: ok ? 'ok' : 'down' }),
  };
}

const types = (events: LifecycleEvent[]) => events.map((e) => e.type);
const delayOf = (events: LifecycleEvent[]) => {
  const e = events.find((x) => x.type === 'RestartScheduled');
  return e?.type === 'RestartScheduled' ? e.delayMs : undefined;
};

/** Crash `n` times right after each spawn, restarting when due; returns the scheduled delays. */
function crashLoop(m: ReturnType<typeof machine>, n: number, rand = 0.5): Array<number | undefined> {
  const delays: Array<number | undefined> = [];
  let t = m.state.since === null ? 0 : m.state.since - T0;
  for (let i = 0; i < n; i++) {
    m.spawned(t);
    const d = delayOf(m.exit(t + 10, 1, null, rand));
    delays.push(d);
    if (d === undefined) break;
    t += 10 + d;
    m.restartDue(t);
  }
  return delays;
}

describe('lifecycle decider', () => {
  it('starts autostart processes on boot and leaves the others stopped', () => {
    const m = machine();
    expect(m.boot(0)).toEqual([{ type: 'ProcessStartRequested', at: T0, run: 1, reason: 'autostart' }]);
    expect(m.state.status).toBe('starting');
    expect(types(m.spawned(5, 4242))).toEqual(['ProcessSpawned']);
    expect(m.state).toMatchObject({ status: 'running', pid: 4242, startedAt: T0 + 5, since: T0 + 5 });

    const manual = machine({ autostart: false });
    expect(manual.boot(0)).toEqual([{ type: 'AutostartSkipped', at: T0 }]);
    expect(manual.state.status).toBe('stopped');
    expect(manual.boot(1)).toEqual([]);
  });

  it('backs off 1, 2, 5, 10, 30, 30 s in a crash loop', () => {
    const m = machine({ maxRestarts: 100, restartWindow: '1h' });
    m.boot(0);
    expect(crashLoop(m, 7)).toEqual([...DEFAULT_BACKOFF_MS, 30_000, 30_000]);
    expect(m.state.restarts).toBe(7);
  });

  it('spreads each delay by ±20 % and never more', () => {
    for (const [rand, factor] of [[0, 0.8], [0.25, 0.9], [0.5, 1], [0.999_999, 1.2]] as const) {
      const m = machine({ maxRestarts: 100, restartWindow: '1h' });
      m.boot(0);
      const delays = crashLoop(m, 5, rand);
      delays.forEach((d, i) => expect(d).toBeCloseTo(DEFAULT_BACKOFF_MS[i]! * factor, -1));
    }
  });

  it('starts the backoff over after the process stayed up stableAfter', () => {
    const m = machine({ stableAfter: '60s' });
    m.boot(0);
    expect(crashLoop(m, 3)).toEqual([1000, 2000, 5000]);
    const t = m.state.restartAt! - T0;
    m.restartDue(t);
    m.spawned(t);
    // Up 59.9 s: not stable, the schedule goes on.
    expect(delayOf(m.exit(t + 59_900, 1))).toBe(10_000);
    const t2 = m.state.restartAt! - T0;
    m.restartDue(t2);
    m.spawned(t2);
    // Up exactly 60 s: stable, back to the first delay, then on from there.
    expect(delayOf(m.exit(t2 + 60_000, 1))).toBe(1000);
    m.restartDue(m.state.restartAt! - T0);
    expect(crashLoop(m, 2)).toEqual([2000, 5000]);
  });

  it('gives up after maxRestarts within the window, with an event', () => {
    const m = machine({ maxRestarts: 3, restartWindow: '5m' });
    m.boot(0);
    expect(crashLoop(m, 4)).toEqual([1000, 2000, 5000, undefined]);
    const last = m.all.slice(-2);
    expect(last).toEqual([
      expect.objectContaining({ type: 'ProcessExited', exitCode: 1, expected: false }),
      expect.objectContaining({ type: 'ProcessGaveUp', restarts: 3, windowMs: 300_000 }),
    ]);
    expect(m.state).toMatchObject({ status: 'failed', result: 'start-limit-hit', exitCode: 1, restartAt: null });
    expect(runStateOf(m.state.status)).toBe('failed');
    // An operator start forgets the crashes: a fresh window and backoff.
    expect(m.send({ type: 'StartProcess', now: T0 + 60_000 })).toEqual([
      { type: 'ProcessStartRequested', at: T0 + 60_000, run: 5, reason: 'operator' },
    ]);
    expect(m.state).toMatchObject({ backoffStep: 0, recentRestarts: [] });
  });

  it('counts only the restarts inside the window', () => {
    const m = machine({ maxRestarts: 2, restartWindow: '10s', stableAfter: '1h' });
    m.boot(0);
    let t = 0;
    // Each run lasts 20 s, so the window never holds more than one restart.
    for (let i = 0; i < 6; i++) {
      m.spawned(t);
      const events = m.exit(t + 20_000, 1);
      expect(types(events)).toEqual(['ProcessExited', 'RestartScheduled']);
      t = m.state.restartAt! - T0;
      m.restartDue(t);
    }
    expect(m.state.recentRestarts.length).toBe(1);
  });

  describe('restart policies', () => {
    const outcome = (restart: string, exitCode: number | null, signal: string | null = null) => {
      const m = machine({ restart });
      m.boot(0);
      m.spawned(1);
      return { events: types(m.exit(100, exitCode, signal)), status: m.state.status, restartAt: m.state.restartAt };
    };

    it('permanent restarts after any exit, even a clean one', () => {
      expect(outcome('permanent', 0)).toEqual({ events: ['ProcessExited', 'RestartScheduled'], status: 'crashed', restartAt: T0 + 1100 });
      expect(outcome('permanent', 3).events).toEqual(['ProcessExited', 'RestartScheduled']);
    });

    it('transient restarts after a non-zero exit or a signal only', () => {
      expect(outcome('transient', 0)).toEqual({ events: ['ProcessExited'], status: 'stopped', restartAt: null });
      expect(outcome('transient', 2).events).toEqual(['ProcessExited', 'RestartScheduled']);
      expect(outcome('transient', null, 'SIGSEGV').events).toEqual(['ProcessExited', 'RestartScheduled']);
    });

    it('temporary never restarts; a failure stays visible as crashed', () => {
      expect(outcome('temporary', 0)).toEqual({ events: ['ProcessExited'], status: 'stopped', restartAt: null });
      expect(outcome('temporary', 2)).toEqual({ events: ['ProcessExited'], status: 'crashed', restartAt: null });
    });

    it('a spawn failure counts as a crash', () => {
      const m = machine({ restart: 'transient' });
      m.boot(0);
      const events = m.send({ type: 'RecordSpawnFailure', now: T0 + 1, run: 1, message: 'x: no such file', rand: 0.5 });
      expect(types(events)).toEqual(['ProcessExited', 'RestartScheduled']);
      expect(m.state).toMatchObject({ status: 'crashed', result: 'spawn-failed', message: 'x: no such file', pid: null });
    });
  });

  it('stops with the stop signal, escalates after the grace, ends stopped', () => {
    const m = machine({ stopSignal: 'SIGINT', stopGrace: '3s' });
    m.boot(0);
    m.spawned(1);
    expect(m.send({ type: 'StopProcess', now: T0 + 10 })).toEqual([
      { type: 'ProcessStopRequested', at: T0 + 10, run: 1, signal: 'SIGINT', graceMs: 3000 },
    ]);
    expect(runStateOf(m.state.status)).toBe('stopped');
    expect(m.send({ type: 'ElapseStopGrace', now: T0 + 3010, run: 1 })).toEqual([
      { type: 'ProcessKillRequested', at: T0 + 3010, run: 1, reason: 'grace-elapsed' },
    ]);
    expect(types(m.exit(3020, null, 'SIGKILL'))).toEqual(['ProcessExited']);
    expect(m.state).toMatchObject({ status: 'stopped', signal: 'SIGKILL', pid: null, restartAt: null });
    // A late grace timer of that run changes nothing.
    expect(m.send({ type: 'ElapseStopGrace', now: T0 + 4000, run: 1 })).toEqual([]);
  });

  it('restarts on command: stop, then start once the process has exited', () => {
    const m = machine();
    m.boot(0);
    m.spawned(1);
    expect(types(m.send({ type: 'RestartProcess', now: T0 + 10 }))).toEqual(['ProcessStopRequested', 'StartQueued']);
    expect(m.exit(20, 0)).toEqual([
      expect.objectContaining({ type: 'ProcessExited', expected: true }),
      { type: 'ProcessStartRequested', at: T0 + 20, run: 2, reason: 'operator' },
    ]);
    expect(m.state).toMatchObject({ status: 'starting', run: 2, restarts: 0 });
  });

  it('kill stops for good, even a permanent process', () => {
    const m = machine({ restart: 'permanent' });
    m.boot(0);
    m.spawned(1);
    expect(m.send({ type: 'KillProcess', now: T0 + 5 })).toEqual([{ type: 'ProcessKillRequested', at: T0 + 5, run: 1, reason: 'operator' }]);
    expect(types(m.exit(6, null, 'SIGKILL'))).toEqual(['ProcessExited']);
    expect(m.state.status).toBe('stopped');
  });

  it('a stop while a restart is pending cancels it; the late timer is ignored', () => {
    const m = machine();
    m.boot(0);
    m.spawned(1);
    m.exit(10, 1);
    expect(m.state.restartAt).toBe(T0 + 1010);
    expect(types(m.send({ type: 'StopProcess', now: T0 + 20 }))).toEqual(['RestartCancelled']);
    expect(m.state).toMatchObject({ status: 'stopped', restartAt: null });
    expect(m.restartDue(1010)).toEqual([]);
  });

  it('ignores reports from an earlier run and duplicate reports', () => {
    const m = machine();
    m.boot(0);
    m.spawned(1);
    m.exit(10, 1);
    m.restartDue(1010);
    m.spawned(1011);
    const before = m.state;
    // Run 1 exiting again, or probing, is stale news.
    expect(m.send({ type: 'RecordExit', now: T0 + 1020, run: 1, exitCode: 1, signal: null, rand: 0.5 })).toEqual([]);
    expect(m.send({ type: 'RecordSpawn', now: T0 + 1020, run: 2, pid: 9 })).toEqual([]);
    expect(m.send({ type: 'RecordHealthProbe', now: T0 + 1020, run: 1, ok: false, message: 'x' })).toEqual([]);
    expect(m.state).toBe(before);
    // The same exit twice: the second one changes nothing.
    const first = m.exit(1100, 1);
    expect(first.length).toBe(2);
    const after = m.state;
    expect(m.exit(1100, 1)).toEqual([]);
    expect(m.state).toBe(after);
  });

  it('turns unhealthy after N consecutive failures and recovers on the first success', () => {
    const m = machine({ health: { probe: { type: 'tcp', host: '127.0.0.1', port: 1 }, failuresBeforeUnhealthy: 3 } });
    m.boot(0);
    m.spawned(1);
    expect(types(m.probe(10, true))).toEqual(['HealthProbed']);
    expect(m.state.health).toBe('healthy');
    expect(types(m.probe(20, false))).toEqual(['HealthProbed']);
    expect(types(m.probe(30, true))).toEqual(['HealthProbed']); // the count starts over
    expect(types(m.probe(40, false))).toEqual(['HealthProbed']);
    expect(types(m.probe(50, false))).toEqual(['HealthProbed']);
    expect(m.state).toMatchObject({ status: 'running', health: 'healthy', failures: 2 });
    expect(m.probe(60, false)).toEqual([
      { type: 'HealthProbed', at: T0 + 60, run: 1, ok: false, message: 'down' },
      { type: 'HealthCheckFailed', at: T0 + 60, run: 1, failures: 3, message: 'down' },
    ]);
    expect(m.state).toMatchObject({ status: 'unhealthy', health: 'unhealthy' });
    expect(runStateOf(m.state.status)).toBe('running');
    expect(types(m.probe(70, false))).toEqual(['HealthProbed']); // said once
    expect(m.probe(100, true)).toEqual([
      { type: 'HealthProbed', at: T0 + 100, run: 1, ok: true, message: 'ok' },
      { type: 'HealthCheckRecovered', at: T0 + 100, run: 1, failures: 4, unhealthyForMs: 40, message: 'ok' },
    ]);
    expect(m.state).toMatchObject({ status: 'running', health: 'healthy', failures: 0 });
  });

  it('maps every lifecycle state onto the contract run states', () => {
    const table: Record<LifecycleStatus, string> = {
      pending: 'unknown',
      starting: 'running',
      running: 'running',
      unhealthy: 'running',
      stopping: 'stopped',
      stopped: 'stopped',
      crashed: 'failed',
      failed: 'failed',
    };
    for (const [status, run] of Object.entries(table)) expect(runStateOf(status as LifecycleStatus)).toBe(run);
  });
});
