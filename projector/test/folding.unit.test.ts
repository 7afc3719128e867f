import { beforeEach, describe, expect, it } from 'vitest';
import { checkpoint, runQuery } from '../src/index.js';
import { hourlyRatios, queryTransitions } from '../src/projections/transitions.js';
import { changed, dump, fixture, resetSeq, started } from './support/fixture.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

beforeEach(resetSeq);

describe('transitions and hourly buckets', () => {
  it('records each transition with its evidence', () => {
    const f = fixture();
    f.event(changed('n1', 'web.service', 'running', 'failed', T0, { result: 'signal', signal: 'SIGKILL', exitCode: null, lastLines: ['killed'] }));
    const [row] = queryTransitions(f.db, { node: 'n1', service: 'web.service', from: 0, to: T0 + 1, limit: 10 });
    expect(row).toMatchObject({ from_state: 'running', to_state: 'failed', result: 'signal', signal: 'SIGKILL', expect: 'running' });
    expect(JSON.parse(row!.last_lines)).toEqual(['killed']);
  });

  it('adds up healthy and observed time per hour, across hour boundaries, with the open interval at query time', () => {
    const f = fixture();
    // running from 10:00, failed 10:30-10:40, running again; at 11:30 we ask.
    f.event(changed('n1', 'web.service', 'stopped', 'running', T0));
    f.event(changed('n1', 'web.service', 'running', 'failed', T0 + 30 * 60_000));
    f.event(changed('n1', 'web.service', 'failed', 'running', T0 + 40 * 60_000));
    const r = hourlyRatios(f.db, { node: 'n1', service: 'web.service', from: T0, to: T0 + 2 * H, now: T0 + 90 * 60_000 });
    expect(r.hours).toEqual([
      { hour: T0, healthyMs: 50 * 60_000, totalMs: H, transitions: 3, ratio: 50 / 60 },
      { hour: T0 + H, healthyMs: 30 * 60_000, totalMs: 30 * 60_000, transitions: 0, ratio: 1 },
    ]);
    expect(r.ratio).toBeCloseTo(80 / 90, 10);
  });

  it('bounds the hours one event may fill when an agent clock is decades off, and never throws on absurd timestamps', () => {
    const f = fixture();
    f.set(T0);
    // A dead RTC battery: the host booted in 1970, then NTP fixed the clock.
    f.event(changed('n1', 'web.service', 'stopped', 'running', 5_000));
    f.event(changed('n1', 'web.service', 'running', 'failed', T0));
    const hours = () => (f.db.prepare('SELECT count(*) AS n FROM service_hours').get() as { n: number }).n;
    expect(hours()).toBeLessThanOrEqual(400 * 24 + 2);
    expect(hours()).toBeGreaterThan(400 * 24 - 2);
    // A clock far in the future counts at most a day past arrival.
    const before = hours();
    expect(f.event(changed('n1', 'web.service', 'failed', 'running', 2 ** 53 - 1)).kind).toBe('folded');
    expect(hours() - before).toBeLessThanOrEqual(25);
    const r = hourlyRatios(f.db, { node: 'n1', service: 'web.service', from: 0, to: 2 ** 53, now: T0 + H });
    expect(r.hours.length).toBeLessThanOrEqual(400 * 24 + 30);
  });

  it('is idempotent: the same events twice change nothing', () => {
    const f = fixture();
    const events = [started('n1', T0), changed('n1', 'a.service', 'running', 'failed', T0 + 1000), changed('n1', 'a.service', 'failed', 'running', T0 + 5000)];
    for (const e of events) f.event(e);
    const once = dump(f.db);
    for (const e of events) expect(f.event(e)).toEqual({ kind: 'duplicate' });
    expect(dump(f.db)).toEqual(once);
  });
});

describe('ordering', () => {
  it('folds early arrivals in seq order once the gap before them fills', () => {
    const f = fixture();
    const [e1, e2, e3] = [changed('n1', 'a.service', 'stopped', 'running', T0), changed('n1', 'a.service', 'running', 'failed', T0 + 1000), changed('n1', 'a.service', 'failed', 'running', T0 + 2000)];
    f.event(e1!);
    f.event(e3!);
    expect(queryTransitions(f.db, { from: 0, to: T0 + H, limit: 10 })).toHaveLength(1);
    expect(checkpoint(f.db, 'n1')).toEqual({ contiguous_seq: 1, max_seq: 3 });
    f.event(e2!);
    const order = queryTransitions(f.db, { from: 0, to: T0 + H, limit: 10 }).reverse().map((r) => `${r.from_state}>${r.to_state}`);
    expect(order).toEqual(['stopped>running', 'running>failed', 'failed>running']);
    expect(checkpoint(f.db, 'n1')).toEqual({ contiguous_seq: 3, max_seq: 3 });
  });
});

describe('queries', () => {
  it('answers with rows and refuses bad arguments precisely', () => {
    const f = fixture();
    f.event(changed('n1', 'a.service', 'running', 'failed', T0));
    expect(runQuery(f.db, 'transitions', { node: 'n1', from: 0, to: T0 + 1 }, T0)).toHaveLength(1);
    expect(() => runQuery(f.db, 'transitions', { node: 'N 1' }, T0)).toThrow(/transitions args at \/node/);
    expect(() => runQuery(f.db, 'transitions', { limit: 1e9 }, T0)).toThrow(/\/limit/);
    expect(() => runQuery(f.db, 'nope', {}, T0)).toThrow(/unknown query "nope"/);
    expect(runQuery(f.db, 'ratios', { node: 'n1', service: 'a.service', from: T0, to: T0 + H }, T0 + H)).toMatchObject({ ratio: 0 });
  });
});
