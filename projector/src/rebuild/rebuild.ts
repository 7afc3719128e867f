/**
 * `sitrep projector rebuild`: drop every read model derived from the log and fold the log again,
 * through the same folder live folding uses, so the rows come out the same. Runs in chunks of
 * CHUNK events per transaction, reporting progress after each.
 */
import { forgetStatements } from '../db/statements.js';
import { createFolder } from '../fold/folder.js';
import { eventCount, eventsAfter } from '../projections/event-log.js';
import type { Db, Projection } from '../projections/projection.js';

const CHUNK = 20_000;

export interface RebuildProgress {
  done: number;
  total: number;
  elapsedMs: number;
}

export function rebuildTables(projections: readonly Projection[]): string[] {
  return projections.flatMap((p) => p.rebuildTables ?? []);
}

export function rebuild(db: Db, projections: readonly Projection[], onProgress: (p: RebuildProgress) => void = () => undefined): RebuildProgress {
  const started = performance.now();
  const total = eventCount(db);
  db.transaction(() => {
    for (const table of rebuildTables(projections)) db.exec(`DROP TABLE IF EXISTS ${table}`);
    for (const p of projections) if ((p.rebuildTables?.length ?? 0) > 0) db.exec(p.ddl);
  })();
  forgetStatements(db);
  const folder = createFolder(db, projections);
  let done = 0;
  let lastId = 0;
  const chunk = db.transaction(() => {
    const batch = eventsAfter(db, lastId, CHUNK);
    // The fold's clock is the time each event was received, as it was live.
    for (const e of batch) folder.fold(e, e.receivedAt);
    if (batch.length > 0) lastId = batch[batch.length - 1]!.id;
    return batch.length;
  });
  for (let n = chunk(); n > 0; n = chunk()) {
    done += n;
    onProgress({ done, total, elapsedMs: performance.now() - started });
  }
  const result = { done, total, elapsedMs: performance.now() - started };
  onProgress(result);
  return result;
}
