/**
 * The `metrics-history` read model: host metrics over time per node, as raw samples plus 1-minute
 * and 1-hour roll-ups kept up to date sample by sample, so a chart over a month reads at most a
 * few hundred pre-aggregated rows. Folds retained `metrics` state messages (not events: nothing
 * here is rebuilt from the log).
 *
 * Storage is the largest in the database, so rows are compact: a node is a small integer
 * (`metrics_nodes`), percentages are whole per mille (12.5 % is 125), load is ×100, rates are
 * whole bytes/s. Small integers take 1 to 3 bytes in a SQLite record where a REAL takes 8, and
 * integer sums keep roll-up averages exact. Tables are WITHOUT ROWID, clustered on
 * (node_id, ts|bucket): that key is the only index the queries and retention need.
 */
import { idProblem, type Metrics } from '@sitrep/schemas';
import type { RetentionRule } from '../retention/rule.js';
import type { Db, Projection } from './projection.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** How long each resolution is kept, ms. */
export interface MetricsRetentionPolicy {
  /** Raw samples; default 48 h. A sample older than this on arrival is ignored (see `fold`). */
  readonly rawMs: number;
  /** 1-minute roll-ups; default 30 days. */
  readonly minuteMs: number;
  /** 1-hour roll-ups; null (default) keeps them forever. */
  readonly hourMs: number | null;
}

export const DEFAULT_METRICS_RETENTION: MetricsRetentionPolicy = { rawMs: 48 * HOUR, minuteMs: 30 * 24 * HOUR, hourMs: null };

const rollupColumns = `
    node_id INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    cpu_sum INTEGER NOT NULL, cpu_max INTEGER NOT NULL,
    mem_sum INTEGER NOT NULL, mem_max INTEGER NOT NULL,
    swap_sum INTEGER NOT NULL, swap_n INTEGER NOT NULL,
    disk_sum INTEGER NOT NULL, disk_n INTEGER NOT NULL,
    load1_sum INTEGER NOT NULL,
    rx_sum INTEGER NOT NULL, tx_sum INTEGER NOT NULL, net_n INTEGER NOT NULL,
    procs_sum INTEGER NOT NULL, procs_n INTEGER NOT NULL,
    PRIMARY KEY (node_id, bucket)`;

// `bucket` is the bucket's start, ms. Optional values count their own samples (`*_n`): absent
// values add 0 to the sum and 0 to the count, so each average is over the samples that had it.
const DDL = `
  CREATE TABLE IF NOT EXISTS metrics_nodes (id INTEGER PRIMARY KEY, node TEXT NOT NULL UNIQUE);
  CREATE TABLE IF NOT EXISTS metrics_raw (
    node_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    cpu_pm INTEGER NOT NULL,
    mem_pm INTEGER NOT NULL,
    swap_pm INTEGER,
    disk_pm INTEGER,
    load1_x100 INTEGER NOT NULL,
    rx INTEGER,
    tx INTEGER,
    procs INTEGER,
    PRIMARY KEY (node_id, ts)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS metrics_1m (${rollupColumns}) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS metrics_1h (${rollupColumns}) WITHOUT ROWID;
`;

/** One snapshot as stored: the columns of `metrics_raw` without the node. */
export interface StoredSample {
  ts: number;
  cpu_pm: number;
  mem_pm: number;
  swap_pm: number | null;
  disk_pm: number | null;
  load1_x100: number;
  rx: number | null;
  tx: number | null;
  procs: number | null;
}

const pm = (percent: number) => Math.round(percent * 10);

export function toStoredSample(m: Metrics): StoredSample {
  const { swapTotal, swapUsed } = m.memory;
  const root = m.disks[0];
  return {
    ts: m.ts,
    cpu_pm: pm(m.cpu.percent),
    mem_pm: pm(m.memory.percent),
    swap_pm: swapTotal !== undefined && swapTotal > 0 && swapUsed !== undefined ? pm(Math.min(100, (100 * swapUsed) / swapTotal)) : null,
    disk_pm: root === undefined ? null : pm(root.percent),
    load1_x100: Math.round(m.load[0] * 100),
    rx: m.network === undefined ? null : Math.round(m.network.rxBytesPerSec),
    tx: m.network === undefined ? null : Math.round(m.network.txBytesPerSec),
    procs: m.processes ?? null,
  };
}

const upsertRollup = (table: string) => `
  INSERT INTO ${table} (node_id, bucket, n, cpu_sum, cpu_max, mem_sum, mem_max, swap_sum, swap_n, disk_sum, disk_n,
                        load1_sum, rx_sum, tx_sum, net_n, procs_sum, procs_n)
  VALUES (@node_id, @bucket, 1, @cpu_pm, @cpu_pm, @mem_pm, @mem_pm, coalesce(@swap_pm, 0), @swap_pm IS NOT NULL,
          coalesce(@disk_pm, 0), @disk_pm IS NOT NULL, @load1_x100, coalesce(@rx, 0), coalesce(@tx, 0), @rx IS NOT NULL,
          coalesce(@procs, 0), @procs IS NOT NULL)
  ON CONFLICT (node_id, bucket) DO UPDATE SET
    n = n + 1,
    cpu_sum = cpu_sum + excluded.cpu_sum, cpu_max = max(cpu_max, excluded.cpu_max),
    mem_sum = mem_sum + excluded.mem_sum, mem_max = max(mem_max, excluded.mem_max),
    swap_sum = swap_sum + excluded.swap_sum, swap_n = swap_n + excluded.swap_n,
    disk_sum = disk_sum + excluded.disk_sum, disk_n = disk_n + excluded.disk_n,
    load1_sum = load1_sum + excluded.load1_sum,
    rx_sum = rx_sum + excluded.rx_sum, tx_sum = tx_sum + excluded.tx_sum, net_n = net_n + excluded.net_n,
    procs_sum = procs_sum + excluded.procs_sum, procs_n = procs_n + excluded.procs_n`;

function prepareFold(db: Db) {
  const nodeId = db.prepare('SELECT id FROM metrics_nodes WHERE node = ?').pluck();
  const addNode = db.prepare('INSERT INTO metrics_nodes (node) VALUES (?) RETURNING id').pluck();
  const raw = db.prepare(`
    INSERT INTO metrics_raw (node_id, ts, cpu_pm, mem_pm, swap_pm, disk_pm, load1_x100, rx, tx, procs)
    VALUES (@node_id, @ts, @cpu_pm, @mem_pm, @swap_pm, @disk_pm, @load1_x100, @rx, @tx, @procs)
    ON CONFLICT (node_id, ts) DO NOTHING`);
  const minute = db.prepare(upsertRollup('metrics_1m'));
  const hour = db.prepare(upsertRollup('metrics_1h'));
  return { nodeId, addNode, raw, minute, hour };
}

/**
 * Folds one snapshot; true when it was new. Idempotent: the raw key (node, ts) admits a snapshot
 * once, and only a snapshot that was admitted is added to the roll-ups. A snapshot older than the
 * raw horizon is ignored, because its raw row may already be gone and could no longer stop a
 * second count: that is what a retained message of a node silent for days is on reconnect.
 */
function fold(s: ReturnType<typeof prepareFold>, node: string, m: Metrics, now: number, policy: MetricsRetentionPolicy): boolean {
  if (m.ts < now - policy.rawMs) return false;
  const node_id = (s.nodeId.get(node) ?? s.addNode.get(node)) as number;
  const row = { node_id, ...toStoredSample(m) };
  if (s.raw.run(row).changes === 0) return false;
  s.minute.run({ ...row, bucket: m.ts - (m.ts % MINUTE) });
  s.hour.run({ ...row, bucket: m.ts - (m.ts % HOUR) });
  return true;
}

function checkPolicy(p: MetricsRetentionPolicy): void {
  const ok = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (!ok(p.rawMs) || !ok(p.minuteMs) || (p.hourMs !== null && !ok(p.hourMs)) || p.rawMs > p.minuteMs || (p.hourMs !== null && p.minuteMs > p.hourMs)) {
    throw new RangeError(`metrics retention must be positive ms with raw <= 1m <= 1h: ${JSON.stringify(p)}`);
  }
}

/** The projection; give it the same policy as `metricsRetentionRules` (the default for both). */
export function createMetricsHistoryProjection(policy: MetricsRetentionPolicy = DEFAULT_METRICS_RETENTION): Projection {
  checkPolicy(policy);
  const statements = new WeakMap<Db, ReturnType<typeof prepareFold>>();
  return {
    name: 'metrics-history',
    ddl: DDL,
    onState(ctx, msg) {
      if (msg.kind !== 'metrics') return;
      let s = statements.get(ctx.db);
      if (s === undefined) statements.set(ctx.db, (s = prepareFold(ctx.db)));
      fold(s, msg.node, msg.value, ctx.now, policy);
    },
  };
}

export const metricsHistoryProjection = createMetricsHistoryProjection();

/** Retention entries for these tables (1-hour roll-ups only when the policy gives them an age). */
export function metricsRetentionRules(policy: MetricsRetentionPolicy = DEFAULT_METRICS_RETENTION): RetentionRule[] {
  checkPolicy(policy);
  const rules: RetentionRule[] = [
    { table: 'metrics_raw', tsColumn: 'ts', maxAgeMs: policy.rawMs, partitionBy: ['node_id'] },
    { table: 'metrics_1m', tsColumn: 'bucket', maxAgeMs: policy.minuteMs, partitionBy: ['node_id'] },
  ];
  if (policy.hourMs !== null) rules.push({ table: 'metrics_1h', tsColumn: 'bucket', maxAgeMs: policy.hourMs, partitionBy: ['node_id'] });
  return rules;
}

// ---------------------------------------------------------------------------------------------
// Queries

export type MetricsResolution = 'raw' | '1m' | '1h';

/** One point of a series: a raw sample, or the aggregate of a bucket starting at `ts`. */
export interface MetricsPoint {
  ts: number;
  /** Samples behind this point (1 for raw). */
  n: number;
  cpu: number;
  cpuMax: number;
  mem: number;
  memMax: number;
  swap: number | null;
  disk: number | null;
  load1: number;
  rxBytesPerSec: number | null;
  txBytesPerSec: number | null;
  processes: number | null;
}

export interface MetricsHistory {
  resolution: MetricsResolution;
  /** Width of each point's bucket, ms: null for raw, 60 000 for 1m, a multiple of an hour for 1h. */
  bucketMs: number | null;
  points: MetricsPoint[];
}

export interface MetricsHistoryQuery {
  node: string;
  /** Inclusive range, ms since the epoch. */
  from: number;
  to: number;
  /** Most points wanted; default 500, at most 10 000. */
  maxPoints?: number;
  /** Wall clock, ms; decides which resolutions are still retained over the range. Default Date.now(). */
  now?: number;
  /** The policy retention runs with; default DEFAULT_METRICS_RETENTION. */
  policy?: MetricsRetentionPolicy;
}

export class MetricsQueryError extends Error {
  readonly code = 'METRICS_QUERY_INVALID';
  constructor(
    readonly field: 'node' | 'from' | 'to' | 'maxPoints' | 'now',
    reason: string,
  ) {
    super(`bad metrics query: ${field} ${reason}`);
    this.name = 'MetricsQueryError';
  }
}

export const MAX_POINTS_LIMIT = 10_000;

/**
 * The finest series over [from, to] with at most maxPoints points: raw, else 1m, else 1h. A
 * resolution is a candidate only when the whole range is inside its retention horizon at `now`
 * (a range that starts before it would come back with its older part missing), and when it has at
 * most maxPoints rows there (counted with LIMIT maxPoints + 1, so the check never reads more).
 * Roll-up buckets overlapping the range count, including one that starts before `from`. When even
 * the hourly rows are too many, consecutive hours are merged (sums and counts, so still exact)
 * into buckets of k hours counted from the hour of `from`. Points come in time order.
 */
export function metricsHistory(db: Db, q: MetricsHistoryQuery): MetricsHistory {
  const { from, to } = q;
  const maxPoints = q.maxPoints ?? 500;
  const now = q.now ?? Date.now();
  const policy = q.policy ?? DEFAULT_METRICS_RETENTION;
  const problem = typeof q.node === 'string' ? idProblem('node', q.node) : 'is not a string';
  if (problem !== null) throw new MetricsQueryError('node', problem);
  if (!Number.isSafeInteger(from) || from < 0) throw new MetricsQueryError('from', 'must be a non-negative integer (ms)');
  if (!Number.isSafeInteger(to) || to <= from) throw new MetricsQueryError('to', 'must be an integer (ms) after from');
  if (!Number.isSafeInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_POINTS_LIMIT) {
    throw new MetricsQueryError('maxPoints', `must be an integer from 1 to ${MAX_POINTS_LIMIT}`);
  }
  if (!Number.isSafeInteger(now)) throw new MetricsQueryError('now', 'must be an integer (ms)');

  const nodeId = db.prepare('SELECT id FROM metrics_nodes WHERE node = ?').pluck().get(q.node) as number | undefined;
  const fits = (table: string, col: string, lo: number) =>
    nodeId === undefined ||
    (db
      .prepare(`SELECT count(*) FROM (SELECT 1 FROM ${table} WHERE node_id = ? AND ${col} BETWEEN ? AND ? LIMIT ?)`)
      .pluck()
      .get(nodeId, lo, to, maxPoints + 1) as number) <= maxPoints;

  if (from >= now - policy.rawMs && fits('metrics_raw', 'ts', from)) {
    return { resolution: 'raw', bucketMs: null, points: nodeId === undefined ? [] : rawPoints(db, nodeId, from, to) };
  }
  const fromMinute = from - (from % MINUTE);
  if (from >= now - policy.minuteMs && fits('metrics_1m', 'bucket', fromMinute)) {
    return { resolution: '1m', bucketMs: MINUTE, points: nodeId === undefined ? [] : rollupPoints(db, 'metrics_1m', nodeId, fromMinute, to, MINUTE) };
  }
  const fromHour = from - (from % HOUR);
  const hours = Math.floor(to / HOUR) - fromHour / HOUR + 1;
  const bucketMs = Math.ceil(hours / maxPoints) * HOUR;
  return { resolution: '1h', bucketMs, points: nodeId === undefined ? [] : rollupPoints(db, 'metrics_1h', nodeId, fromHour, to, bucketMs) };
}

function rawPoints(db: Db, nodeId: number, from: number, to: number): MetricsPoint[] {
  const rows = db.prepare('SELECT * FROM metrics_raw WHERE node_id = ? AND ts BETWEEN ? AND ? ORDER BY ts').all(nodeId, from, to) as StoredSample[];
  return rows.map((r) => ({
    ts: r.ts,
    n: 1,
    cpu: r.cpu_pm / 10,
    cpuMax: r.cpu_pm / 10,
    mem: r.mem_pm / 10,
    memMax: r.mem_pm / 10,
    swap: r.swap_pm === null ? null : r.swap_pm / 10,
    disk: r.disk_pm === null ? null : r.disk_pm / 10,
    load1: r.load1_x100 / 100,
    rxBytesPerSec: r.rx,
    txBytesPerSec: r.tx,
    processes: r.procs,
  }));
}

interface RollupRow {
  ts: number; n: number; cpu_sum: number; cpu_max: number; mem_sum: number; mem_max: number; swap_sum: number; swap_n: number;
  disk_sum: number; disk_n: number; load1_sum: number; rx_sum: number; tx_sum: number; net_n: number; procs_sum: number; procs_n: number;
}

function rollupPoints(db: Db, table: string, nodeId: number, start: number, to: number, width: number): MetricsPoint[] {
  // better-sqlite3 binds JS numbers as REAL, hence the CAST: bucket k of `width` ms counted from `start`.
  const rows = db
    .prepare(
      `SELECT @start + CAST((bucket - @start) / @width AS INTEGER) * @width AS ts, sum(n) AS n, sum(cpu_sum) AS cpu_sum, max(cpu_max) AS cpu_max,
         sum(mem_sum) AS mem_sum, max(mem_max) AS mem_max, sum(swap_sum) AS swap_sum, sum(swap_n) AS swap_n,
         sum(disk_sum) AS disk_sum, sum(disk_n) AS disk_n, sum(load1_sum) AS load1_sum, sum(rx_sum) AS rx_sum,
         sum(tx_sum) AS tx_sum, sum(net_n) AS net_n, sum(procs_sum) AS procs_sum, sum(procs_n) AS procs_n
       FROM ${table} WHERE node_id = @nodeId AND bucket BETWEEN @start AND @to GROUP BY 1 ORDER BY 1`,
    )
    .all({ start, width, nodeId, to }) as RollupRow[];
  const avg = (sum: number, n: number, scale: number) => (n === 0 ? null : sum / n / scale);
  return rows.map((r) => ({
    ts: r.ts,
    n: r.n,
    cpu: r.cpu_sum / r.n / 10,
    cpuMax: r.cpu_max / 10,
    mem: r.mem_sum / r.n / 10,
    memMax: r.mem_max / 10,
    swap: avg(r.swap_sum, r.swap_n, 10),
    disk: avg(r.disk_sum, r.disk_n, 10),
    load1: r.load1_sum / r.n / 100,
    rxBytesPerSec: avg(r.rx_sum, r.net_n, 1),
    txBytesPerSec: avg(r.tx_sum, r.net_n, 1),
    processes: avg(r.procs_sum, r.procs_n, 1),
  }));
}
