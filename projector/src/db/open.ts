/** Opens the projector's SQLite file (WAL) and creates every projection's tables. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { alerts } from '../projections/alerts.js';
import { checks } from '../projections/checks.js';
import { commandAudit } from '../projections/commands.js';
import { deadLetters } from '../projections/dead-letters.js';
import { eventLog } from '../projections/event-log.js';
import { logLines } from '../projections/logs.js';
import { nodes } from '../projections/nodes.js';
import type { Db, Projection } from '../projections/projection.js';
import { serviceSamples } from '../projections/samples.js';
import { services } from '../projections/services.js';
import { transitions } from '../projections/transitions.js';
import { processGaveUp } from '../projections/process-gave-up.js';
import { metricsHistoryProjection } from '../projections/metrics-history.js';
import { notifyOutbox } from '../notify/outbox.js';
import { tableExists } from './statements.js';

/** Every read model, in the order their state folds run. */
export const PROJECTIONS: readonly Projection[] = [
  eventLog, nodes, services, serviceSamples, metricsHistoryProjection, transitions, processGaveUp, checks, commandAudit, logLines, alerts, deadLetters, notifyOutbox,
];

export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a power cut may lose the last commits but never corrupts; a process crash loses nothing.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.transaction(() => {
    for (const p of PROJECTIONS) {
      p.migrate?.(db);
      for (const name of p.logViews ?? []) {
        if (tableExists(db, name)) db.exec(`DROP TABLE ${name}`);
      }
      db.exec(p.ddl);
    }
  })();
  return db;
}
