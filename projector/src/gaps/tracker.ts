/**
 * Gaps in an agent's seq (DESIGN.md section 4): events that arrive early wait in the log while the
 * missing ones may still come (out-of-order delivery, a reconnect in flight). If the gap is still
 * open after `reorderWindowMs` the projector asks the agent to replay from it; if the replay does
 * not fill it within `replayTimeoutMs` it records GapDetected (folding resumes past it) and asks
 * the agent for a fresh birth. A gap is never skipped silently.
 */
import type { Logger } from '@sitrep/schemas';
import type { Folder } from '../fold/folder.js';
import { appendDerivedEvent, checkpoint, nextPresentSeq, nodesWithGaps } from '../projections/event-log.js';
import type { Db } from '../projections/projection.js';

export interface GapTrackerOptions {
  db: Db;
  folder: Folder;
  log: Logger;
  now: () => number;
  reorderWindowMs: number;
  replayTimeoutMs: number;
  /** Publish a command to a node (the projector's identity may publish `cmd`). */
  command(node: string, action: 'replay' | 'rebirth', args?: Record<string, number>): void;
}

interface OpenGap {
  fromSeq: number;
  openedAt: number;
  replayAskedAt: number | null;
}

export interface GapTracker {
  /** Look at a node after its events were folded. */
  observe(node: string): void;
  tick(): void;
  openGaps(): Map<string, OpenGap>;
}

export function createGapTracker(o: GapTrackerOptions): GapTracker {
  const gaps = new Map<string, OpenGap>();

  function observe(node: string): void {
    const cp = checkpoint(o.db, node);
    if (cp === undefined || cp.max_seq <= cp.contiguous_seq) {
      if (gaps.delete(node)) o.log.info('gap filled', { node });
      return;
    }
    const fromSeq = cp.contiguous_seq + 1;
    const known = gaps.get(node);
    // A different start means the old gap was filled and a new one opened.
    if (known === undefined || known.fromSeq !== fromSeq) gaps.set(node, { fromSeq, openedAt: o.now(), replayAskedAt: null });
  }

  // After a restart, gaps recorded in the checkpoints are picked up again.
  for (const g of nodesWithGaps(o.db)) observe(g.node);

  function tick(): void {
    const now = o.now();
    for (const [node, gap] of gaps) {
      if (gap.replayAskedAt === null && now - gap.openedAt >= o.reorderWindowMs) {
        gap.replayAskedAt = now;
        o.log.warn('gap in events; asking the agent to replay', { node, fromSeq: gap.fromSeq });
        o.command(node, 'replay', { fromSeq: gap.fromSeq });
      } else if (gap.replayAskedAt !== null && now - gap.replayAskedAt >= o.replayTimeoutMs) {
        const toSeq = (nextPresentSeq(o.db, node, gap.fromSeq) ?? gap.fromSeq + 1) - 1;
        o.db.transaction(() => {
          const e = appendDerivedEvent(
            o.db,
            { node, ts: now, type: 'GapDetected', data: { fromSeq: gap.fromSeq, toSeq, reason: `not replayed within ${o.replayTimeoutMs} ms` } },
            `GapDetected:${node}:${gap.fromSeq}:${toSeq}`,
          );
          if (e !== null) o.folder.fold(e, now);
        })();
        o.log.error('events lost: gap recorded, asking for a fresh birth', { node, fromSeq: gap.fromSeq, toSeq });
        o.command(node, 'rebirth');
        gaps.delete(node);
        observe(node); // another gap may sit behind this one
      }
    }
  }

  return { observe, tick, openGaps: () => gaps };
}
