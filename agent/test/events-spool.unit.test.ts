import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '@sitrep/schemas';
import { EventSpool } from '../src/events/spool.js';

const dir = () => mkdtempSync(join(tmpdir(), 'sitrep-spool-'));
const ev = (seq: number): AgentEvent => ({ v: 1, node: 'n1', session: 's', seq, ts: seq, type: 'AgentStarted', data: { version: '1', pid: 1 } });
const seqs = (entries: { seq: number }[] | null) => entries?.map((e) => e.seq);

describe('event spool', () => {
  it('keeps unacknowledged events across a restart, in order', () => {
    const d = dir();
    const a = new EventSpool(d, 100);
    for (let s = 1; s <= 5; s++) a.append(ev(s));
    a.ack(1);
    a.ack(3); // out of order: 2 still missing
    const b = new EventSpool(d, 100);
    expect(seqs(b.unacked())).toEqual([2, 3, 4, 5]);
    b.ack(2);
    b.ack(3);
    expect(seqs(new EventSpool(d, 100).unacked())).toEqual([4, 5]);
  });

  it('drops the oldest unacknowledged events past the limit and says how many', () => {
    const s = new EventSpool(dir(), 100);
    for (let q = 1; q <= 130; q++) s.append(ev(q));
    expect(seqs(s.unacked())).toEqual(Array.from({ length: 100 }, (_, i) => i + 31));
    expect(s.takeDropped()).toEqual({ count: 30, fromSeq: 1, toSeq: 30 });
    expect(s.takeDropped()).toBeNull();
  });

  it('does not count acknowledged events leaving the window as dropped', () => {
    const s = new EventSpool(dir(), 100);
    for (let q = 1; q <= 150; q++) {
      s.append(ev(q));
      s.ack(q);
    }
    expect(s.takeDropped()).toBeNull();
    expect(s.unacked()).toEqual([]);
  });

  it('serves replays from what it keeps, and refuses what it no longer has', () => {
    const s = new EventSpool(dir(), 100);
    for (let q = 1; q <= 120; q++) {
      s.append(ev(q));
      s.ack(q);
    }
    expect(seqs(s.since(115))).toEqual([115, 116, 117, 118, 119, 120]);
    expect(s.since(5)).toBeNull();
    expect(s.oldestSeq()).toBe(21);
  });

  it('skips a torn last line after a crash', () => {
    const d = dir();
    const a = new EventSpool(d, 100);
    a.append(ev(1));
    appendFileSync(join(d, 'spool.jsonl'), '{"v":1,"node":"n1","se');
    expect(seqs(new EventSpool(d, 100).unacked())).toEqual([1]);
  });

  it('keeps its file bounded', () => {
    const d = dir();
    const s = new EventSpool(d, 100);
    for (let q = 1; q <= 1000; q++) {
      s.append(ev(q));
      s.ack(q);
    }
    expect(seqs(new EventSpool(d, 100).since(901))?.length).toBe(100);
  });
});
