/**
 * A projection is its parts side by side: a name, its DDL, what it handles, how it folds, and (in
 * the same file) its queries, so the writer and reader of a table never drift apart.
 *
 * Two kinds of input reach projections:
 * - events from the log (agent events and the projector's own derived events), folded by `evolve`
 *   in a deterministic order, so `sitrep projector rebuild` reproduces the same rows; the tables
 *   of such a projection are listed in `rebuildTables` and dropped before a rebuild;
 * - retained state messages (status, birth, metrics, service and check state, log batches), which
 *   are not events and are not in the log: folded by `onState`, never rebuilt.
 *
 * Events are folded in runs (a consumer batch live, a chunk of the log in a rebuild): the folder
 * puts a run in fold order, then each projection folds its share at once. A projection with
 * `evolveRun` keeps its state for the run in memory and writes each row once; one without gets
 * `evolve` per event. Both must leave the same rows, which is what lets the run be any length.
 */
import type { Database } from 'better-sqlite3';
import type { Birth, CheckResult, LogBatch, Metrics, ServiceState, Status } from '@sitrep/schemas';

export type Db = Database;

/** An event as stored in the log, data parsed. */
export interface LoggedEvent {
  id: number;
  node: string;
  /** Agent events only; null for the projector's own. */
  seq: number | null;
  session: string;
  ts: number;
  type: string;
  data: Record<string, unknown>;
  origin: 'agent' | 'projector';
  receivedAt: number;
}

/** A validated state message, as the projector received it. */
export type StateMessage =
  | { kind: 'status'; node: string; value: Status }
  | { kind: 'birth'; node: string; value: Birth }
  | { kind: 'metrics'; node: string; value: Metrics }
  | { kind: 'service'; node: string; service: string; value: ServiceState | null }
  | { kind: 'check'; node: string; check: string; value: CheckResult | null }
  | { kind: 'logs'; node: string; source: string; value: LogBatch };

/** What a fold may do besides writing its own tables. */
export interface FoldContext {
  db: Db;
  /** Wall clock of the projector when live; the event's receivedAt during a rebuild. */
  now: number;
}

export interface RebuildSession {
  evolveRun(events: readonly LoggedEvent[]): void;
  finish(): void;
}

export interface Projection {
  readonly name: string;
  /** Brings a file written by an earlier version up to date; runs before `ddl`, in its transaction. */
  migrate?(db: Db): void;
  /** Idempotent DDL (CREATE ... IF NOT EXISTS). */
  readonly ddl: string;
  /**
   * Views over the log (defined in `ddl`): read models that are the logged events themselves,
   * behind a partial index, so nothing is copied and nothing needs rebuilding. Earlier versions
   * kept tables of these names; opening such a file drops them (the log holds their rows).
   */
  readonly logViews?: readonly string[];
  /** Tables entirely derived from the log, dropped and refilled by a rebuild. */
  readonly rebuildTables?: readonly string[];
  /** Event types `evolve` wants; omitted: none. */
  readonly handles?: readonly string[];
  evolve?(ctx: FoldContext, e: LoggedEvent): void;
  /**
   * Fold a run of events (only types in `handles`, in fold order) as `evolve` one by one would,
   * reading and writing each row once for the whole run.
   */
  evolveRun?(db: Db, events: readonly LoggedEvent[]): void;
  /**
   * For a rebuild: a fold that keeps its state across the rebuild's runs (each run is its own
   * transaction) and writes what it still holds in `finish`, inside the last one. What it leaves
   * must equal what `evolveRun` run by run leaves. Live folding never uses it: a run there may
   * roll back, and state kept past it would then be wrong.
   */
  rebuildSession?(db: Db): RebuildSession;
  /**
   * Secondary indexes on `rebuildTables` (created by `ddl`), dropped while a rebuild refills the
   * tables and created again once at the end: one sort instead of a B-tree insert per row.
   */
  readonly rebuildIndexes?: readonly string[];
  onState?(ctx: FoldContext, msg: StateMessage, receivedAt: number): void;
}
