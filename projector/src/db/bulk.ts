/**
 * Multi-row statements: one `INSERT … VALUES (…), (…), …` per ROWS_PER_STATEMENT rows instead of
 * one statement per row. Each better-sqlite3 call costs a JS/C round trip, a bind of every
 * parameter and a statement reset; a run of a thousand events pays that a few dozen times. For
 * narrow rows (the hourly buckets, the timelines); the log's wide rows are cheaper one prepared
 * INSERT each (event-log.ts).
 */
import { sql } from './statements.js';
import type { Db } from '../projections/projection.js';

/** 64 rows of up to 11 columns stay far below SQLite's 32766 bound parameters. */
export const ROWS_PER_STATEMENT = 64;

/**
 * Run `head VALUES (?, …), … tail` for the rows in `values` (flat: row after row, `columns` values
 * each), ROWS_PER_STATEMENT rows at a time; `tail` is e.g. an ON CONFLICT clause.
 */
export function insertRows(db: Db, head: string, columns: number, values: readonly unknown[], tail = ''): void {
  const rows = values.length / columns;
  if (!Number.isInteger(rows)) throw new Error(`${values.length} values are not rows of ${columns}`);
  for (let i = 0; i < rows; i += ROWS_PER_STATEMENT) {
    const n = Math.min(ROWS_PER_STATEMENT, rows - i);
    statement(db, head, columns, n, tail).run(n === rows ? values : values.slice(i * columns, (i + n) * columns));
  }
}

/** SQL texts by shape, so a run builds none of them again. */
const texts = new Map<string, string>();

function statement(db: Db, head: string, columns: number, n: number, tail: string) {
  const shape = `${n}|${columns}|${head}|${tail}`;
  let text = texts.get(shape);
  if (text === undefined) {
    const tuple = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
    text = `${head} VALUES ${Array.from({ length: n }, () => tuple).join(', ')} ${tail}`;
    texts.set(shape, text);
  }
  return sql(db, text);
}
