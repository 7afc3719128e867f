/** The rate of `logs/{id}/tail` snapshots, on vitest's fake clock: leading and trailing edge. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TailPublisher } from '../../src/services/log-tail.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('TailPublisher', () => {
  it('publishes at once, then at most once per period with the lines that came meanwhile, and clears', () => {
    vi.useFakeTimers();
    let printed = 0;
    const published: Array<[string, string[] | null]> = [];
    const tails = new TailPublisher({
      lines: 3,
      everyMs: 1000,
      read: (_id, n) => Array.from({ length: Math.min(n, printed) }, (_, i) => ({ ts: 0, text: `l${printed - Math.min(n, printed) + i + 1}` })),
      publish: (id, lines) => published.push([id, lines === null ? null : lines.map((l) => l.text)]),
    });
    printed = 1;
    tails.changed('p');
    expect(published).toEqual([['p', ['l1']]]);
    printed = 5;
    tails.changed('p');
    tails.changed('p');
    expect(published).toHaveLength(1);
    vi.advanceTimersByTime(999);
    expect(published).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(published).toEqual([['p', ['l1']], ['p', ['l3', 'l4', 'l5']]]);
    // Quiet for a period: the next line goes out at once again.
    vi.advanceTimersByTime(1000);
    printed = 6;
    tails.changed('p');
    expect(published.at(-1)).toEqual(['p', ['l4', 'l5', 'l6']]);
    printed = 7;
    tails.changed('p');
    tails.clear('p');
    vi.advanceTimersByTime(5000);
    expect(published.at(-1)).toEqual(['p', null]);
    expect(published).toHaveLength(4);
  });

  it('publishes what is pending when stopped', () => {
    vi.useFakeTimers();
    const published: string[] = [];
    const tails = new TailPublisher({ lines: 100, everyMs: 1000, read: () => [{ ts: 0, text: 'x' }], publish: (id) => published.push(id) });
    tails.changed('a');
    tails.changed('a');
    tails.changed('b');
    tails.stop();
    expect(published).toEqual(['a', 'b', 'a']);
    vi.advanceTimersByTime(5000);
    expect(published).toHaveLength(3);
  });
});
