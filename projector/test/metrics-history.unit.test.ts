import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metrics } from '@sitrep/schemas';
import {
  createMetricsHistoryProjection,
  DEFAULT_METRICS_RETENTION,
  metricsHistory,
  MetricsQueryError,
  metricsRetentionRules,
  type MetricsHistoryQuery,
} from '../src/projections/metrics-history.js';
import type { Db, Projection, StateMessage } from '../src/projections/projection.js';
import { runRetention } from '../src/retention/retention.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 6); // a Monday, 00:00 UTC: minute and hour aligned
const TABLES = ['metrics_nodes', 'metrics_raw', 'metrics_1m', 'metrics_1h'] as const;

function given(projection: Projection = createMetricsHistoryProjection(), db: Db = new Database(':memory:')) {
  db.exec(projection.ddl);
  /** Folds a state message as ingest does: one transaction, the projector's clock at `now`. */
  const fold = (msg: StateMessage, now: number) => db.transaction(() => projection.onState?.({ db, now }, msg, now))();
  const foldMetrics = (m: Metrics, now = m.ts) => fold({ kind: 'metrics', node: m.node, value: m }, now);
  const dump = () => Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]));
  /** Folds many snapshots in one transaction (bulk set-up; ingest commits one per message). */
  const foldAll = (ms: Iterable<Metrics>, delay = 50) =>
    db.transaction(() => {
      for (const m of ms) projection.onState?.({ db, now: m.ts + delay }, { kind: 'metrics', node: m.node, value: m }, m.ts + delay);
    })();
  return { db, fold, foldMetrics, foldAll, dump };
}

function metrics(node: string, ts: number, o: { cpu?: number; mem?: number; disk?: number | null; load1?: number; rx?: number; tx?: number; net?: boolean; procs?: number; swap?: [number, number] } = {}): Metrics {
  return {
    v: 1, node, ts,
    cpu: { percent: o.cpu ?? 10 },
    memory: { total: 1000, used: 400, available: 600, percent: o.mem ?? 40, ...(o.swap ? { swapTotal: o.swap[0], swapUsed: o.swap[1] } : {}) },
    disks: o.disk === null ? [] : [{ mount: '/', fs: 'ext4', size: 100, used: 50, available: 50, percent: o.disk ?? 50 }, { mount: '/data', fs: 'xfs', size: 100, used: 99, available: 1, percent: 99 }],
    load: [o.load1 ?? 0.5, 0.4, 0.3],
    uptime: 1000,
    ...(o.procs !== undefined ? { processes: o.procs } : {}),
    ...(o.net === false ? {} : { network: { rxBytesPerSec: o.rx ?? 1000, txBytesPerSec: o.tx ?? 100, interfaces: [] } }),
  };
}

describe('metrics history: folding', () => {
  it('stores one compact raw row per snapshot and keeps 1m and 1h roll-ups with exact sums, max and counts', () => {
    const { db, foldMetrics, dump } = given();
    // given three snapshots in the first minute (the first without network rates, as after an agent start) and one in the next
    foldMetrics(metrics('web-1', T0, { cpu: 10, mem: 40, net: false, procs: 200, swap: [1000, 250], load1: 1.25 }));
    foldMetrics(metrics('web-1', T0 + 10 * SEC, { cpu: 20.04, mem: 41, rx: 2000, tx: 300, procs: 201, swap: [1000, 250], load1: 0.75 }));
    foldMetrics(metrics('web-1', T0 + 20 * SEC, { cpu: 45.5, mem: 39, disk: 51, rx: 4000, tx: 500, procs: 202, swap: [1000, 260] }));
    foldMetrics(metrics('web-1', T0 + MIN, { cpu: 99.9, mem: 60, disk: null, rx: 0, tx: 0 }));

    // then raw rows hold per-mille integers, load x100, whole bytes/s and the root disk (disks[0]) only
    const d = dump();
    expect(d.metrics_nodes).toEqual([{ id: 1, node: 'web-1' }]);
    expect(d.metrics_raw).toEqual([
      { node_id: 1, ts: T0, cpu_pm: 100, mem_pm: 400, swap_pm: 250, disk_pm: 500, load1_x100: 125, rx: null, tx: null, procs: 200 },
      { node_id: 1, ts: T0 + 10 * SEC, cpu_pm: 200, mem_pm: 410, swap_pm: 250, disk_pm: 500, load1_x100: 75, rx: 2000, tx: 300, procs: 201 },
      { node_id: 1, ts: T0 + 20 * SEC, cpu_pm: 455, mem_pm: 390, swap_pm: 260, disk_pm: 510, load1_x100: 50, rx: 4000, tx: 500, procs: 202 },
      { node_id: 1, ts: T0 + MIN, cpu_pm: 999, mem_pm: 600, swap_pm: null, disk_pm: null, load1_x100: 50, rx: 0, tx: 0, procs: null },
    ]);
    // and each optional value counts its own samples
    const first = { node_id: 1, bucket: T0, n: 3, cpu_sum: 755, cpu_max: 455, mem_sum: 1200, mem_max: 410, swap_sum: 760, swap_n: 3, disk_sum: 1510, disk_n: 3, load1_sum: 250, rx_sum: 6000, tx_sum: 800, net_n: 2, procs_sum: 603, procs_n: 3 };
    expect(d.metrics_1m).toEqual([
      first,
      { node_id: 1, bucket: T0 + MIN, n: 1, cpu_sum: 999, cpu_max: 999, mem_sum: 600, mem_max: 600, swap_sum: 0, swap_n: 0, disk_sum: 0, disk_n: 0, load1_sum: 50, rx_sum: 0, tx_sum: 0, net_n: 1, procs_sum: 0, procs_n: 0 },
    ]);
    expect(d.metrics_1h).toEqual([{ ...first, n: 4, cpu_sum: 1754, cpu_max: 999, mem_sum: 1800, mem_max: 600, load1_sum: 300, net_n: 3 }]);

    // when read back as 1-minute points, averages are over the samples that had each value
    const h = metricsHistory(db, { node: 'web-1', from: T0, to: T0 + 2 * MIN, maxPoints: 3, now: T0 + 2 * MIN });
    expect(h.resolution).toBe('1m');
    expect(h.points[0]).toEqual({
      ts: T0, n: 3, cpu: 755 / 3 / 10, cpuMax: 45.5, mem: 40, memMax: 41, swap: 760 / 3 / 10,
      disk: 1510 / 3 / 10, load1: 250 / 3 / 100, rxBytesPerSec: 3000, txBytesPerSec: 400, processes: 201,
    });
    expect(h.points[1]).toMatchObject({ n: 1, swap: null, disk: null, processes: null, rxBytesPerSec: 0 });
  });

  it('changes nothing when the same snapshots are delivered again', () => {
    const { foldMetrics, dump } = given();
    const batch = [0, 10, 20, 70, 3600].map((s, i) => metrics(i % 2 === 0 ? 'a' : 'b', T0 + s * SEC, { cpu: i * 7 }));
    batch.forEach((m) => foldMetrics(m));
    const before = dump();
    // when the broker redelivers the batch (a reconnect re-sends the retained latest snapshot, QoS 1 may duplicate)
    batch.forEach((m) => foldMetrics(m, m.ts + 5 * SEC));
    expect(dump()).toEqual(before);
  });

  it('ignores other state messages', () => {
    const { fold, dump } = given();
    fold({ kind: 'status', node: 'a', value: { v: 1, node: 'a', state: 'online', session: 's', ts: T0 } }, T0);
    expect(Object.values(dump()).flat()).toEqual([]);
  });

  it('ignores a snapshot older than the raw horizon, whose raw row retention may already have removed', async () => {
    const { db, foldMetrics, dump } = given();
    const old = metrics('quiet', T0, { cpu: 50 });
    foldMetrics(old);
    // given the node went silent for three days and retention has run
    await runRetention(db, metricsRetentionRules(), T0 + 3 * DAY);
    const before = dump();
    expect(before.metrics_raw).toEqual([]);
    // when the projector reconnects and the broker hands it the node's retained snapshot again
    foldMetrics(old, T0 + 3 * DAY);
    // then the roll-ups do not count it twice
    expect(dump()).toEqual(before);
  });

  it('refuses an inconsistent retention policy', () => {
    expect(() => createMetricsHistoryProjection({ rawMs: 0, minuteMs: DAY, hourMs: null })).toThrow(RangeError);
    expect(() => metricsRetentionRules({ rawMs: 2 * DAY, minuteMs: DAY, hourMs: null })).toThrow(RangeError);
    expect(metricsRetentionRules({ ...DEFAULT_METRICS_RETENTION, hourMs: 400 * DAY }).map((r) => r.table)).toEqual(['metrics_raw', 'metrics_1m', 'metrics_1h']);
  });
});

describe('metrics history: queries', () => {
  // given one node for 41 days: a sample a minute, every 30 s over the last 3 days; retention run at the end
  const NOW = T0 + 41 * DAY;
  const history = given();
  beforeAll(async () => {
    history.foldAll(
      (function* () {
        for (let ts = T0; ts <= NOW; ts += ts < NOW - 3 * DAY ? MIN : 30 * SEC) yield metrics('db-1', ts, { cpu: (ts / MIN) % 100 });
      })(),
      0,
    );
    await runRetention(history.db, metricsRetentionRules(), NOW);
  });
  const query = (rangeMs: number, maxPoints?: number, to = NOW) =>
    metricsHistory(history.db, { node: 'db-1', from: to - rangeMs, to, now: NOW, ...(maxPoints !== undefined ? { maxPoints } : {}) });

  it('picks the finest resolution whose rows over the range fit maxPoints', () => {
    const pick = (rangeMs: number, maxPoints?: number) => {
      const h = query(rangeMs, maxPoints);
      return [h.resolution, h.bucketMs, h.points.length];
    };
    // 1 h: 121 raw samples (both ends inclusive)
    expect(pick(HOUR)).toEqual(['raw', null, 121]);
    // 6 h: 721 raw rows do not fit 500, 361 one-minute buckets do
    expect(pick(6 * HOUR)).toEqual(['1m', MIN, 361]);
    // 24 h: 2881 raw and 1441 minutes do not fit 500; 25 hourly buckets overlap the range
    expect(pick(DAY)).toEqual(['1h', HOUR, 25]);
    expect(pick(DAY, 1500)).toEqual(['1m', MIN, 1441]);
    expect(pick(DAY, 3000)).toEqual(['raw', null, 2881]);
    // 7 d: raw is not kept that long; 10 081 minutes do not fit 500
    expect(pick(7 * DAY)).toEqual(['1h', HOUR, 169]);
    expect(pick(7 * DAY, 10_000)).toEqual(['1h', HOUR, 169]);
    // 30 d: 721 hours do not fit 500, so hours are merged in pairs (exact: sums and counts add up)
    const month = query(30 * DAY);
    expect([month.resolution, month.bucketMs, month.points.length]).toEqual(['1h', 2 * HOUR, 361]);
    expect([month.points[0]?.n, month.points.at(-2)?.n]).toEqual([120, 240]);
  });

  it('answers ranges that straddle a retention horizon from the resolution that covers all of them', () => {
    // 3 days fit 10 000 raw points, but raw keeps 48 h: one-minute buckets cover the whole range
    const three = query(3 * DAY, 10_000);
    expect([three.resolution, three.points.length, three.points[0]?.ts]).toEqual(['1m', 3 * 1440 + 1, NOW - 3 * DAY]);
    // 40 days: minutes keep 30 days, so hours, from the first hour on
    const forty = query(40 * DAY, 1000);
    expect([forty.resolution, forty.bucketMs, forty.points.length, forty.points[0]?.ts]).toEqual(['1h', HOUR, 961, NOW - 40 * DAY]);
    // a range entirely older than 30 days still has its hours
    const old = query(DAY, 100, NOW - 35 * DAY);
    expect([old.resolution, old.points.length, old.points[0]?.n]).toEqual(['1h', 25, 60]);
  });

  it('returns no points for a node it has never seen', () => {
    expect(metricsHistory(history.db, { node: 'nobody', from: NOW - HOUR, to: NOW, now: NOW })).toEqual({ resolution: 'raw', bucketMs: null, points: [] });
  });

  it('refuses bad queries with a coded error naming the field', () => {
    const bad = (q: Partial<MetricsHistoryQuery>) => {
      try {
        metricsHistory(history.db, { node: 'db-1', from: NOW - HOUR, to: NOW, now: NOW, ...q } as MetricsHistoryQuery);
      } catch (err) {
        expect(err).toBeInstanceOf(MetricsQueryError);
        return [(err as MetricsQueryError).code, (err as MetricsQueryError).field];
      }
      return 'accepted';
    };
    expect(bad({ node: 'Web/1' })).toEqual(['METRICS_QUERY_INVALID', 'node']);
    expect(bad({ node: '' })).toEqual(['METRICS_QUERY_INVALID', 'node']);
    expect(bad({ node: 42 as unknown as string })).toEqual(['METRICS_QUERY_INVALID', 'node']);
    expect(bad({ from: NOW, to: NOW })).toEqual(['METRICS_QUERY_INVALID', 'to']);
    expect(bad({ from: NOW, to: NOW - HOUR })).toEqual(['METRICS_QUERY_INVALID', 'to']);
    expect(bad({ from: Number.NaN })).toEqual(['METRICS_QUERY_INVALID', 'from']);
    expect(bad({ from: -1 })).toEqual(['METRICS_QUERY_INVALID', 'from']);
    expect(bad({ maxPoints: 0 })).toEqual(['METRICS_QUERY_INVALID', 'maxPoints']);
    expect(bad({ maxPoints: 2.5 })).toEqual(['METRICS_QUERY_INVALID', 'maxPoints']);
    expect(bad({ maxPoints: 1_000_000 })).toEqual(['METRICS_QUERY_INVALID', 'maxPoints']);
    expect(bad({ maxPoints: 1 })).toBe('accepted');
  });
});

/**
 * Size bound (the issue's requirement): a month of a 20-node fleet at the agents' 10 s interval.
 *
 * Folding all 5.36 M snapshots (31 days) through the projection takes about 25 µs each here, over
 * two minutes, so the default run simulates the same end state in two phases, and the full run is
 * kept behind SITREP_METRICS_SIZE_FULL=1 (it measured the same size; see the report it prints):
 * - the last 49 h at full rate through the projection, with retention every 10 simulated minutes
 *   as the hub schedules it: the raw table grows to its 48 h horizon and is then trimmed, and the
 *   oldest 1-minute buckets pass their 30-day horizon and are trimmed, so deletes, freed pages and
 *   their reuse all happen as in production;
 * - the 29 days before that hold only roll-ups, since retention has removed their raw rows by the
 *   end of the month. They are inserted directly, minute by minute and node by node (the order the
 *   live projector writes them), copying real roll-up rows that the projection computed from
 *   full-rate samples of the same generator in a scratch database. Retention in that phase would
 *   delete nothing (nothing in it is past a horizon until the 49 h phase), so it is not run there.
 * The file is the production setup (WAL, synchronous NORMAL); batching the simulated messages in
 * one transaction per 10 minutes only saves fsyncs, the statements and page layout are the same.
 */
describe('metrics history: size bound', () => {
  const NODES = 20;
  const INTERVAL = 10 * SEC;
  const SPAN = 31 * DAY;
  const RETENTION_EVERY = 10 * MIN;
  const FULL = process.env.SITREP_METRICS_SIZE_FULL === '1';
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-metrics-size-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Upper bound of the file at the end of the month, computed from the record format, not measured. */
  function bound(): { bytes: number; rows: { metrics_raw: number; metrics_1m: number; metrics_1h: number } } {
    // Largest cell per row. A record is a header (its size, then one serial type byte per column)
    // and the values; integers take 1, 2, 3, 4 or 6 bytes by magnitude. Rates assumed under
    // 350 MB/s (a 1 Gb/s link is 125 MB/s); a cell adds a 1-byte payload size and a 2-byte pointer.
    // raw: header 11 + node_id 1 + ts 6 + four per-mille values 2 each + load 2 + rx 4 + tx 4 + procs 2
    const RAW_CELL = 11 + 1 + 6 + 4 * 2 + 2 + 4 + 4 + 2 + 3; // 41
    // 1m (n <= 6): header 18 + node_id 1 + bucket 6 + n 1 + cpu/mem sum+max 4 * 2 + swap 2+1 + disk 2+1
    //              + load1 3 + rx 4 + tx 4 + net_n 1 + procs 3+1
    const MINUTE_CELL = 18 + 1 + 6 + 1 + 4 * 2 + 3 + 3 + 3 + 4 + 4 + 1 + 4 + 3; // 59
    // 1h (n <= 360): header 18 + node_id 1 + bucket 6 + n 2 + cpu/mem sums 3 and maxima 2 + swap 3+2
    //              + disk 3+2 + load1 4 + rx 6 + tx 6 + net_n 2 + procs 4+2
    const HOUR_CELL = 18 + 1 + 6 + 2 + 2 * (3 + 2) + 5 + 5 + 4 + 6 + 6 + 2 + 6 + 3; // 74
    const rows = {
      // each horizon plus the retention period, by which a table can overshoot before a run
      metrics_raw: (NODES * (DEFAULT_METRICS_RETENTION.rawMs + RETENTION_EVERY)) / INTERVAL,
      metrics_1m: (NODES * (DEFAULT_METRICS_RETENTION.minuteMs + RETENTION_EVERY)) / MIN,
      metrics_1h: NODES * (SPAN / HOUR + 1),
    };
    const cells = rows.metrics_raw * RAW_CELL + rows.metrics_1m * MINUTE_CELL + rows.metrics_1h * HOUR_CELL;
    // B-tree leaves: a split leaves siblings about 3/4 full and they only fill up until the next one;
    // retention removes whole runs from the old end of each node's range, freeing whole pages. 2/3 is
    // the margin. Interior pages hold one ~17-byte divider per 4 KiB leaf (< 1 %, counted as 2 %);
    // 1 MiB for the schema, metrics_nodes and the pages the last retention run freed.
    return { bytes: Math.ceil((cells / (2 / 3)) * 1.02 + 1024 * 1024), rows };
  }

  /** Deterministic, plausible host metrics: busy-ish CPU, steady memory, bursty network. */
  function fleet(seed = 42) {
    let a = seed;
    const rand = () => {
      // mulberry32
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const node = (i: number) => `node-${String(i).padStart(2, '0')}`;
    const snapshot = (i: number, tick: number, net: boolean): Metrics => {
      const ts = tick + i * 397; // agents are not in phase
      return metrics(node(i), ts, {
        cpu: Math.min(100, 3 + 40 * rand() ** 2 + 5 * i),
        mem: 30 + 2 * i + 5 * rand(),
        disk: 40 + i + (ts - T0) / DAY / 10,
        load1: 4 * rand() ** 2,
        net,
        rx: 1e6 * rand() ** 3,
        tx: 1e5 * rand() ** 3,
        procs: 150 + 10 * i + Math.floor(20 * rand()),
        swap: [2e9, 2e8 * rand()],
      });
    };
    return { node, snapshot };
  }

  async function simulate(path: string, fullRateFrom: number) {
    const end = T0 + SPAN;
    const projection = createMetricsHistoryProjection();
    const rules = metricsRetentionRules();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(projection.ddl);
    const f = fleet();
    const timing = { rollupsOnly: 0, fullRate: 0, retention: 0 };

    // Phase 1: roll-ups only, [T0, fullRateFrom).
    let t = performance.now();
    if (fullRateFrom > T0) {
      const scratch = given(projection);
      for (let i = 0; i < NODES; i++) scratch.db.prepare('INSERT INTO metrics_nodes (id, node) VALUES (?, ?)').run(i + 1, f.node(i));
      for (let i = 0; i < NODES; i++) db.prepare('INSERT INTO metrics_nodes (id, node) VALUES (?, ?)').run(i + 1, f.node(i));
      scratch.foldAll(
        (function* () {
          for (let tick = T0; tick < T0 + HOUR; tick += INTERVAL) for (let i = 0; i < NODES; i++) yield f.snapshot(i, tick, tick > T0);
        })(),
      );
      const minutes = scratch.db.prepare('SELECT * FROM metrics_1m ORDER BY bucket, node_id').all() as Record<string, number>[];
      const hours = scratch.db.prepare('SELECT * FROM metrics_1h ORDER BY node_id').all() as Record<string, number>[];
      const cols = Object.keys(minutes[0] ?? {});
      const at = cols.indexOf('bucket');
      const insert = (table: string) => db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
      const insertMinute = insert('metrics_1m');
      const insertHour = insert('metrics_1h');
      const values = (rows: Record<string, number>[]) => rows.map((r) => cols.map((c) => r[c]!));
      const [minuteValues, hourValues] = [values(minutes), values(hours)];
      const shifted = (v: number[], bucket: number) => {
        const copy = v.slice();
        copy[at] = bucket;
        return copy;
      };
      const hourOf = db.transaction((start: number) => {
        for (const v of hourValues) insertHour.run(shifted(v, start));
        for (const v of minuteValues) insertMinute.run(shifted(v, start + v[at]! - T0));
      });
      for (let start = T0; start < fullRateFrom; start += HOUR) hourOf(start);
    }
    timing.rollupsOnly = performance.now() - t;

    // Phase 2: every snapshot through the projection, retention every 10 minutes as the hub runs it.
    for (let window = fullRateFrom; window < end; window += RETENTION_EVERY) {
      t = performance.now();
      const stop = Math.min(end, window + RETENTION_EVERY);
      given(projection, db).foldAll(
        (function* () {
          for (let tick = window; tick < stop; tick += INTERVAL) for (let i = 0; i < NODES; i++) yield f.snapshot(i, tick, tick > fullRateFrom);
        })(),
      );
      timing.fullRate += performance.now() - t;
      t = performance.now();
      const report = await runRetention(db, rules, stop);
      expect(report.complete).toBe(true);
      timing.retention += performance.now() - t;
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    const tables = Object.fromEntries(
      ['metrics_raw', 'metrics_1m', 'metrics_1h'].map((name) => {
        const bytes = db.prepare('SELECT sum(pgsize) FROM dbstat WHERE name = ?').pluck().get(name) as number;
        return [name, { rows: count(name), bytes }];
      }),
    );
    const freelist = db.pragma('freelist_count', { simple: true }) as number;
    const oldest = db.prepare('SELECT min(ts) FROM metrics_raw').pluck().get() as number;
    db.close();
    return { size: statSync(path).size, tables, freelist, timing, rawFrom: end - oldest };
  }

  const check = async (name: string, fullRateFrom: number) => {
    const started = performance.now();
    const r = await simulate(join(dir, `${name}.db`), fullRateFrom);
    const b = bound();
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `metrics size (${name}): ${NODES} nodes, ${SPAN / DAY} days at ${INTERVAL / SEC} s: file ${mb(r.size)}, bound ${mb(b.bytes)}; ` +
        Object.entries(r.tables).map(([t, v]) => `${t} ${v.rows} rows ${mb(v.bytes)} (${(v.bytes / v.rows).toFixed(1)} B/row)`).join(', ') +
        `; ${r.freelist} free pages; took ${s(performance.now() - started)} (roll-ups ${s(r.timing.rollupsOnly)}, ` +
        `projection ${s(r.timing.fullRate)}, retention ${s(r.timing.retention)})`,
    );
    // raw holds 48 h (plus at most one retention period), minutes 30 days, hours the whole month
    expect(r.rawFrom).toBeLessThanOrEqual(DEFAULT_METRICS_RETENTION.rawMs);
    expect(r.tables.metrics_raw!.rows).toBeLessThanOrEqual(b.rows.metrics_raw);
    expect(r.tables.metrics_1m!.rows).toBeLessThanOrEqual(b.rows.metrics_1m);
    expect(r.tables.metrics_1h!.rows).toBe(NODES * (SPAN / HOUR));
    expect(r.size).toBeLessThanOrEqual(b.bytes);
  };

  it.skipIf(FULL)('keeps a month of a 20-node fleet under the computed bound (last 49 h at full rate)', () => check('two-phase', T0 + SPAN - 49 * HOUR), 90_000);
  it.runIf(FULL)('keeps a month of a 20-node fleet under the computed bound (every snapshot)', () => check('full', T0), 900_000);
});
