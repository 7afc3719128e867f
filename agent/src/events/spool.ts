/**
 * The agent's event spool: every event is appended to a file before it is published and marked
 * delivered when the broker acknowledges it. While the broker is unreachable events wait here, in
 * order, and survive an agent restart; the last `maxEvents` stay available for `replay`. When
 * more than `maxEvents` are waiting the oldest are dropped and counted, so the caller can say so
 * with an EventsDropped event: never a silent loss.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent } from '@sitrep/schemas';

interface Entry {
  seq: number;
  json: string;
}

export interface Dropped {
  count: number;
  fromSeq: number;
  toSeq: number;
}

export class EventSpool {
  private entries: Entry[] = [];
  /** Every seq up to this one has been acknowledged (or dropped). */
  private ackedUpTo = 0;
  private readonly acked = new Set<number>();
  private readonly file: string;
  private readonly ackFile: string;
  private dropped: Dropped | null = null;
  /** Lines in the file, which holds trimmed entries until the next compaction. */
  private fileLines = 0;

  constructor(
    dir: string,
    private readonly maxEvents: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'spool.jsonl');
    this.ackFile = join(dir, 'spool.acked');
    this.load();
  }

  private load(): void {
    if (existsSync(this.ackFile)) this.ackedUpTo = Number(readFileSync(this.ackFile, 'utf8').trim()) || 0;
    if (!existsSync(this.file)) return;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        const seq = (JSON.parse(line) as { seq?: unknown }).seq;
        // A torn last line (crash mid-write) is not an event: skip it.
        if (typeof seq === 'number') this.entries.push({ seq, json: line });
        this.fileLines++;
      } catch {
        continue;
      }
    }
    this.entries.sort((a, b) => a.seq - b.seq);
    this.trim();
  }

  /**
   * Add an event. `overflow` lets one event in past the limit without pushing another out: the
   * EventsDropped report must not itself drop an event.
   */
  append(event: AgentEvent, overflow = false): void {
    const json = JSON.stringify(event);
    appendFileSync(this.file, `${json}\n`);
    this.fileLines++;
    this.entries.push({ seq: event.seq, json });
    if (!overflow) this.trim();
  }

  /** Events not yet acknowledged, oldest first. */
  unacked(): Entry[] {
    return this.entries.filter((e) => e.seq > this.ackedUpTo && !this.acked.has(e.seq));
  }

  /** Retained events with seq >= fromSeq, for replay; null when fromSeq is older than what is kept. */
  since(fromSeq: number): Entry[] | null {
    const oldest = this.entries[0]?.seq;
    if (oldest !== undefined && fromSeq < oldest) return null;
    return this.entries.filter((e) => e.seq >= fromSeq);
  }

  oldestSeq(): number | null {
    return this.entries[0]?.seq ?? null;
  }

  ack(seq: number): void {
    if (seq <= this.ackedUpTo) return;
    this.acked.add(seq);
    let advanced = false;
    while (this.acked.has(this.ackedUpTo + 1)) {
      this.acked.delete(++this.ackedUpTo);
      advanced = true;
    }
    if (advanced) writeFileSync(this.ackFile, `${this.ackedUpTo}\n`);
  }

  /** Drops reported since the last call (then forgotten). */
  takeDropped(): Dropped | null {
    const d = this.dropped;
    this.dropped = null;
    return d;
  }

  private trim(): void {
    if (this.entries.length <= this.maxEvents) return;
    const cut = this.entries.splice(0, this.entries.length - this.maxEvents);
    const lost = cut.filter((e) => e.seq > this.ackedUpTo && !this.acked.has(e.seq));
    if (lost.length > 0) {
      const first = lost[0]!.seq;
      const last = lost[lost.length - 1]!.seq;
      this.dropped = {
        count: (this.dropped?.count ?? 0) + lost.length,
        fromSeq: this.dropped?.fromSeq ?? first,
        toSeq: last,
      };
    }
    // Dropped events count as handled, so the acknowledged prefix can move past them.
    const lastCut = cut[cut.length - 1]!.seq;
    if (lastCut > this.ackedUpTo) {
      this.ackedUpTo = lastCut;
      for (const s of [...this.acked]) if (s <= lastCut) this.acked.delete(s);
      writeFileSync(this.ackFile, `${this.ackedUpTo}\n`);
    }
    this.compactIfLarge();
  }

  /** Rewrite the file when it holds twice what is kept, so it stays bounded at little cost. */
  private compactIfLarge(): void {
    if (this.fileLines <= 2 * this.maxEvents) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, this.entries.map((e) => `${e.json}\n`).join(''));
    renameSync(tmp, this.file);
    this.fileLines = this.entries.length;
  }
}
