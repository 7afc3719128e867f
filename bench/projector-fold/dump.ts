/**
 * "Rebuild equals live", at bench scale: every table a rebuild drops and refills, read in a total
 * order (all columns) and hashed row by row, so a million rows compare without being held in memory.
 */
import { createHash } from 'node:crypto';
import type { Db } from '@sitrep/projector';

export interface TableDigest {
  rows: number;
  sha256: string;
}

export type Digest = Record<string, TableDigest>;

export function digestTables(db: Db, tables: readonly string[]): Digest {
  const out: Digest = {};
  for (const table of tables) {
    const columns = (db.prepare(`PRAGMA table_info(${table})`).all() as unknown[]).length;
    const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
    const hash = createHash('sha256');
    let rows = 0;
    for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).raw().iterate()) {
      hash.update(JSON.stringify(row));
      hash.update('\n');
      rows++;
    }
    out[table] = { rows, sha256: hash.digest('hex') };
  }
  return out;
}

/**
 * Tables whose rows differ between two digests (empty: equal). `shared`: compare only the tables
 * both have (two projector versions, one with a read model the other lacks).
 */
export function differences(a: Digest, b: Digest, shared = false): string[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((n) => !shared || (n in a && n in b)).sort();
  return names
    .filter((n) => a[n]?.sha256 !== b[n]?.sha256)
    .map((n) => `${n}: ${a[n]?.rows ?? 'missing'} rows vs ${b[n]?.rows ?? 'missing'} rows${a[n]?.rows === b[n]?.rows ? ' (same count, different content)' : ''}`);
}
