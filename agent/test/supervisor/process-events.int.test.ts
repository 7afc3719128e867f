/**
 * ProcessExited and ProcessRestarted from the supervisor, with real child processes: every exit
 * says how it ended, whether a restart follows and after how long, with the last output lines;
 * every automatic restart names its attempt and the new pid.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessExited, ProcessRestarted } from '../../src/supervisor/events.js';
import { harness, NODE, teardown } from './helpers.js';

afterEach(teardown);

describe('supervisor process events (real processes)', () => {
  it('reports each crash with its evidence and each automatic restart with the new pid', async () => {
    const h = harness([{ id: 'flaky', command: ['/bin/sh', '-c', 'echo "run $$"; echo oops >&2; exit 4'], maxRestarts: 2, restartWindow: '1m' }], {
      backoffMs: [30, 60],
      jitter: 0,
    });
    h.sup.start();
    await h.until(() => h.events('ProcessGaveUp')[0], 'ProcessGaveUp');
    const exited = h.events('ProcessExited') as ProcessExited[];
    const restarted = h.events('ProcessRestarted') as ProcessRestarted[];
    expect(exited.map((e) => [e.data.service, e.data.exitCode, e.data.signal, e.data.result, e.data.willRestart, e.data.restartInMs])).toEqual([
      ['flaky', 4, null, 'exit-code', true, 30],
      ['flaky', 4, null, 'exit-code', true, 60],
      ['flaky', 4, null, 'exit-code', false, undefined],
    ]);
    expect(restarted.map((e) => e.data.attempt)).toEqual([1, 2]);
    // The evidence of each exit is that run's own output, last; the restart names that run's pid.
    for (const [i, e] of exited.entries()) {
      const [run, err] = e.data.lastLines.slice(-2);
      expect(err).toBe('oops');
      expect(run).toMatch(/^run \d+$/);
      if (i > 0) expect(run).toBe(`run ${restarted[i - 1]!.data.pid}`);
    }
    // The order on the timeline: exit, then (after the delay) the restart of the next run.
    const order = h.timeline.flatMap((r) => (r.kind === 'event' ? [r.e.type] : []));
    expect(order).toEqual(['ProcessExited', 'ProcessRestarted', 'ProcessExited', 'ProcessRestarted', 'ProcessExited', 'ProcessGaveUp']);
  });

  it('reports an operator restart and a stop as exits, and neither as an automatic restart', async () => {
    const program = 'process.on("SIGTERM", () => { console.log("bye"); process.exit(0); }); console.log("up"); setInterval(() => {}, 1000);';
    const h = harness([{ id: 'svc', command: [NODE, '-e', program], stopGrace: '5s' }]);
    h.sup.start();
    await h.until(() => h.lines('svc').includes('up'), 'the first run up');
    expect(await h.sup.command('svc', 'restart')).toMatchObject({ ok: true });
    await h.until(() => h.lines('svc').filter((l) => l === 'up').length === 2, 'the second run up');
    expect(await h.sup.command('svc', 'stop')).toMatchObject({ ok: true });
    const exited = await h.until(() => (h.events('ProcessExited').length === 2 ? (h.events('ProcessExited') as ProcessExited[]) : undefined), 'two exits');
    expect(exited.map((e) => [e.data.exitCode, e.data.signal, e.data.result, e.data.willRestart, e.data.restartInMs])).toEqual([
      [0, null, 'success', true, 0],
      [0, null, 'success', false, undefined],
    ]);
    expect(exited[0]!.data.lastLines).toEqual(['up', 'bye']);
    expect(h.events('ProcessRestarted')).toEqual([]);
  });
});
