/**
 * `--sql-stats`: how many SQLite calls a phase makes and what each kind costs. Wraps
 * better-sqlite3's `Database#prepare`, `Database#exec` and `Statement#run/get/all/iterate` for the
 * duration of one phase and adds up calls and time per SQL text (whitespace collapsed). The timer
 * adds about 0.1 µs per call; the phase's own rate is slower for it, so this is a diagnosis mode, not
 * a measurement of the rates (they come from a run without it).
 */
import type { Db } from '@sitrep/projector';

export interface SqlCall {
  sql: string;
  method: string;
  calls: number;
  ms: number;
  /** Per event of the phase. */
  perEvent: number;
  usPerCall: number;
}

export interface SqlStats {
  events: number;
  totalMs: number;
  callsPerEvent: number;
  usPerEvent: number;
  top: SqlCall[];
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;

const squash = (sql: string) => sql.replace(/\s+/g, ' ').trim();

/** Instrument every connection for the duration of `phase`; `events` is how many it folds. */
export function withSqlStats<T>(db: Db, phase: () => T, eventsOf: (value: T) => number): { value: T; stats: SqlStats } {
  const dbProto = Object.getPrototypeOf(db) as Record<string, Fn>;
  const stmtProto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, Fn>;
  const totals = new Map<string, { sql: string; method: string; calls: number; ms: number }>();
  const restore: (() => void)[] = [];
  const wrap = (proto: Record<string, Fn>, method: string, sqlOf: (self: unknown, args: unknown[]) => string) => {
    const original = proto[method]!;
    proto[method] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const sql = sqlOf(this, args);
        const key = `${method} ${sql}`;
        const e = totals.get(key) ?? { sql, method, calls: 0, ms: 0 };
        e.calls++;
        e.ms += performance.now() - t0;
        totals.set(key, e);
      }
    };
    restore.push(() => (proto[method] = original));
  };
  wrap(dbProto, 'prepare', (_, args) => squash(String(args[0])));
  wrap(dbProto, 'exec', (_, args) => squash(String(args[0])));
  for (const m of ['run', 'get', 'all', 'iterate']) wrap(stmtProto, m, (self) => squash((self as { source: string }).source));
  let value: T;
  try {
    value = phase();
  } finally {
    for (const r of restore) r();
  }
  const events = Math.max(1, eventsOf(value));
  const all = [...totals.values()];
  const totalMs = all.reduce((s, e) => s + e.ms, 0);
  const calls = all.reduce((s, e) => s + e.calls, 0);
  return {
    value,
    stats: {
      events,
      totalMs: Math.round(totalMs),
      callsPerEvent: Math.round((100 * calls) / events) / 100,
      usPerEvent: Math.round((1000 * 10 * totalMs) / events) / 10,
      top: all
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 20)
        .map((e) => ({
          ...e,
          sql: e.sql.length > 110 ? `${e.sql.slice(0, 107)}...` : e.sql,
          ms: Math.round(e.ms),
          perEvent: Math.round((100 * e.calls) / events) / 100,
          usPerCall: Math.round((100 * 1000 * e.ms) / e.calls) / 100,
        })),
    },
  };
}
