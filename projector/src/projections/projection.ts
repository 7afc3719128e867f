/**
 * A projection is four things side by side: a name, its DDL, what it handles, and how it folds
 * (plus its queries, in the same file, so the writer and reader of a table never drift apart).
 */
import type { Database } from 'better-sqlite3';

export interface Projection {
  readonly name: string;
  /** Idempotent DDL (CREATE ... IF NOT EXISTS). */
  readonly ddl: string;
}

export type Db = Database;
