import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, TRUNCATION_MARKER } from '../../src/supervisor/log-buffer.js';
import { readRssBytes } from '../../src/supervisor/proc-group.js';
import type { ProcessServiceState } from '../../src/supervisor/snapshot.js';
import { harness, NODE, script, teardown } from './helpers.js';

afterEach(teardown);

describe('process output and usage (real processes)', () => {
  it('keeps the last 1000 lines for tail, batches every line to onLog before the exit is reported', async () => {
    const file = script(`
      for (let i = 1; i <= 1500; i++) process.stdout.write('line ' + i + '\\n');
      process.stdout.write('x'.repeat(20000) + '\\n');
      process.stdout.write('no newline at the end');
    `);
    const h = harness([
      { id: 'chatty', command: [NODE, file], restart: 'transient' },
      { id: 'errs', command: ['/bin/sh', '-c', 'echo oops >&2; echo fine'], restart: 'transient' },
    ]);
    h.sup.start();
    const stopped = await h.until(() => h.transitions('chatty').find((t) => t.to === 'stopped'), 'the clean exit');
    await h.until(() => h.transitions('errs').find((t) => t.to === 'stopped'), 'the other clean exit');
    expect(h.sup.tail('errs', 5).map((l) => [l.stream, l.text]).sort()).toEqual([['stderr', 'oops'], ['stdout', 'fine']]);

    const tail = h.sup.tail('chatty', 5000);
    expect(tail).toHaveLength(1000);
    expect(tail[0]!.text).toBe('line 503');
    expect(tail.slice(-3).map((l) => l.text.slice(0, 12))).toEqual(['line 1500', 'x'.repeat(12), 'no newline a']);
    const long = tail.at(-2)!.text;
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(long.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(h.sup.tail('chatty', 2).map((l) => l.text)).toEqual([long, 'no newline at the end']);
    expect(h.sup.tail('nope', 2)).toEqual([]);

    // Every line reached onLog, in batches of at most 1000, all before the transition.
    const all = h.lines('chatty');
    expect(all).toHaveLength(1502);
    const batches = h.timeline.filter((r) => r.kind === 'log');
    expect(Math.max(...batches.map((b) => (b.kind === 'log' ? b.lines.length : 0)))).toBeLessThanOrEqual(1000);
    expect(all.slice(0, 3)).toEqual(['line 1', 'line 2', 'line 3']);
    const transitionAt = h.timeline.findIndex((r) => r.kind === 'transition' && r.t === stopped);
    const lastLog = h.timeline.reduce((last, r, i) => (r.kind === 'log' && r.id === 'chatty' ? i : last), -1);
    expect(lastLog).toBeGreaterThan(-1);
    expect(lastLog).toBeLessThan(transitionAt);

    expect(stopped.lastLines).toHaveLength(20);
    expect(stopped.lastLines.at(-1)).toBe('no newline at the end');
    expect(stopped.lastLines.every((l) => l.length <= 4096)).toBe(true);
  });

  it('samples memory and CPU over the whole process group', async () => {
    // A shell leading two children: the group is the three of them.
    const busy = script(`const a = Buffer.alloc(32 * 1024 * 1024, 1); const end = Date.now() + 30000; while (Date.now() < end) a[0]++;`);
    const h = harness([{ id: 'group', command: ['/bin/sh', '-c', 'exec "$0" "$1" & sleep 30 & wait', NODE, busy] }]);
    h.sup.start();
    const running = await h.until(() => h.sup.list().find((s) => s.pid !== null && s.state === 'running'), 'running');
    // CPU needs two samples and some burnt time, memory the buffer filled: sample every 50 ms
    // (the agent does it every metrics interval) until both show, bounded.
    const busyEnough = (s: ProcessServiceState) => (s.cpuPercent ?? 0) > 5 && (s.memoryBytes ?? 0) > 32 * 1024 * 1024;
    let cpu = h.sup.list()[0]!;
    for (let i = 0; i < 100 && !busyEnough(cpu); i++) {
      h.sup.sample();
      cpu = h.sup.list()[0]!;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(cpu.cpuPercent).toBeGreaterThan(5);
    expect(cpu.memoryBytes!).toBeGreaterThan(32 * 1024 * 1024);
    expect(cpu.memoryBytes!).toBeGreaterThan(readRssBytes(running.pid!)!);
    expect(cpu.cpuPercent!).toBeLessThan(400);
  });
});
