import { describe, expect, it } from 'vitest';
import { LineRing, LineSplitter, MAX_LINE_BYTES, TRUNCATION_MARKER } from '../../src/supervisor/log-buffer.js';

function split(chunks: Array<string | Buffer>, maxBytes?: number): string[] {
  const out: string[] = [];
  const s = new LineSplitter((t) => out.push(t), maxBytes);
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c) : c);
  s.end();
  return out;
}

describe('LineRing', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const r = new LineRing<number>(3);
    expect(r.tail(5)).toEqual([]);
    for (let i = 1; i <= 7; i++) r.push(i);
    expect(r.size).toBe(3);
    expect(r.tail(10)).toEqual([5, 6, 7]);
    expect(r.tail(2)).toEqual([6, 7]);
    expect(r.tail(0)).toEqual([]);
  });
});

describe('LineSplitter', () => {
  it('splits at newlines across chunks, drops a CR before LF, keeps a last unterminated line', () => {
    expect(split(['a', 'b\nc', 'd\r\n\nlast'])).toEqual(['ab', 'cd', '', 'last']);
    expect(split(['x\n'])).toEqual(['x']);
  });

  it('does not break a multi-byte character split across chunks', () => {
    const bytes = Buffer.from('héllo wörld\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toEqual(['héllo wörld']);
  });

  it('cuts a line over 8 KiB, marks it, and goes on with the next line', () => {
    const [long, next] = split(['x'.repeat(20_000), 'y'.repeat(5000) + '\nnext\n']);
    expect(Buffer.byteLength(long!)).toBe(MAX_LINE_BYTES);
    expect(long!.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(long!.startsWith('xxxx')).toBe(true);
    expect(next).toBe('next');
    // Exactly the limit is not cut.
    expect(split(['z'.repeat(MAX_LINE_BYTES) + '\n'])).toEqual(['z'.repeat(MAX_LINE_BYTES)]);
  });

  it('never leaves half a character before the marker', () => {
    const [line] = split(['€'.repeat(5000)], 100);
    expect(line).not.toContain('\uFFFD');
    expect(Buffer.byteLength(line!)).toBeLessThanOrEqual(100);
    expect(line!.endsWith(TRUNCATION_MARKER)).toBe(true);
  });
});
