/**
 * Folds logged events into the projections, in a deterministic order that a rebuild reproduces:
 * an agent's events are folded in seq order, so one that arrives early waits in the log until the
 * gap before it is filled (reordered, not treated as a gap) or declared by a GapDetected event;
 * the projector's own events are folded as they are appended. Live folding and rebuilds walk the
 * log through this one function, which is why they produce the same rows.
 *
 * Events are folded in runs (a consumer batch, a chunk of a rebuild): the run's checkpoints are
 * held in memory and written once at its end, the run is put in fold order first, and then each
 * projection folds its share at once (`evolveRun`). Projections write only their own tables, so
 * folding one projection's share before the next one's leaves the rows event-by-event would.
 */
import { agentEventAt, checkpointsOf, recordSkipped, saveCheckpoints, type Checkpoint } from '../projections/event-log.js';
import type { Db, LoggedEvent, Projection } from '../projections/projection.js';

export interface Arrival {
  /** Just appended to (or read from) the log. */
  e: LoggedEvent;
  /** The fold's clock for it: when it was received live, its receivedAt in a rebuild. */
  now: number;
}

export interface Folder {
  /** Fold one event as a run of one. */
  fold(e: LoggedEvent, now: number): void;
  /** Fold events in log order as one run (they are all in the log already). */
  foldAll(arrivals: readonly Arrival[]): void;
  /** A rebuild's folder: write what the projections' rebuild sessions still hold (in a transaction). */
  finish(): void;
}

export interface FolderOptions {
  /**
   * A rebuild: projections with a `rebuildSession` keep their state across runs and write the rest
   * in `finish`. Never for live folding, where a run may roll back.
   */
  rebuild?: boolean;
}

interface HeldCheckpoint extends Checkpoint {
  /** The clock of the last fold that moved it; null: as read, nothing to write. */
  updatedAt: number | null;
}

export function createFolder(db: Db, projections: readonly Projection[], options: FolderOptions = {}): Folder {
  const handlers = projections.filter((p) => (p.handles?.length ?? 0) > 0);
  const sessions = handlers.map((p) => (options.rebuild === true ? p.rebuildSession?.(db) : undefined));
  const handledBy = new Map<string, number[]>();
  handlers.forEach((p, i) => {
    for (const type of p.handles!) handledBy.set(type, [...(handledBy.get(type) ?? []), i]);
  });

  function foldAll(arrivals: readonly Arrival[]): void {
    // The checkpoints of the run's nodes, read in one statement (undefined: none yet).
    const checkpoints = new Map<string, HeldCheckpoint | undefined>();
    for (const { e } of arrivals) checkpoints.set(e.node, undefined);
    for (const [node, cp] of checkpointsOf(db, [...checkpoints.keys()])) checkpoints.set(node, { ...cp, updatedAt: null });
    const held = (node: string): HeldCheckpoint | undefined => checkpoints.get(node);
    // The run's own agent events, so an early arrival waiting in this run is found without a query.
    // By node, then seq (no key string to build per event).
    const inRun = new Map<string, Map<number, LoggedEvent>>();
    for (const { e } of arrivals) {
      if (e.seq === null) continue;
      let ofNode = inRun.get(e.node);
      if (ofNode === undefined) inRun.set(e.node, (ofNode = new Map()));
      ofNode.set(e.seq, e);
    }
    const shares: LoggedEvent[][] = handlers.map(() => []);
    const evolve = (e: LoggedEvent) => {
      const by = handledBy.get(e.type);
      if (by !== undefined) for (let k = 0; k < by.length; k++) shares[by[k]!]!.push(e);
    };
    /** The stored agent event of `node` with `seq` among log rows up to `maxId`. */
    const stored = (node: string, seq: number, maxId: number): LoggedEvent | undefined => {
      const e = inRun.get(node)?.get(seq);
      if (e !== undefined) return e.id <= maxId ? e : undefined;
      return agentEventAt(db, node, seq, maxId);
    };
    /** Fold the run of stored events that follows `contiguous`, up to log row `maxId`. */
    const foldWaiting = (node: string, contiguous: number, maxId: number): number => {
      let next = contiguous;
      for (let e = stored(node, next + 1, maxId); e !== undefined; e = stored(node, next + 1, maxId)) {
        evolve(e);
        next++;
      }
      return next;
    };

    for (const { e, now } of arrivals) {
      if (e.origin === 'projector') {
        if (e.type === 'GapDetected') {
          // A declared gap: skip the missing range and fold what waited behind it.
          const to = Number(e.data['toSeq']);
          const cp = held(e.node) ?? { contiguous_seq: 0, max_seq: 0 };
          const contiguous = foldWaiting(e.node, Math.max(cp.contiguous_seq, to), e.id);
          checkpoints.set(e.node, { contiguous_seq: contiguous, max_seq: Math.max(cp.max_seq, contiguous), updatedAt: now });
        }
        evolve(e);
        continue;
      }
      const seq = e.seq!;
      // Held checkpoints are this run's own objects: moved in place, not copied per event.
      let cp = held(e.node);
      // The first event ever seen from a node sets where its log starts: what came before the
      // projector existed cannot be asked for.
      if (cp === undefined) checkpoints.set(e.node, (cp = { contiguous_seq: seq - 1, max_seq: seq - 1, updatedAt: null }));
      const waitingBehind = cp.max_seq > seq;
      // seq <= contiguous: a late arrival after its gap was declared; it stays in the log only.
      if (seq <= cp.contiguous_seq) recordSkipped(db, e.id);
      else if (seq === cp.contiguous_seq + 1) {
        evolve(e);
        cp.contiguous_seq = seq;
        // Events that arrived early wait behind this one: fold them now, in order.
        if (waitingBehind) cp.contiguous_seq = foldWaiting(e.node, seq, e.id);
      }
      if (seq > cp.max_seq) cp.max_seq = seq;
      cp.updatedAt = now;
    }

    handlers.forEach((p, i) => {
      const share = shares[i]!;
      if (share.length === 0) return;
      const session = sessions[i];
      if (session !== undefined) session.evolveRun(share);
      else if (p.evolveRun !== undefined) p.evolveRun(db, share);
      else for (const e of share) p.evolve?.({ db, now: e.receivedAt }, e);
    });
    const moved: unknown[] = [];
    for (const [node, cp] of checkpoints) if (cp !== undefined && cp.updatedAt !== null) moved.push(node, cp.contiguous_seq, cp.max_seq, cp.updatedAt);
    saveCheckpoints(db, moved);
  }

  return {
    fold: (e, now) => foldAll([{ e, now }]),
    foldAll,
    finish: () => {
      for (const session of sessions) session?.finish();
    },
  };
}
