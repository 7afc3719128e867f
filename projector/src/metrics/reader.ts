/**
 * A read-only connection to the projector's database for `/metrics`, for a process or thread
 * other than the projector's (the hub serves /metrics from its main thread while the projector
 * runs in a worker). WAL lets it read while the projector writes.
 */
import Database from 'better-sqlite3';
import type { Db } from '../projections/projection.js';

export function openMetricsReader(path: string): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}
