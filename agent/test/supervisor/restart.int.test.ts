import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessTransition } from '../../src/supervisor/events.js';
import { harness, NODE, script, teardown, tmpDir } from './helpers.js';

afterEach(teardown);

/** For every crash (-> failed), the time until the next start (-> running). */
function restartGaps(transitions: ProcessTransition[]): number[] {
  const gaps: number[] = [];
  transitions.forEach((t, i) => {
    const next = transitions.slice(i + 1).find((n) => n.to === 'running');
    if (t.to === 'failed' && next !== undefined) gaps.push(next.at - t.at);
  });
  return gaps;
}

const runs = (transitions: ProcessTransition[]) => transitions.filter((t) => t.to === 'running').length;

/** Timers never fire early (±1 ms of rounding); late by a spawn and a busy test machine at most. */
const within = (gap: number, nominal: number, jitter: number) => {
  expect(gap).toBeGreaterThanOrEqual(nominal * (1 - jitter) - 2);
  expect(gap).toBeLessThanOrEqual(nominal * (1 + jitter) + 200);
};

describe('supervisor restarts (real processes)', () => {
  it('restarts a crash loop after the backoff delays, ±20 %', async () => {
    const h = harness([{ id: 'crasher', command: ['/bin/sh', '-c', 'echo dying >&2; exit 3'], maxRestarts: 10 }], {
      backoffMs: [100, 250, 500],
    });
    h.sup.start();
    await h.until(() => runs(h.transitions()) >= 5, 'five runs');
    const gaps = restartGaps(h.transitions());
    [100, 250, 500, 500].forEach((nominal, i) => within(gaps[i]!, nominal, 0.2));
    const crash = h.transitions().find((t) => t.to === 'failed')!;
    expect(crash).toMatchObject({ from: 'running', fromSubState: 'running', subState: 'crashed', exitCode: 3, signal: null, result: 'exit-code' });
    expect(crash.lastLines).toEqual(['dying']);
  });

  it('applies the restart policy: permanent, transient, temporary', async () => {
    const exit = (code: number) => ['/bin/sh', '-c', `exit ${code}`];
    const h = harness(
      [
        { id: 'perm0', command: exit(0), restart: 'permanent' },
        { id: 'trans0', command: exit(0), restart: 'transient' },
        { id: 'trans2', command: exit(2), restart: 'transient' },
        { id: 'temp2', command: exit(2), restart: 'temporary' },
        { id: 'temp0', command: exit(0), restart: 'temporary' },
      ],
      { backoffMs: [50] },
    );
    h.sup.start();
    await h.until(() => runs(h.transitions('perm0')) >= 3 && runs(h.transitions('trans2')) >= 3, 'perm0 and trans2 restarted twice');
    // By now the others had several backoff periods to restart, and did not.
    const state = (id: string) => h.sup.list().find((s) => s.service === id)!;
    expect(state('trans0')).toMatchObject({ state: 'stopped', subState: 'stopped', exitStatus: 0, result: 'success', restarts: 0 });
    expect(state('temp0')).toMatchObject({ state: 'stopped', subState: 'stopped', restarts: 0 });
    expect(state('temp2')).toMatchObject({ state: 'failed', subState: 'crashed', exitStatus: 2, result: 'exit-code', restarts: 0 });
    expect(h.sup.inspect('temp2')).toMatchObject({ run: 1, restartAt: null });
    expect(h.sup.inspect('trans0')).toMatchObject({ run: 1, restartAt: null });
    // A clean exit of a permanent process is a crash: it should have kept running.
    expect(h.transitions('perm0').find((t) => t.to === 'failed')).toMatchObject({ exitCode: 0, subState: 'crashed' });
  });

  it('gives up after maxRestarts within the window, says so, and starts afresh on command', async () => {
    const h = harness([{ id: 'hopeless', command: ['/bin/sh', '-c', 'echo "no config"; exit 78'], maxRestarts: 3, restartWindow: '1m' }], {
      backoffMs: [20],
    });
    h.sup.start();
    const gaveUp = await h.until(() => h.events('ProcessGaveUp')[0], 'ProcessGaveUp');
    expect(gaveUp).toEqual({
      type: 'ProcessGaveUp',
      data: { service: 'hopeless', restarts: 3, windowMs: 60_000, exitCode: 78, signal: null, lastLines: ['no config', 'no config', 'no config', 'no config'] },
    });
    expect(runs(h.transitions())).toBe(4);
    expect(h.sup.list()[0]).toMatchObject({ state: 'failed', subState: 'failed', result: 'start-limit-hit', exitStatus: 78, restarts: 3, pid: null });
    const reply = await h.sup.command('hopeless', 'start');
    expect(reply.ok).toBe(true); // it did start; it crashes again right after, as before
    await h.until(() => h.events('ProcessGaveUp').length === 2, 'a second ProcessGaveUp after a fresh window');
    expect(runs(h.transitions())).toBe(8);
  });

  it('starts the backoff over after the process stayed up stableAfter', async () => {
    // Runs 1, 2 and 4 crash at once; run 3 stays up 700 ms (> stableAfter) before crashing.
    const counter = `${tmpDir()}/runs`;
    const file = script(`
      const fs = require('fs');
      const f = process.argv[2];
      const n = Number(fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : 0) + 1;
      fs.writeFileSync(f, String(n));
      if (n === 3) setTimeout(() => process.exit(1), 700); else process.exit(1);
    `);
    const h = harness([{ id: 'flaky', command: [NODE, file, counter], stableAfter: '400ms', maxRestarts: 10 }], {
      backoffMs: [100, 600, 2000],
      jitter: 0,
    });
    h.sup.start();
    await h.until(() => runs(h.transitions()) >= 5, 'five runs', 10_000);
    const gaps = restartGaps(h.transitions());
    within(gaps[0]!, 100, 0);
    within(gaps[1]!, 600, 0);
    within(gaps[2]!, 100, 0); // not 2000: the stable run reset the schedule
    within(gaps[3]!, 600, 0);
  });
});
