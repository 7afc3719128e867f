import { beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger, type Alert } from '@sitrep/schemas';
import { checkpoint, DEFAULT_ALERT_POLICY, eventsOf, fleetSummary, openDatabase, PROJECTIONS, rebuild, derivedReadModels } from '../src/index.js';
import { startAlerting } from '../src/alerts/loop.js';
import { createGapTracker } from '../src/gaps/tracker.js';
import { queryTransitions } from '../src/projections/transitions.js';
import { changed, dump, fixture, gaveUp, resetSeq, serviceState, started, status, t, type Fixture } from './support/fixture.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const MIN = 60_000;

beforeEach(resetSeq);

function tracker(f: Fixture) {
  const commands: string[] = [];
  const gaps = createGapTracker({
    db: f.db, folder: f.folder, log: memoryLogger(), now: f.now, reorderWindowMs: 2000, replayTimeoutMs: 30_000,
    command: (node, action, args) => commands.push(`${node} ${action}${args ? ` ${JSON.stringify(args)}` : ''}`),
  });
  return { gaps, commands };
}

describe('gaps', () => {
  it('waits a reorder window, asks for a replay, and fills the gap when the replay arrives', () => {
    const f = fixture(T0);
    const { gaps, commands } = tracker(f);
    const events = [1, 2, 3, 4].map((i) => changed('n1', 'a.service', i % 2 ? 'stopped' : 'running', i % 2 ? 'running' : 'stopped', T0 + i));
    f.event(events[0]!);
    f.event(events[2]!);
    f.event(events[3]!);
    gaps.observe('n1');
    f.advance(1999);
    gaps.tick();
    expect(commands).toEqual([]);
    f.advance(1);
    gaps.tick();
    expect(commands).toEqual(['n1 replay {"fromSeq":2}']);
    f.event(events[1]!); // the replay
    gaps.observe('n1');
    expect(gaps.openGaps().size).toBe(0);
    expect(checkpoint(f.db, 'n1')).toEqual({ contiguous_seq: 4, max_seq: 4 });
    expect(queryTransitions(f.db, { from: 0, to: T0 + MIN, limit: 10 })).toHaveLength(4);
  });

  it('records GapDetected after the replay timeout, folds past it, and asks for a birth', () => {
    const f = fixture(T0);
    const { gaps, commands } = tracker(f);
    const events = [1, 2, 3, 4].map(() => started('n1', T0));
    f.event(events[0]!);
    f.event(events[3]!); // 2 and 3 never come
    gaps.observe('n1');
    f.advance(2000);
    gaps.tick();
    f.advance(30_000);
    gaps.tick();
    expect(commands).toEqual(['n1 replay {"fromSeq":2}', 'n1 rebirth']);
    const gap = eventsOf(f.db, 'n1').find((e) => e.type === 'GapDetected');
    expect(JSON.parse(gap!.data)).toMatchObject({ fromSeq: 2, toSeq: 3 });
    expect(checkpoint(f.db, 'n1')).toEqual({ contiguous_seq: 4, max_seq: 4 });
    expect(gaps.openGaps().size).toBe(0);
  });
});

function alerting(f: Fixture, policy = DEFAULT_ALERT_POLICY) {
  const opened: Alert[] = [];
  const closed: string[] = [];
  const published: unknown[] = [];
  const loop = startAlerting({
    db: f.db, folder: f.folder, policy, log: memoryLogger(), now: f.now, every: 3_600_000,
    notifier: { alertOpened: (a) => opened.push(a), alertClosed: (a) => closed.push(a.id) },
    publish: (alerts, summary) => published.push({ alerts, summary }),
  });
  loop.stop(); // ticks are driven by the test clock
  return { loop, opened, closed, published };
}

describe('alerts', () => {
  it('opens a service alert only after the threshold, and closes it on recovery', () => {
    const f = fixture(T0);
    const a = alerting(f);
    f.send(t.status('n1'), status('n1', 'online'));
    f.send(t.service('n1', 'web.service'), serviceState('n1', 'web.service', 'failed', T0, T0));
    const alive = () => f.send(t.status('n1'), status('n1', 'online')); // the node keeps talking
    f.advance(5 * MIN - 1);
    alive();
    a.loop.tick();
    expect(a.opened).toEqual([]);
    f.advance(1);
    alive();
    a.loop.tick();
    expect(a.opened.map((x) => [x.id, x.since])).toEqual([['service_down:n1:web.service', T0]]);
    a.loop.tick();
    expect(a.opened).toHaveLength(1);
    f.send(t.service('n1', 'web.service'), serviceState('n1', 'web.service', 'running', f.now(), f.now()));
    a.loop.tick();
    expect(a.closed).toEqual(['service_down:n1:web.service']);
    expect(fleetSummary(f.db, f.now(), 3).alerts.open).toBe(0);
  });

  it('opens at once with a zero threshold, and per service', () => {
    const f = fixture(T0);
    const a = alerting(f, { ...DEFAULT_ALERT_POLICY, serviceDownAfter: { 'n1/db.service': 0 } });
    f.send(t.status('n1'), status('n1', 'online'));
    f.send(t.service('n1', 'db.service'), serviceState('n1', 'db.service', 'stopped', T0, T0));
    f.send(t.service('n1', 'web.service'), serviceState('n1', 'web.service', 'stopped', T0, T0));
    a.loop.tick();
    expect(a.opened.map((x) => x.id)).toEqual(['service_down:n1:db.service']);
  });

  it('lets a lost node suppress its services: one alert, not twenty', () => {
    const f = fixture(T0);
    const a = alerting(f);
    f.send(t.status('n1'), status('n1', 'online'));
    for (let i = 0; i < 20; i++) f.send(t.service('n1', `s${i}.service`), serviceState('n1', `s${i}.service`, 'failed', T0, T0));
    f.send(t.status('n1'), status('n1', 'lost'));
    f.advance(10 * MIN);
    a.loop.tick();
    expect(a.opened.map((x) => x.id)).toEqual(['node_lost:n1']);
    f.send(t.status('n1'), status('n1', 'online', 's2'));
    a.loop.tick();
    expect(a.closed).toEqual(['node_lost:n1']);
    expect(a.opened).toHaveLength(21);
  });

  it('marks a silent node stale after three intervals', () => {
    const f = fixture(T0);
    const a = alerting(f);
    f.send(t.status('n1'), status('n1', 'online'));
    f.advance(30_001);
    a.loop.tick();
    expect(a.opened.map((x) => x.kind)).toEqual(['node_stale']);
    expect(fleetSummary(f.db, f.now(), 3).nodes).toMatchObject({ total: 1, online: 0, stale: 1 });
  });

  it('measures staleness in the interval the node announced in its birth', () => {
    const f = fixture(T0);
    f.send(t.status('n1'), status('n1', 'online'));
    f.send(t.birth('n1'), {
      v: 1, node: 'n1', session: 's1', ts: T0, agent: { version: '1', pid: 1 }, interval: 60, services: [], checks: [],
      host: { hostname: 'h', platform: 'linux', distro: 'd', release: 'r', kernel: 'k', arch: 'x64', machineId: null, bootTime: null, ips: [], mac: null },
    });
    f.advance(179_000);
    expect(fleetSummary(f.db, f.now(), 3).nodes.stale).toBe(0);
    f.advance(2000);
    expect(fleetSummary(f.db, f.now(), 3).nodes.stale).toBe(1);
  });

  it('opens on a failing check and publishes retained alerts and summary on change only', () => {
    const f = fixture(T0);
    const a = alerting(f);
    f.send(t.status('n1'), status('n1', 'online'));
    f.send(t.check('n1', 'backups'), { v: 1, node: 'n1', check: 'backups', ts: T0, status: 'FAILURE', message: 'disk full', durationMs: 3 });
    a.loop.tick();
    a.loop.tick();
    expect(a.opened.map((x) => x.id)).toEqual(['check_failing:n1:backups']);
    expect(a.published).toHaveLength(1);
  });
});

describe('alerts when a supervisor gave up', () => {
  it('opens at once when the supervisor gives up, and closes when the process runs again', () => {
    const f = fixture(T0);
    const a = alerting(f);
    f.send(t.status('n1'), status('n1', 'online'));
    f.event(changed('n1', 'worker', 'running', 'failed', T0));
    f.advance(MIN);
    f.event(gaveUp('n1', 'worker', f.now(), 5));
    a.loop.tick();
    expect(a.opened.map((x) => [x.id, x.kind, x.target, x.since])).toEqual([['process_gave_up:n1:worker', 'process_gave_up', 'worker', T0 + MIN]]);
    expect(a.opened[0]!.message).toMatch(/gave up after 5 restarts in 300 s/);
    f.advance(MIN);
    f.send(t.status('n1'), status('n1', 'online'));
    a.loop.tick();
    expect(a.opened).toHaveLength(1);
    expect(a.closed).toEqual([]);
    f.event(changed('n1', 'worker', 'failed', 'running', f.now())); // an operator started it again
    a.loop.tick();
    expect(a.closed).toEqual(['process_gave_up:n1:worker']);
    const live = dump(f.db, derivedReadModels(PROJECTIONS));
    rebuild(f.db, PROJECTIONS);
    expect(dump(f.db, derivedReadModels(PROJECTIONS))).toEqual(live);
  });

  it('closes when the retained state says the process is running since after it gave up, not before', () => {
    const f = fixture(T0);
    const a = alerting(f);
    f.send(t.status('n1'), status('n1', 'online'));
    // A retained state from before the give-up does not count as recovery.
    f.send(t.service('n1', 'worker'), { ...serviceState('n1', 'worker', 'running', T0 - MIN, T0 - MIN), kind: 'process' });
    f.event(gaveUp('n1', 'worker', T0));
    a.loop.tick();
    expect(a.opened.map((x) => x.id)).toEqual(['process_gave_up:n1:worker']);
    f.advance(MIN);
    f.send(t.service('n1', 'worker'), { ...serviceState('n1', 'worker', 'running', f.now(), f.now()), kind: 'process' });
    a.loop.tick();
    expect(a.closed).toEqual(['process_gave_up:n1:worker']);
  });

  it('is suppressed while its node is lost', () => {
    const f = fixture(T0);
    const a = alerting(f);
    f.send(t.status('n1'), status('n1', 'online'));
    f.event(gaveUp('n1', 'worker', T0));
    f.send(t.status('n1'), status('n1', 'lost'));
    a.loop.tick();
    expect(a.opened.map((x) => x.id)).toEqual(['node_lost:n1']);
  });
});

describe('rebuild', () => {
  it('produces the same rows as live folding, gaps, reordering and alerts included', () => {
    const f = fixture(T0);
    const { gaps } = tracker(f);
    const a = alerting(f, { ...DEFAULT_ALERT_POLICY, serviceDownAfterMs: 0 });
    f.send(t.status('n1'), status('n1', 'online'));
    const e = Array.from({ length: 12 }, (_, i) => changed('n1', `s${i % 3}.service`, i % 2 ? 'running' : 'failed', i % 2 ? 'failed' : 'running', T0 + i * MIN));
    const order = [0, 1, 3, 2, 4, 5, 7, 8, 9, 10, 11]; // 3 before 2; 6 never arrives
    for (const i of order) {
      f.advance(MIN);
      f.event(e[i]!);
      gaps.observe('n1');
    }
    f.send(t.service('n1', 's0.service'), serviceState('n1', 's0.service', 'failed', f.now(), f.now()));
    a.loop.tick();
    f.advance(2000);
    gaps.tick();
    f.advance(30_000);
    gaps.tick(); // GapDetected for 7
    f.event(e[6]!); // too late: stays in the log only
    f.send(t.service('n1', 's0.service'), serviceState('n1', 's0.service', 'running', f.now(), f.now()));
    a.loop.tick();
    const tables = derivedReadModels(PROJECTIONS);
    const live = dump(f.db, tables);
    expect((live['transitions'] ?? []).length).toBe(11);
    expect((live['alerts'] ?? []).length).toBe(1);
    const progress: number[] = [];
    rebuild(f.db, PROJECTIONS, (p) => progress.push(p.done));
    expect(dump(f.db, tables)).toEqual(live);
    expect(progress.at(-1)).toBe(eventsOf(f.db, 'n1').length);
  });

  it('rebuilds an empty log', () => {
    const db = openDatabase(':memory:');
    expect(() => rebuild(db, PROJECTIONS)).not.toThrow();
  });
});
