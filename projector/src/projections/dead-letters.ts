/**
 * Dead letters: every message the projector could not accept, with topic, reason and (the first
 * bytes of) the payload. Nothing invalid is dropped silently; nothing invalid bloats the file.
 */
import { sql } from '../db/statements.js';
import type { Db, Projection } from './projection.js';

/** How much of a rejected payload is kept: enough to see what it was. */
export const DEAD_LETTER_PAYLOAD_BYTES = 4096;
/** Dead letters are kept this long (retention), enough to notice and investigate a misbehaving client. */
export const DEAD_LETTERS_MAX_AGE_MS = 30 * 86_400_000;

export const deadLetters: Projection = {
  name: 'dead-letters',
  ddl: `
    CREATE TABLE IF NOT EXISTS dead_letters (
      id INTEGER PRIMARY KEY,
      received_at INTEGER NOT NULL,
      topic TEXT NOT NULL,
      reason TEXT NOT NULL,
      payload BLOB NOT NULL,
      payload_size INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS dead_letters_received_at ON dead_letters (received_at);
  `,
};

export interface DeadLetter {
  id: number;
  received_at: number;
  topic: string;
  reason: string;
  payload: Buffer;
  payload_size: number;
}

export function recordDeadLetter(db: Db, topic: string, reason: string, payload: Uint8Array, receivedAt: number): void {
  const kept = Buffer.from(payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES));
  sql(db, 'INSERT INTO dead_letters (received_at, topic, reason, payload, payload_size) VALUES (?, ?, ?, ?, ?)').run(
    receivedAt,
    topic.slice(0, 1024),
    reason.slice(0, 2048),
    kept,
    payload.byteLength,
  );
}

export function listDeadLetters(db: Db, limit = 100): DeadLetter[] {
  return sql(db, 'SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?').all(limit) as DeadLetter[];
}
