/**
 * Retention rules: which table loses which rows when. A rule is data (`{ table, tsColumn,
 * maxAgeMs }`), so a projection that keeps a time series adds its horizon as one more entry.
 * Compiling a rule prepares the statements that delete its expired rows in bounded chunks.
 */
import type { Db } from '../projections/projection.js';

export interface RetentionRule {
  /** The table to trim. Never `events`: the log is append-only (its triggers refuse deletes too). */
  readonly table: string;
  /** The column holding milliseconds since the epoch; a row expires when it is below `now - maxAgeMs`. */
  readonly tsColumn: string;
  /** How long rows are kept, ms. */
  readonly maxAgeMs: number;
  /**
   * For a WITHOUT ROWID table whose primary key is `(...partitionBy, tsColumn)`, e.g. `['node_id']`:
   * retention walks the partitions (one index seek each) and deletes each one's oldest rows by key
   * range, so no extra index on `tsColumn` is needed. Omitted (and no `keyBy`): the table has a rowid and expired
   * rows are picked by `rowid IN (SELECT rowid ... WHERE tsColumn < cutoff LIMIT n)`; give such a
   * table an index on `tsColumn`, or keep it small (without one, each chunk scans until it has n rows).
   */
  readonly partitionBy?: readonly string[];
  /**
   * For a WITHOUT ROWID table with its primary key `keyBy` and an index on `tsColumn`: expired rows
   * are picked oldest first through that index and deleted by key, so a run costs what it deletes.
   * Walking partitions costs a seek per partition every run even when nothing has expired, which
   * for service_samples (a partition per service of every node) was ~100,000 seeks at 5,000 nodes.
   */
  readonly keyBy?: readonly string[];
}

/** A list of rules; `runRetention` applies them in order. */
export type RetentionPolicy = readonly RetentionRule[];

export type RetentionErrorCode = 'RETENTION_RULE_INVALID' | 'RETENTION_TABLE_PROTECTED' | 'RETENTION_RULE_UNUSABLE';

export class RetentionRuleError extends Error {
  constructor(
    readonly code: RetentionErrorCode,
    readonly table: string,
    reason: string,
  ) {
    super(`retention rule for ${JSON.stringify(table.slice(0, 80))}: ${reason}`);
    this.name = 'RetentionRuleError';
  }
}

/** Tables no rule may name. */
const PROTECTED_TABLES: ReadonlySet<string> = new Set(['events']);
/** Names are interpolated into SQL, so only plain identifiers pass. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Throws a coded error when a rule is malformed or names a protected table. */
export function checkRule(rule: RetentionRule): void {
  const names = [rule.table, rule.tsColumn, ...(rule.partitionBy ?? []), ...(rule.keyBy ?? [])];
  const bad = names.find((n) => !IDENTIFIER.test(n));
  if (bad !== undefined) throw new RetentionRuleError('RETENTION_RULE_INVALID', rule.table, `${JSON.stringify(bad.slice(0, 80))} is not a plain identifier`);
  if (PROTECTED_TABLES.has(rule.table.toLowerCase())) {
    throw new RetentionRuleError('RETENTION_TABLE_PROTECTED', rule.table, 'the event log is append-only and never trimmed');
  }
  if (!Number.isSafeInteger(rule.maxAgeMs) || rule.maxAgeMs <= 0) {
    throw new RetentionRuleError('RETENTION_RULE_INVALID', rule.table, `maxAgeMs must be a positive integer, got ${rule.maxAgeMs}`);
  }
  if (rule.partitionBy !== undefined && rule.partitionBy.length === 0) {
    throw new RetentionRuleError('RETENTION_RULE_INVALID', rule.table, 'partitionBy, when given, names at least one column');
  }
  if (rule.keyBy !== undefined && (rule.keyBy.length === 0 || rule.partitionBy !== undefined)) {
    throw new RetentionRuleError('RETENTION_RULE_INVALID', rule.table, 'keyBy names at least one column, and not together with partitionBy');
  }
}

type Partition = readonly unknown[];

/** `keyBy` must be the table's whole primary key: a part of it would delete rows that share it but have not expired. */
function checkPrimaryKey(db: Db, table: string, keyBy: readonly string[]): void {
  const pk = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; pk: number }[])
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  if (pk.join(',') !== keyBy.join(',')) throw new Error(`keyBy (${keyBy.join(', ')}) is not the primary key (${pk.join(', ') || 'none'})`);
}

/** A rule bound to a database: walk partitions, delete one bounded chunk at a time. */
export interface CompiledRule {
  readonly rule: RetentionRule;
  /** The partitions in key order: `[]` once for an unpartitioned table. */
  partitions(): Iterable<Partition>;
  /** Deletes at most `limit` rows of `partition` older than `cutoff`, in one transaction; returns how many. */
  deleteChunk(partition: Partition, cutoff: number, limit: number): number;
}

export function compileRule(db: Db, rule: RetentionRule): CompiledRule {
  checkRule(rule);
  const { table: t, tsColumn: ts } = rule;
  try {
    if (rule.partitionBy === undefined) {
      // By key through the time index (keyBy; SQLite seeks each picked key: retention.unit.test.ts),
      // else by rowid.
      const key = rule.keyBy?.join(', ') ?? 'rowid';
      if (rule.keyBy !== undefined) checkPrimaryKey(db, t, rule.keyBy);
      const del = db.prepare(`DELETE FROM ${t} WHERE (${key}) IN (SELECT ${key} FROM ${t} WHERE ${ts} < ?${rule.keyBy === undefined ? '' : ` ORDER BY ${ts}`} LIMIT ?)`);
      return {
        rule,
        partitions: () => [[]],
        deleteChunk: (_p, cutoff, limit) => db.transaction(() => del.run(cutoff, limit).changes)(),
      };
    }
    const cols = rule.partitionBy.join(', ');
    const marks = rule.partitionBy.map(() => '?').join(', ');
    const eq = rule.partitionBy.map((c) => `${c} = ?`).join(' AND ');
    // A loose index scan: each step seeks past the previous partition instead of reading its rows.
    const first = db.prepare(`SELECT ${cols} FROM ${t} ORDER BY ${cols} LIMIT 1`).raw();
    const next = db.prepare(`SELECT ${cols} FROM ${t} WHERE (${cols}) > (${marks}) ORDER BY ${cols} LIMIT 1`).raw();
    const del = db.prepare(
      `DELETE FROM ${t} WHERE ${eq} AND ${ts} IN (SELECT ${ts} FROM ${t} WHERE ${eq} AND ${ts} < ? ORDER BY ${ts} LIMIT ?)`,
    );
    return {
      rule,
      *partitions() {
        let p = first.get() as unknown[] | undefined;
        while (p !== undefined) {
          yield p;
          p = next.get(...p) as unknown[] | undefined;
        }
      },
      deleteChunk: (p, cutoff, limit) => db.transaction(() => del.run(...p, ...p, cutoff, limit).changes)(),
    };
  } catch (err) {
    // Preparing fails when the table or a column is missing, or a partitioned rule names a rowid-less table wrongly.
    throw new RetentionRuleError('RETENTION_RULE_UNUSABLE', t, err instanceof Error ? err.message : String(err));
  }
}
