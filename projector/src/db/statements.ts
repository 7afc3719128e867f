/**
 * Prepared statements, cached per database and SQL text. better-sqlite3 caches nothing: a
 * `db.prepare` in a fold compiles the SQL again for every event, which dominated folding time.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../projections/projection.js';

const caches = new WeakMap<Db, Map<string, Statement>>();

export function sql(db: Db, text: string): Statement {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new Map();
    caches.set(db, cache);
  }
  let stmt = cache.get(text);
  if (stmt === undefined) {
    stmt = db.prepare(text);
    cache.set(text, stmt);
  }
  return stmt;
}

/** Forget the statements of `db` (after its schema changed, e.g. a rebuild dropped tables). */
export function forgetStatements(db: Db): void {
  caches.delete(db);
}

/** Whether `db` has a table of this name (migrations ask before moving an old table's rows). */
export function tableExists(db: Db, name: string): boolean {
  return sql(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
