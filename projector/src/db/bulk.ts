/**
 * Multi-row statements: one `INSERT … VALUES (…), (…), …` per ROWS_PER_STATEMENT rows instead of
 * one statement per row. Each better-sqlite3 call costs a JS/C round trip, a bind of every
 * parameter and a statement reset; a run of a thousand events pays that a few dozen times.
 */
import { sql } from './statements.js';
import type { Db } from '../projections/projection.js';

/** 64 rows of up to 11 columns stay far below SQLite's 32766 bound parameters. */
export const ROWS_PER_STATEMENT = 64;

/**
 * Run `head VALUES (?, …), … tail` for `rows` (each `columns` values), ROWS_PER_STATEMENT at a
 * time; `tail` is e.g. an ON CONFLICT clause.
 */
export function insertRows(db: Db, head: string, columns: number, rows: readonly unknown[][], tail = ''): void {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const n = Math.min(ROWS_PER_STATEMENT, rows.length - i);
    statement(db, head, columns, n, tail).run(values(rows, i, n, columns));
  }
}

/** Like insertRows, for a statement with RETURNING: every row it returns, as an array of values. */
export function insertRowsReturning<T extends unknown[]>(db: Db, head: string, columns: number, rows: readonly unknown[][], tail: string): T[] {
  const out: T[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const n = Math.min(ROWS_PER_STATEMENT, rows.length - i);
    for (const r of statement(db, head, columns, n, tail).raw().all(values(rows, i, n, columns)) as T[]) out.push(r);
  }
  return out;
}

/** rows[from .. from + n) as one flat list of parameters (Array.prototype.flat is slow in V8). */
function values(rows: readonly unknown[][], from: number, n: number, columns: number): unknown[] {
  const out = new Array<unknown>(n * columns);
  let k = 0;
  for (let i = from; i < from + n; i++) {
    const row = rows[i]!;
    for (let c = 0; c < columns; c++) out[k++] = row[c];
  }
  return out;
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
