/**
 * The command audit log: every CommandCompleted event (who, what, when, outcome), as a view over
 * the log served by the log's type-and-time index, not a copy (see transitions.ts for why).
 */
import { historyOf, logViewDdl, type LogView } from './log-views.js';
import type { Db, Projection } from './projection.js';

export const COMMAND_AUDIT: LogView = {
  name: 'command_audit',
  type: 'CommandCompleted',
  columns: `events.id AS event_id, events.node, events.ts, events.data ->> '$.id' AS command_id, events.data ->> '$.action' AS action,
    events.data ->> '$.target' AS target, events.data ->> '$.by' AS by, events.data ->> '$.outcome' AS outcome,
    events.data ->> '$.message' AS message, events.data ->> '$.durationMs' AS duration_ms`,
};

export const commandAudit: Projection = {
  name: 'command-audit',
  ddl: `
    ${logViewDdl(COMMAND_AUDIT)}
  `,
  logViews: [COMMAND_AUDIT.name],
};

export function commandHistory(db: Db, q: { node?: string | undefined; from: number; to: number; limit: number }): unknown[] {
  return historyOf(db, COMMAND_AUDIT, q);
}
