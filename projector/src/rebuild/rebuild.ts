/**
 * `sitrep projector rebuild`: drop every read model derived from the log and fold the log again,
 * through the same folder live folding uses, so the rows come out the same. Runs in chunks of
 * CHUNK events, each folded as one run in one transaction, reporting progress after each;
 * projections with a rebuild session keep their state across chunks and write it at the end. The
 * secondary indexes the projections declare (`rebuildIndexes`) are dropped first and built once
 * at the end, by the projections' own DDL.
 */
import { forgetStatements } from '../db/statements.js';
import { createFolder } from '../fold/folder.js';
import { eventCount, eventsAfter, FOLDER_READS } from '../projections/event-log.js';
import type { Db, Projection } from '../projections/projection.js';

const CHUNK = 5_000;

export interface RebuildProgress {
  done: number;
  total: number;
  elapsedMs: number;
}

export function rebuildTables(projections: readonly Projection[]): string[] {
  return projections.flatMap((p) => p.rebuildTables ?? []);
}

/** Every read model derived from the log: the tables a rebuild refills and the views over the log. */
export function derivedReadModels(projections: readonly Projection[]): string[] {
  return [...rebuildTables(projections), ...projections.flatMap((p) => p.logViews ?? [])];
}

export function rebuild(
  db: Db,
  projections: readonly Projection[],
  onProgress: (p: RebuildProgress) => void = () => undefined,
  options: { chunk?: number } = {},
): RebuildProgress {
  const chunkSize = options.chunk ?? CHUNK;
  const started = performance.now();
  const total = eventCount(db);
  const rebuilt = projections.filter((p) => (p.rebuildTables?.length ?? 0) > 0);
  db.transaction(() => {
    for (const table of rebuildTables(projections)) db.exec(`DROP TABLE IF EXISTS ${table}`);
    for (const p of rebuilt) {
      db.exec(p.ddl);
      for (const index of p.rebuildIndexes ?? []) db.exec(`DROP INDEX IF EXISTS ${index}`);
    }
  })();
  forgetStatements(db);
  const folder = createFolder(db, projections, { rebuild: true });
  const parsed = new Set([...FOLDER_READS, ...projections.flatMap((p) => p.handles ?? [])]);
  let done = 0;
  let lastId = 0;
  const chunk = db.transaction(() => {
    const events = eventsAfter(db, lastId, chunkSize, parsed);
    // The fold's clock is the time each event was received, as it was live.
    folder.foldAll(events.map((e) => ({ e, now: e.receivedAt })));
    if (events.length > 0) lastId = events[events.length - 1]!.id;
    return events.length;
  });
  try {
    for (let n = chunk(); n > 0; n = chunk()) {
      done += n;
      onProgress({ done, total, elapsedMs: performance.now() - started });
    }
    // What the projections held across chunks (timelines, the last buckets).
    db.transaction(() => folder.finish())();
  } finally {
    // Even when stopped half way (the caller's progress callback threw), leave the indexes there.
    db.transaction(() => {
      for (const p of rebuilt) db.exec(p.ddl);
    })();
  }
  const result = { done, total, elapsedMs: performance.now() - started };
  onProgress(result);
  return result;
}
