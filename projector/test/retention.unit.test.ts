import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '@sitrep/schemas';
import { eventLog } from '../src/projections/event-log.js';
import { metricsHistoryProjection, metricsRetentionRules } from '../src/projections/metrics-history.js';
import { SAMPLES_RETENTION, serviceSamples } from '../src/projections/samples.js';
import type { Db } from '../src/projections/projection.js';
import { runRetention, startRetention } from '../src/retention/retention.js';
import { RetentionRuleError, type RetentionPolicy, type RetentionRule } from '../src/retention/rule.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2025, 2, 1);

/** A database with the metrics tables, a rowid table like a future log-lines one, and the event log. */
function given(): Db {
  const db = new Database(':memory:');
  db.exec(metricsHistoryProjection.ddl);
  db.exec(eventLog.ddl);
  db.exec('CREATE TABLE log_lines (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, line TEXT NOT NULL); CREATE INDEX log_lines_ts ON log_lines (ts);');
  db.exec("INSERT INTO metrics_nodes (id, node) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  return db;
}

/** Rows at the given ages (ms before NOW) for nodes 1 to 3; roll-up columns other than the key are zero. */
function seed(db: Db, table: 'metrics_raw' | 'metrics_1m' | 'metrics_1h', ages: number[]): void {
  const insert =
    table === 'metrics_raw'
      ? db.prepare('INSERT INTO metrics_raw (node_id, ts, cpu_pm, mem_pm, load1_x100) VALUES (?, ?, 1, 1, 1)')
      : db.prepare(
          `INSERT INTO ${table} (node_id, bucket, n, cpu_sum, cpu_max, mem_sum, mem_max, swap_sum, swap_n, disk_sum, disk_n, load1_sum, rx_sum, tx_sum, net_n, procs_sum, procs_n)
           VALUES (?, ?, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`,
        );
  db.transaction(() => {
    for (const node of [1, 2, 3]) for (const age of ages) insert.run(node, NOW - age);
  })();
}

const ages = (db: Db, table: string, col: string) =>
  (db.prepare(`SELECT DISTINCT ${NOW} - ${col} FROM ${table} ORDER BY 1`).pluck().all() as number[]);

describe('runRetention', () => {
  it('removes exactly the rows past each horizon and keeps the rest', async () => {
    const db = given();
    // given rows on both sides of each horizon, for three nodes
    seed(db, 'metrics_raw', [0, 47 * HOUR, 48 * HOUR, 48 * HOUR + 1, 3 * DAY]);
    seed(db, 'metrics_1m', [MIN, 29 * DAY, 30 * DAY, 30 * DAY + MIN, 31 * DAY]);
    seed(db, 'metrics_1h', [HOUR, 400 * DAY]);
    const line = db.prepare('INSERT INTO log_lines (ts, line) VALUES (?, ?)');
    for (const age of [HOUR, 6 * DAY, 7 * DAY + 1, 8 * DAY]) line.run(NOW - age, `line ${age}`);
    const events = db.prepare('SELECT count(*) FROM events').pluck();
    db.prepare("INSERT INTO events (node, seq, session, ts, type, data, origin, received_at) VALUES ('a', 1, 's', 0, 'AgentStarted', '{}', 'agent', 0)").run();

    // when retention runs with the default metrics horizons and a 7-day rule for the log lines
    const policy: RetentionPolicy = [...metricsRetentionRules(), { table: 'log_lines', tsColumn: 'ts', maxAgeMs: 7 * DAY }];
    const report = await runRetention(db, policy, NOW);

    // then a row exactly at its horizon stays; older ones go, for every node; hours stay forever
    expect(ages(db, 'metrics_raw', 'ts')).toEqual([0, 47 * HOUR, 48 * HOUR]);
    expect(ages(db, 'metrics_1m', 'bucket')).toEqual([MIN, 29 * DAY, 30 * DAY]);
    expect(ages(db, 'metrics_1h', 'bucket')).toEqual([HOUR, 400 * DAY]);
    expect(ages(db, 'log_lines', 'ts')).toEqual([HOUR, 6 * DAY]);
    expect(db.prepare('SELECT count(*) FROM metrics_raw').pluck().get()).toBe(9);
    expect(report.complete).toBe(true);
    expect(Object.fromEntries(Object.entries(report.tables).map(([t, v]) => [t, v.deleted]))).toEqual({ metrics_raw: 6, metrics_1m: 6, log_lines: 2 });
    // and the event log is untouched
    expect(events.get()).toBe(1);

    // when it runs again at the same time, nothing more is deleted
    const again = await runRetention(db, policy, NOW);
    expect(Object.values(again.tables).map((t) => t.deleted)).toEqual([0, 0, 0]);
  });

  it('deletes a large backlog in many small transactions, yielding between them', async () => {
    const db = given();
    const old = Array.from({ length: 4000 }, (_, i) => 3 * DAY + i * 1000);
    seed(db, 'metrics_raw', [0, ...old]); // 12 000 expired rows over three nodes
    const line = db.prepare('INSERT INTO log_lines (ts, line) VALUES (?, ?)');
    db.transaction(() => old.forEach((age) => line.run(NOW - age, 'x')))();
    let pauses = 0;
    const pause = () => {
      pauses++;
      return new Promise<void>((resolve) => setImmediate(resolve));
    };
    const policy: RetentionPolicy = [metricsRetentionRules()[0]!, { table: 'log_lines', tsColumn: 'ts', maxAgeMs: DAY }];
    const report = await runRetention(db, policy, NOW, { chunkRows: 1000, pause });
    expect(report.tables.metrics_raw).toEqual({ deleted: 12_000, chunks: 3 * 5 }); // four full chunks and an empty one per node
    expect(report.tables.log_lines).toEqual({ deleted: 4000, chunks: 5 });
    expect(pauses).toBe(20);
    expect(db.prepare('SELECT count(*) FROM metrics_raw').pluck().get()).toBe(3);
  });

  it('walks partitions keyed on several columns (a table keyed node, service, ts)', async () => {
    const db = given();
    db.exec('CREATE TABLE samples (node TEXT NOT NULL, service TEXT NOT NULL, ts INTEGER NOT NULL, state TEXT NOT NULL, PRIMARY KEY (node, service, ts)) WITHOUT ROWID');
    const insert = db.prepare("INSERT INTO samples VALUES (?, ?, ?, 'running')");
    const keys = [['a', 'nginx'], ['a', 'sshd'], ['b', 'nginx'], ['b', 'sshd.service'], ['c', 'x']] as const;
    for (const [node, service] of keys) for (const age of [HOUR, 6 * DAY, 8 * DAY, 9 * DAY]) insert.run(node, service, NOW - age);
    const report = await runRetention(db, [{ table: 'samples', tsColumn: 'ts', maxAgeMs: 7 * DAY, partitionBy: ['node', 'service'] }], NOW, { chunkRows: 1 });
    expect(report.tables.samples).toEqual({ deleted: 10, chunks: 15 }); // per partition: two single-row chunks, then an empty one
    expect(db.prepare('SELECT node, service, count(*) AS n, min(ts) AS oldest FROM samples GROUP BY 1, 2').all()).toEqual(
      keys.map(([node, service]) => ({ node, service, n: 2, oldest: NOW - 6 * DAY })),
    );
  });

  it('deletes service samples by key through their time index: chunks follow the expired rows, not the services', async () => {
    const db = given();
    db.exec(serviceSamples.ddl);
    const insert = db.prepare("INSERT INTO service_samples (node, service, ts, state) VALUES (?, ?, ?, 'running')");
    // 300 services, two of them with expired samples.
    db.transaction(() => {
      for (let i = 0; i < 300; i++) for (const age of [HOUR, 6 * DAY]) insert.run(`n${i % 30}`, `s${i}`, NOW - age);
      for (const age of [8 * DAY, 9 * DAY, 7 * DAY + 1]) insert.run('n1', 's1', NOW - age);
      insert.run('n2', 's2', NOW - 30 * DAY);
    })();
    const report = await runRetention(db, [SAMPLES_RETENTION], NOW, { chunkRows: 3 });
    expect(report.tables.service_samples).toEqual({ deleted: 4, chunks: 2 }); // a full chunk of 3, then 1
    expect(db.prepare('SELECT count(*) FROM service_samples WHERE ts < ?').pluck().get(NOW - 7 * DAY)).toBe(0);
    expect(db.prepare('SELECT count(*) FROM service_samples').pluck().get()).toBe(600);
    // Each picked key is one primary-key seek, not a scan of the table.
    const plan = db.prepare(`EXPLAIN QUERY PLAN DELETE FROM service_samples WHERE (node, service, ts) IN (SELECT node, service, ts FROM service_samples WHERE ts < 1 ORDER BY ts LIMIT 3)`).all() as { detail: string }[];
    expect(plan.map((r) => r.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/^SEARCH service_samples USING PRIMARY KEY/), expect.stringMatching(/USING COVERING INDEX service_samples_ts/)]));
    expect(plan.some((r) => r.detail.startsWith('SCAN'))).toBe(false);
  });

  it('stops at the per-run row budget and finishes on the next run', async () => {
    const db = given();
    seed(db, 'metrics_raw', Array.from({ length: 900 }, (_, i) => 3 * DAY + i)); // 2700 expired
    const policy = metricsRetentionRules().slice(0, 1);
    const first = await runRetention(db, policy, NOW, { chunkRows: 400, maxRowsPerRun: 1000 });
    expect([first.complete, first.tables.metrics_raw?.deleted]).toEqual([false, 1000]);
    const second = await runRetention(db, policy, NOW, { chunkRows: 400, maxRowsPerRun: 1000 });
    expect([second.complete, second.tables.metrics_raw?.deleted]).toEqual([false, 1000]);
    const third = await runRetention(db, policy, NOW, { chunkRows: 400, maxRowsPerRun: 1000 });
    expect([third.complete, third.tables.metrics_raw?.deleted]).toEqual([true, 700]);
    expect(db.prepare('SELECT count(*) FROM metrics_raw').pluck().get()).toBe(0);
  });

  it('stops at the time budget', async () => {
    const db = given();
    seed(db, 'metrics_raw', Array.from({ length: 100 }, (_, i) => 3 * DAY + i));
    let clock = 0;
    const report = await runRetention(db, metricsRetentionRules(), NOW, { chunkRows: 10, maxMsPerRun: 35, clock: () => (clock += 10) });
    expect(report.complete).toBe(false);
    // the clock reads 10 at the start, then 20, 30, 40 before three chunks, and 50 (past 45) before a fourth
    expect(report.tables.metrics_raw?.deleted).toBe(30);
  });

  it('refuses the event log, malformed rules and rules the table cannot serve, with coded errors', async () => {
    const db = given();
    const code = async (rule: Partial<RetentionRule>) => {
      try {
        await runRetention(db, [{ table: 'log_lines', tsColumn: 'ts', maxAgeMs: DAY, ...rule }], NOW);
      } catch (err) {
        expect(err).toBeInstanceOf(RetentionRuleError);
        return (err as RetentionRuleError).code;
      }
      return 'ran';
    };
    expect(await code({ table: 'events' })).toBe('RETENTION_TABLE_PROTECTED');
    expect(await code({ table: 'Events' })).toBe('RETENTION_TABLE_PROTECTED');
    expect(await code({ table: 'log_lines; DROP TABLE events' })).toBe('RETENTION_RULE_INVALID');
    expect(await code({ tsColumn: 'ts < 0 OR 1' })).toBe('RETENTION_RULE_INVALID');
    expect(await code({ maxAgeMs: 0 })).toBe('RETENTION_RULE_INVALID');
    expect(await code({ maxAgeMs: Number.POSITIVE_INFINITY })).toBe('RETENTION_RULE_INVALID');
    expect(await code({ partitionBy: [] })).toBe('RETENTION_RULE_INVALID');
    expect(await code({ keyBy: [] })).toBe('RETENTION_RULE_INVALID');
    expect(await code({ keyBy: ['node_id'], partitionBy: ['node_id'] })).toBe('RETENTION_RULE_INVALID');
    expect(await code({ keyBy: ['id; DROP TABLE events'] })).toBe('RETENTION_RULE_INVALID');
    expect(await code({ table: 'metrics_raw', keyBy: ['node_id'] })).toBe('RETENTION_RULE_UNUSABLE'); // a part of the key
    expect(await code({ table: 'metrics_raw', keyBy: ['node_id', 'ts'] })).toBe('ran');
    expect(await code({ table: 'no_such_table' })).toBe('RETENTION_RULE_UNUSABLE');
    expect(await code({ tsColumn: 'no_such_column' })).toBe('RETENTION_RULE_UNUSABLE');
    expect(await code({ table: 'metrics_raw' })).toBe('RETENTION_RULE_UNUSABLE'); // WITHOUT ROWID needs partitionBy or keyBy
    expect(await code({})).toBe('ran');
    expect(db.prepare('SELECT count(*) FROM sqlite_master WHERE name = ?').pluck().get('events')).toBe(1);
  });
});

describe('startRetention', () => {
  const until = async (cond: () => boolean, ms = 2000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('runs on its schedule, logs what it deleted, and stops', async () => {
    const db = given();
    const log = memoryLogger('retention');
    const count = db.prepare('SELECT count(*) FROM metrics_raw').pluck();
    seed(db, 'metrics_raw', [0, 3 * DAY]);
    const r = startRetention({ db, policy: metricsRetentionRules(), every: 10, firstRunAfter: 0, now: () => NOW, log });
    await until(() => count.get() === 3);
    // a second batch of expired rows is picked up by a later run
    seed(db, 'metrics_raw', [4 * DAY]);
    await until(() => count.get() === 3);
    await r.stop();
    expect(log.lines.filter((l) => l.includes('metrics_raw=3')).length).toBe(2);
    // after stop nothing runs any more
    seed(db, 'metrics_raw', [5 * DAY]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(count.get()).toBe(6);
  });

  it('stop() interrupts a long run between chunks and waits for it', async () => {
    const db = given();
    const log = memoryLogger('retention');
    seed(db, 'metrics_raw', Array.from({ length: 2000 }, (_, i) => 3 * DAY + i));
    const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 5));
    const r = startRetention({ db, policy: metricsRetentionRules(), every: 1000, firstRunAfter: 0, now: () => NOW, log, options: { chunkRows: 10, pause: slow } });
    const count = db.prepare('SELECT count(*) FROM metrics_raw').pluck();
    await until(() => (count.get() as number) < 6000);
    await r.stop();
    const left = count.get() as number;
    expect(left).toBeGreaterThan(0);
    db.close(); // safe: nothing of the stopped run touches the database any more
    expect(log.lines.some((l) => l.includes('complete=false'))).toBe(true);
    expect(log.lines.some((l) => l.includes('error'))).toBe(false);
  });

  it('refuses a bad rule or period at start', () => {
    const db = given();
    const log = memoryLogger('retention');
    expect(() => startRetention({ db, policy: [{ table: 'events', tsColumn: 'ts', maxAgeMs: DAY }], every: 1000, log })).toThrow(RetentionRuleError);
    expect(() => startRetention({ db, policy: [], every: 0, log })).toThrow(RangeError);
  });

  it('logs a failing run and keeps its schedule', async () => {
    const db = given();
    const log = memoryLogger('retention');
    const r = startRetention({ db, policy: [{ table: 'not_yet_created', tsColumn: 'ts', maxAgeMs: DAY }], every: 10, firstRunAfter: 0, now: () => NOW, log });
    await until(() => log.lines.filter((l) => l.includes('retention failed')).length >= 2);
    await r.stop();
    expect(log.lines[0]).toContain('code=RETENTION_RULE_UNUSABLE');
  });
});
