/**
 * State samples (the seed's `service_check`): one row per service state report, kept 7 days by
 * retention. Health-check fields (port open, HTTP status, latency) arrive with the probes work.
 */
import { sql } from '../db/statements.js';
import type { RetentionRule } from '../retention/rule.js';
import type { Db, Projection } from './projection.js';

export const SAMPLES_MAX_AGE_MS = 7 * 86_400_000;

/** Expired samples picked by `service_samples_ts` and deleted by key: a run costs what it deletes. */
export const SAMPLES_RETENTION: RetentionRule = { table: 'service_samples', tsColumn: 'ts', maxAgeMs: SAMPLES_MAX_AGE_MS, keyBy: ['node', 'service', 'ts'] };

export const serviceSamples: Projection = {
  name: 'service-samples',
  ddl: `
    CREATE TABLE IF NOT EXISTS service_samples (
      node TEXT NOT NULL,
      service TEXT NOT NULL,
      ts INTEGER NOT NULL,
      state TEXT NOT NULL,
      port_open INTEGER,
      http_status INTEGER,
      latency_ms REAL,
      PRIMARY KEY (node, service, ts)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS service_samples_ts ON service_samples (ts);
  `,
  onState({ db }, msg) {
    if (msg.kind !== 'service' || msg.value === null) return;
    sql(db, 'INSERT INTO service_samples (node, service, ts, state) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(
      msg.node, msg.service, msg.value.ts, msg.value.state,
    );
  },
};

export function samplesOf(db: Db, q: { node: string; service: string; from: number; to: number; limit: number }): unknown[] {
  return db
    .prepare('SELECT ts, state, port_open, http_status, latency_ms FROM service_samples WHERE node = ? AND service = ? AND ts >= ? AND ts < ? ORDER BY ts DESC LIMIT ?')
    .all(q.node, q.service, q.from, q.to, q.limit);
}
