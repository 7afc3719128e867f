/**
 * Folds logged events into the projections, in a deterministic order that a rebuild reproduces:
 * an agent's events are folded in seq order, so one that arrives early waits in the log until the
 * gap before it is filled (reordered, not treated as a gap) or declared by a GapDetected event;
 * the projector's own events are folded as they are appended. Live folding and rebuilds walk the
 * log through this one function, which is why they produce the same rows.
 */
import { advanceCheckpoint, agentEventAt, checkpoint, saveCheckpoint } from '../projections/event-log.js';
import type { Db, FoldContext, LoggedEvent, Projection } from '../projections/projection.js';

export interface Folder {
  /** Fold one event just appended to (or read from) the log; `now` is the fold's clock. */
  fold(e: LoggedEvent, now: number): void;
}

export function createFolder(db: Db, projections: readonly Projection[]): Folder {
  const byType = new Map<string, Projection[]>();
  for (const p of projections) {
    for (const type of p.handles ?? []) byType.set(type, [...(byType.get(type) ?? []), p]);
  }

  function evolve(ctx: FoldContext, e: LoggedEvent): void {
    for (const p of byType.get(e.type) ?? []) p.evolve?.(ctx, e);
  }

  /** Fold the run of stored events that follows `contiguous`, up to log row `maxId`. */
  function foldRun(ctx: FoldContext, node: string, contiguous: number, maxId: number): number {
    let next = contiguous;
    for (;;) {
      const e = agentEventAt(db, node, next + 1, maxId);
      if (e === undefined) return next;
      evolve(ctx, e);
      next++;
    }
  }

  return {
    fold(e, now) {
      const ctx: FoldContext = { db, now };
      if (e.origin === 'projector') {
        if (e.type === 'GapDetected') {
          // A declared gap: skip the missing range and fold what waited behind it.
          const to = Number(e.data['toSeq']);
          const cp = checkpoint(db, e.node) ?? { contiguous_seq: 0, max_seq: 0 };
          const contiguous = foldRun(ctx, e.node, Math.max(cp.contiguous_seq, to), e.id);
          saveCheckpoint(db, e.node, { contiguous_seq: contiguous, max_seq: Math.max(cp.max_seq, contiguous) }, now);
        }
        evolve(ctx, e);
        return;
      }
      const seq = e.seq!;
      // The common case in one statement: the next seq, nothing waiting behind it.
      if (advanceCheckpoint(db, e.node, seq, now)) {
        evolve(ctx, e);
        return;
      }
      // The first event ever seen from a node sets where its log starts: what came before the
      // projector existed cannot be asked for.
      const cp = checkpoint(db, e.node) ?? { contiguous_seq: seq - 1, max_seq: seq - 1 };
      const max = Math.max(cp.max_seq, seq);
      let contiguous = cp.contiguous_seq;
      // seq <= contiguous: a late arrival after its gap was declared; it stays in the log only.
      if (seq === contiguous + 1) {
        evolve(ctx, e);
        contiguous = seq;
        // Events that arrived early wait behind this one: fold them now, in order.
        if (cp.max_seq > seq) contiguous = foldRun(ctx, e.node, contiguous, e.id);
      }
      saveCheckpoint(db, e.node, { contiguous_seq: contiguous, max_seq: max }, now);
    },
  };
}
