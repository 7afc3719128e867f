/**
 * Histories that are the logged events themselves (transitions, check results, command audit) are
 * views over the log: given events, when queried per subject or fleet-wide, then exactly the folded
 * events show; and a file written before the views keeps every row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger, type AgentEvent } from '@sitrep/schemas';
import { openDatabase } from '../src/index.js';
import { createGapTracker } from '../src/gaps/tracker.js';
import { checkHistory } from '../src/projections/checks.js';
import { commandHistory } from '../src/projections/commands.js';
import { hourlyRatios, queryTransitions } from '../src/projections/transitions.js';
import { changed, fixture, resetSeq, type Fixture } from './support/fixture.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const H = 3_600_000;
const DAY = 24 * H;

beforeEach(resetSeq);

let seq = 100;
function check(node: string, id: string, status: string, ts: number): AgentEvent {
  return { v: 1, node, session: 's1', seq: seq++, ts, type: 'CheckCompleted', data: { check: id, status, message: `${id} ${status}`, durationMs: 12 } } as AgentEvent;
}

const flips = (r: { from_state: string; to_state: string }[]) => r.map((x) => `${x.from_state}>${x.to_state}`);

describe('transitions per service and fleet-wide', () => {
  it('answers the same rows through the per-hour index and through the time scan, over hours and days', () => {
    const f = fixture(T0);
    // Two services on two nodes, transitions spread over 10 days, some in the same hour.
    const times = [0, 10 * 60_000, 3 * H, 3 * H + 1, 26 * H, 5 * DAY, 9 * DAY + 59 * 60_000];
    for (const dt of times) {
      f.event(changed('n1', 'a.service', 'running', 'failed', T0 + dt));
      f.event(changed('n1', 'b.service', 'failed', 'running', T0 + dt + 1));
      f.event(changed('n2', 'a.service', 'stopped', 'running', T0 + dt + 2));
    }
    for (const [from, to] of [[T0, T0 + 10 * DAY], [T0 + H, T0 + 3 * H + 1], [T0 + 3 * H, T0 + 3 * H + 2], [T0 - 200 * DAY, T0 + 10 * DAY]] as const) {
      const perService = queryTransitions(f.db, { node: 'n1', service: 'a.service', from, to, limit: 100 });
      const scanned = queryTransitions(f.db, { from, to, limit: 100 }).filter((r) => r.node === 'n1' && r.service === 'a.service');
      expect(perService, `[${from - T0}, ${to - T0})`).toEqual(scanned);
      expect(perService.every((r) => r.ts >= from && r.ts < to)).toBe(true);
    }
    const all = queryTransitions(f.db, { node: 'n1', service: 'a.service', from: T0, to: T0 + 10 * DAY, limit: 100 });
    expect(all.map((r) => r.ts)).toEqual([...times].reverse().map((dt) => T0 + dt)); // newest first
    expect(all[0]).toMatchObject({ node: 'n1', service: 'a.service', from_state: 'running', to_state: 'failed', expect: 'running', last_lines: '[]' });
    expect(queryTransitions(f.db, { node: 'n1', service: 'a.service', from: T0, to: T0 + 10 * DAY, limit: 2 })).toHaveLength(2);
    expect(queryTransitions(f.db, { node: 'n2', from: T0, to: T0 + 10 * DAY, limit: 100 })).toHaveLength(times.length);
  });

  it('keeps the evidence, and an event without expect inherits the service expectation', () => {
    const f = fixture(T0);
    f.event(changed('n1', 'a.service', 'running', 'stopped', T0, { expect: 'stopped' }));
    f.event(changed('n1', 'a.service', 'stopped', 'failed', T0 + 1000, { expect: undefined, result: 'exit-code', exitCode: 3, signal: null, lastLines: ['boom', 'ünïcode'] }));
    f.event(changed('n1', 'b.service', 'running', 'failed', T0 + 2000, { expect: undefined }));
    const rows = queryTransitions(f.db, { node: 'n1', from: 0, to: T0 + H, limit: 10 });
    expect(rows.map((r) => [r.service, r.expect])).toEqual([['b.service', 'running'], ['a.service', 'stopped'], ['a.service', 'stopped']]);
    expect(rows[1]).toMatchObject({ result: 'exit-code', exit_code: 3, signal: null });
    expect(JSON.parse(rows[1]!.last_lines)).toEqual(['boom', 'ünïcode']);
  });
});

describe('only folded events show', () => {
  function tracker(f: Fixture) {
    return createGapTracker({ db: f.db, folder: f.folder, log: memoryLogger(), now: f.now, reorderWindowMs: 1000, replayTimeoutMs: 5000, command: () => undefined });
  }

  it('an early arrival shows once the gap before it fills; a late one after its gap was declared never does', () => {
    const f = fixture(T0);
    const gaps = tracker(f);
    const e = [1, 2, 3, 4, 5].map((i) => changed('n1', 'a.service', i % 2 ? 'running' : 'failed', i % 2 ? 'failed' : 'running', T0 + i * 1000));
    const shown = () => flips(queryTransitions(f.db, { node: 'n1', service: 'a.service', from: 0, to: T0 + H, limit: 10 }).reverse());
    f.event(e[0]!);
    f.event(e[2]!); // seq 3 before 2: waits
    expect(shown()).toEqual(['running>failed']);
    expect(queryTransitions(f.db, { from: 0, to: T0 + H, limit: 10 })).toHaveLength(1);
    f.event(e[1]!);
    expect(shown()).toEqual(['running>failed', 'failed>running', 'running>failed']);
    f.event(e[4]!); // seq 5; 4 goes missing and is declared a gap
    gaps.observe('n1');
    f.advance(1000);
    gaps.tick();
    f.advance(5000);
    gaps.tick();
    expect(shown()).toHaveLength(4);
    f.event(e[3]!); // too late: in the log, never folded
    expect(shown()).toEqual(['running>failed', 'failed>running', 'running>failed', 'running>failed']);
    expect(queryTransitions(f.db, { from: 0, to: T0 + H, limit: 10 })).toHaveLength(4);
  });
});

describe('check results and the command audit', () => {
  it('answer per check, per node and fleet-wide', () => {
    const f = fixture(T0);
    f.event(check('n1', 'disk', 'OK', T0));
    f.event(check('n1', 'disk', 'FAILURE', T0 + 2 * H));
    f.event(check('n1', 'dns', 'OK', T0 + 3 * H));
    f.event({ v: 1, node: 'n1', session: 's1', seq: seq++, ts: T0 + 4 * H, type: 'CommandCompleted', data: { id: 'c1', action: 'restart', target: 'a.service', by: 'alice', outcome: 'ok', message: 'done', durationMs: 5 } } as AgentEvent);
    const disk = checkHistory(f.db, { node: 'n1', check: 'disk', from: T0, to: T0 + DAY, limit: 10 });
    expect(disk.map((r) => r.status)).toEqual(['FAILURE', 'OK']);
    expect(disk[0]).toMatchObject({ node: 'n1', check_id: 'disk', message: 'disk FAILURE', duration_ms: 12 });
    expect(checkHistory(f.db, { from: T0, to: T0 + DAY, limit: 10 })).toHaveLength(3);
    expect(commandHistory(f.db, { node: 'n1', from: T0, to: T0 + DAY, limit: 10 })).toEqual([
      { event_id: expect.any(Number), node: 'n1', ts: T0 + 4 * H, command_id: 'c1', action: 'restart', target: 'a.service', by: 'alice', outcome: 'ok', message: 'done', duration_ms: 5 },
    ]);
  });
});

describe('a file written before the views', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sitrep-log-views-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gets subject filled in, its copied tables replaced by the views, and its hourly buckets moved', () => {
    const path = join(dir, 'projector.db');
    // The log and the copied tables as the previous version created them.
    const old = new Database(path);
    old.exec(`
      CREATE TABLE events (id INTEGER PRIMARY KEY, node TEXT NOT NULL, seq INTEGER, session TEXT NOT NULL, ts INTEGER NOT NULL,
        type TEXT NOT NULL, data TEXT NOT NULL, origin TEXT NOT NULL, derived_key TEXT, received_at INTEGER NOT NULL);
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
      CREATE TABLE checkpoints (node TEXT PRIMARY KEY, contiguous_seq INTEGER NOT NULL, max_seq INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE transitions (event_id INTEGER PRIMARY KEY, node TEXT NOT NULL, service TEXT NOT NULL, ts INTEGER NOT NULL);
      CREATE TABLE check_results (event_id INTEGER PRIMARY KEY, node TEXT NOT NULL, check_id TEXT NOT NULL);
      CREATE TABLE command_audit (event_id INTEGER PRIMARY KEY, node TEXT NOT NULL);
      CREATE TABLE service_hourly (node TEXT NOT NULL, service TEXT NOT NULL, hour INTEGER NOT NULL, healthy_ms INTEGER NOT NULL,
        total_ms INTEGER NOT NULL, transitions INTEGER NOT NULL, PRIMARY KEY (node, service, hour)) WITHOUT ROWID;
      INSERT INTO service_hourly VALUES ('n1', 'a.service', ${T0}, 600000, 3600000, 2);
      INSERT INTO checkpoints VALUES ('n1', 2, 2, 0);
    `);
    const insert = old.prepare(`INSERT INTO events (node, seq, session, ts, type, data, origin, received_at) VALUES ('n1', ?, 's1', ?, ?, ?, 'agent', ?)`);
    insert.run(1, T0, 'ServiceStateChanged', JSON.stringify({ service: 'a.service', from: 'running', to: 'failed', expect: 'running' }), T0);
    insert.run(2, T0 + 1, 'CheckCompleted', JSON.stringify({ check: 'disk', status: 'OK', message: 'fine', durationMs: 1 }), T0 + 1);
    old.close();

    const db = openDatabase(path);
    expect(db.prepare("SELECT name, type FROM sqlite_master WHERE name IN ('transitions', 'check_results', 'command_audit') ORDER BY name").all()).toEqual([
      { name: 'check_results', type: 'view' }, { name: 'command_audit', type: 'view' }, { name: 'transitions', type: 'view' },
    ]);
    expect(db.prepare('SELECT seq, subject FROM events ORDER BY seq').all()).toEqual([{ seq: 1, subject: 'a.service' }, { seq: 2, subject: 'disk' }]);
    expect(flips(queryTransitions(db, { node: 'n1', service: 'a.service', from: 0, to: T0 + H, limit: 10 }))).toEqual(['running>failed']);
    expect(checkHistory(db, { node: 'n1', check: 'disk', from: 0, to: T0 + H, limit: 10 })).toHaveLength(1);
    // The hourly buckets moved to their hour-first table.
    expect(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'service_hourly'").get()).toBeUndefined();
    expect(hourlyRatios(db, { node: 'n1', service: 'a.service', from: T0, to: T0 + H, now: T0 + H }).hours).toEqual([
      { hour: T0, healthyMs: 600000, totalMs: 3600000, transitions: 2, ratio: 600000 / 3600000 },
    ]);
    // The log is append-only again.
    expect(() => db.exec("UPDATE events SET node = 'x'")).toThrow(/append-only/);
    db.close();
    // Opening it again changes nothing.
    const again = openDatabase(path);
    expect(again.prepare('SELECT count(*) AS n FROM events WHERE subject IS NOT NULL').get()).toEqual({ n: 2 });
    again.close();
  });
});
