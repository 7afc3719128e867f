/**
 * A consumer batch folded at once (decoded together, log rows appended together, folded as one
 * run) leaves exactly the rows that folding its messages one at a time leaves: same log ids, same
 * checkpoints, same read models, whatever the batch boundaries.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '@sitrep/schemas';
import { PROJECTIONS, rebuild, derivedReadModels } from '../src/index.js';
import { REBUILD_LIMITS } from '../src/projections/transitions.js';
import { changed, dump, fixture, gaveUp, resetSeq, started, status, t } from './support/fixture.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const MIN = 60_000;

function stream() {
  resetSeq();
  const ev = (e: AgentEvent) => ({ topic: t.events(e.node), value: e });
  const n1 = [
    started('n1', T0),
    changed('n1', 'web.service', 'running', 'failed', T0 + MIN, { lastLines: ['a', 'b'], exitCode: 1, result: 'exit-code' }),
    changed('n1', 'web.service', 'failed', 'running', T0 + 2 * MIN),
    gaveUp('n1', 'worker', T0 + 3 * MIN),
    { ...started('n1', T0 + 4 * MIN), type: 'CheckCompleted', data: { check: 'disk', status: 'FAILURE', message: 'full', durationMs: 3 } } as AgentEvent,
    changed('n1', 'worker', 'failed', 'running', T0 + 5 * MIN),
    changed('n1', 'web.service', 'running', 'stopped', T0 + 90 * MIN),
  ];
  changed('n1', 'skipped', 'running', 'failed', T0); // seq 8 is taken here so n1's seq 9 waits behind a gap
  const n1Late = changed('n1', 'web.service', 'stopped', 'running', T0 + 95 * MIN);
  const n2 = [started('n2', T0), changed('n2', 'db.service', 'running', 'failed', T0 + 10 * MIN), changed('n2', 'db.service', 'failed', 'running', T0 + 70 * MIN)];
  const messages = [
    { topic: t.status('n1'), value: status('n1', 'online') },
    ev(n1[0]!), ev(n2[0]!), ev(n1[2]!), // n1 seq 3 before 2: reordered
    ev(n1[1]!), ev(n1[1]!), // a duplicate inside the batch
    { topic: t.events('n1'), value: '{"not json' }, // a dead letter
    ev(n2[1]!), ev(n1[3]!), ev(n1[4]!),
    { topic: t.status('n1'), value: status('n1', 'lost') }, // derives NodeLost between events
    ev(n1[5]!), ev(n2[2]!), ev(n1Late), // n1 seq 9 waits: seq 8 never comes
    { topic: t.status('n1'), value: status('n1', 'online', 's2') }, // derives NodeReturned
    ev(n1[6]!), ev(n2[1]!), // a redelivery of an earlier message
  ];
  return messages.map((m, i) => ({ ...m, at: T0 + i * 1000 }));
}

beforeEach(resetSeq);

describe('a batch folded at once', () => {
  it('leaves the rows that folding its messages one by one leaves, whatever the batch boundaries', () => {
    const messages = stream();
    const one = fixture(T0);
    const byOne = messages.map((m) => one.batch([m])[0]);
    const expected = dump(one.db);
    expect(expected['transitions']).toHaveLength(6);
    expect(expected['events']).toHaveLength(13); // 11 agent events, NodeLost, NodeReturned
    for (const size of [messages.length, 3, 7]) {
      const f = fixture(T0);
      const outcomes = [];
      for (let i = 0; i < messages.length; i += size) outcomes.push(...f.batch(messages.slice(i, i + size)));
      expect(outcomes, `batches of ${size}`).toEqual(byOne);
      expect(dump(f.db), `batches of ${size}`).toEqual(expected);
    }
    // And a rebuild of the log folds it into the same read models again.
    const tables = derivedReadModels(PROJECTIONS);
    const live = dump(one.db, tables);
    rebuild(one.db, PROJECTIONS);
    expect(dump(one.db, tables)).toEqual(live);
    // In chunks of 2 events, with the rebuild's fold writing its buckets whenever it holds more
    // than one: the sums it writes in parts add up to the same rows.
    const limit = REBUILD_LIMITS.buckets;
    REBUILD_LIMITS.buckets = 1;
    try {
      rebuild(one.db, PROJECTIONS, () => undefined, { chunk: 2 });
    } finally {
      REBUILD_LIMITS.buckets = limit;
    }
    expect(dump(one.db, tables)).toEqual(live);
    expect(byOne.filter((o) => o?.kind === 'duplicate')).toHaveLength(2);
    expect(byOne.filter((o) => o?.kind === 'dead-letter')).toHaveLength(1);
  });

  it('adds up the hours of a service whose clock goes back an hour and forward again inside one batch', () => {
    // Hour 2, back to hour 0, hour 2 again, hour 3: the fold holds two buckets of hour 2 for it.
    const at = [150, 30, 160, 200, 205].map((m) => T0 + m * MIN);
    const events = at.map((ts, i) => changed('n1', 'web.service', i % 2 === 0 ? 'running' : 'failed', i % 2 === 0 ? 'failed' : 'running', ts));
    const messages = events.map((e, i) => ({ topic: t.events('n1'), value: e, at: T0 + 210 * MIN + i }));
    const one = fixture(T0);
    for (const m of messages) one.batch([m]);
    const all = fixture(T0);
    all.batch(messages);
    const tables = derivedReadModels(PROJECTIONS);
    const expected = dump(one.db, tables);
    expect(expected['service_hours']).toHaveLength(3);
    expect(dump(all.db, tables)).toEqual(expected);
    rebuild(all.db, PROJECTIONS);
    expect(dump(all.db, tables)).toEqual(expected);
  });

  it('folds a batch whose transaction was rolled back, then redelivered, as if it had come once', () => {
    const ev = (e: AgentEvent, at: number) => ({ topic: t.events(e.node), value: e, at });
    const first = [ev(started('n1', T0), T0), ev(changed('n1', 'web.service', 'running', 'failed', T0 + MIN), T0 + MIN)];
    const second = [ev(changed('n1', 'web.service', 'failed', 'running', T0 + 10 * MIN), T0 + 10 * MIN), ev(changed('n1', 'db.service', 'running', 'stopped', T0 + 11 * MIN), T0 + 11 * MIN)];
    const third = [ev(changed('n1', 'web.service', 'running', 'stopped', T0 + 70 * MIN), T0 + 70 * MIN)];
    const f = fixture(T0);
    f.batch(first);
    // The consumer's transaction fails after the fold (at COMMIT, say): rolled back, redelivered.
    f.db.exec('BEGIN IMMEDIATE');
    f.batch(second);
    f.db.exec('ROLLBACK');
    f.batch(second);
    f.batch(third);
    const g = fixture(T0);
    for (const b of [first, second, third]) g.batch(b);
    expect(dump(f.db)).toEqual(dump(g.db));
    expect(f.db.prepare('SELECT contiguous_seq FROM checkpoints WHERE node = ?').pluck().get('n1')).toBe(5);
    // A rebuild in between (tables dropped and filled again): the next batch folds on the file's rows.
    rebuild(f.db, PROJECTIONS);
    const fourth = [ev(changed('n1', 'web.service', 'stopped', 'running', T0 + 80 * MIN), T0 + 80 * MIN)];
    f.batch(fourth);
    g.batch(fourth);
    expect(dump(f.db)).toEqual(dump(g.db));
  });

  it('changes nothing when the same batch comes again (a redelivery after a crash)', () => {
    const messages = stream();
    const f = fixture(T0);
    f.batch(messages);
    const once = dump(f.db);
    const again = f.batch(messages);
    expect(again.filter((o) => o.kind === 'folded' && o.what !== 'status')).toEqual([]);
    const twice = dump(f.db);
    // The invalid message is recorded again, as every rejected delivery is; nothing else moves.
    expect(twice['dead_letters']).toHaveLength(2);
    expect({ ...twice, dead_letters: [] }).toEqual({ ...once, dead_letters: [] });
  });
});
