/** The shared flush clock: one run per interval for every batch, an interval that follows the cost. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBatch, createFlushClock, FLUSH_CLOCK, type FlushClockOptions } from '../src/composables/batch.js';

/** A hand-driven clock: timers and render completions are fired by the test. */
function manual() {
  let t = 0;
  const timers: { run: () => void; ms: number }[] = [];
  const renders: (() => void)[] = [];
  const opts: FlushClockOptions = {
    minMs: 100,
    maxMs: 500,
    share: 0.25,
    now: () => t,
    timer: (run, ms) => void timers.push({ run, ms }),
    afterRender: (done) => void renders.push(done),
  };
  return {
    opts,
    timers,
    renders,
    advance: (ms: number) => void (t += ms),
    fireTimer: () => timers.shift()!.run(),
    render: () => renders.shift()!(),
  };
}

describe('createFlushClock', () => {
  it('flushes every batch due in the same run and waits for the render before arming again', () => {
    const m = manual();
    const clock = createFlushClock(m.opts);
    const fleet: number[][] = [];
    const items: string[][] = [];
    const a = createBatch<number>((xs) => void fleet.push(xs), clock);
    const b = createBatch<string>((xs) => void items.push(xs), clock);
    a.push(1);
    b.push('x');
    a.push(2);
    expect(m.timers).toHaveLength(1);
    expect(m.timers[0]?.ms).toBe(100);
    m.fireTimer();
    expect(fleet).toEqual([[1, 2]]);
    expect(items).toEqual([['x']]);
    // Pushed while the flush renders: held until the render is done, then one timer.
    a.push(3);
    expect(m.timers).toHaveLength(0);
    m.render();
    expect(m.timers).toHaveLength(1);
    m.fireTimer();
    expect(fleet).toEqual([[1, 2], [3]]);
  });

  it('stretches the interval to keep the flush and its render near the share, within bounds', () => {
    const m = manual();
    const clock = createFlushClock(m.opts);
    const batch = createBatch<number>(() => m.advance(40), clock);
    const cycle = (renderMs: number) => {
      batch.push(1);
      m.fireTimer();
      m.advance(renderMs);
      m.render();
      batch.push(2);
      return m.timers.at(-1)!.ms;
    };
    // 40 ms folding + 60 ms render = 100 ms of work: 300 ms of rest keeps it at 25 %.
    expect(cycle(60)).toBe(300);
    m.fireTimer();
    m.render();
    // Cheap flushes come back to the minimum, expensive ones stop at the maximum.
    expect(cycle(-40)).toBe(100);
    m.fireTimer();
    m.render();
    expect(cycle(960)).toBe(500);
  });

  it('runs the other batches and keeps ticking when one flush throws', () => {
    const m = manual();
    const clock = createFlushClock(m.opts);
    const seen: number[][] = [];
    const bad = createBatch<number>(() => {
      throw new Error('fold failed');
    }, clock);
    const good = createBatch<number>((xs) => void seen.push(xs), clock);
    bad.push(1);
    good.push(2);
    expect(() => m.fireTimer()).toThrow('fold failed');
    expect(seen).toEqual([[2]]);
    m.render();
    good.push(3);
    m.fireTimer();
    expect(seen).toEqual([[2], [3]]);
  });

  it('drops the run of a batch cleared before its turn (a reconnect resets the feed)', () => {
    const m = manual();
    const clock = createFlushClock(m.opts);
    const seen: number[][] = [];
    const batch = createBatch<number>((xs) => void seen.push(xs), clock);
    batch.push(1);
    batch.clear();
    batch.push(2);
    m.fireTimer();
    expect(seen).toEqual([[2]]);
  });
});

describe('FLUSH_CLOCK.afterRender', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('does not wait forever for a frame a hidden tab never gets', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('requestAnimationFrame', () => 0);
    let done = 0;
    FLUSH_CLOCK.afterRender(() => (done += 1));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(1);
  });

  it('calls back once, after the frame, when the frame comes', async () => {
    vi.useFakeTimers();
    const frames: (() => void)[] = [];
    vi.stubGlobal('requestAnimationFrame', (f: () => void) => frames.push(f));
    let done = 0;
    FLUSH_CLOCK.afterRender(() => (done += 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(frames).toHaveLength(1);
    frames[0]?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(done).toBe(1);
  });
});
