import { afterEach, describe, expect, it } from 'vitest';
import { processGone } from '../../src/supervisor/proc-group.js';
import { harness, NODE, poll, script, teardown, type Harness } from './helpers.js';

afterEach(teardown);

/**
 * A child that starts a grandchild in its process group. The grandchild ignores SIGTERM; the child
 * ignores it too when `childIgnoresTerm`, else it exits on it; with `exitAfterMs` it exits 1 by itself.
 */
function forkingChild(opts: { childIgnoresTerm: boolean; grandchildIgnoresTerm?: boolean; exitAfterMs?: number }): string {
  return script(`
    const { spawn } = require('child_process');
    const gc = spawn(process.execPath, ['-e', ${JSON.stringify(
      `${opts.grandchildIgnoresTerm === false ? '' : "process.on('SIGTERM', () => {});"} console.log('grandchild ready'); setInterval(() => {}, 1000);`,
    )}], { stdio: ['ignore', 'inherit', 'inherit'] });
    process.on('SIGTERM', () => { ${opts.childIgnoresTerm ? '' : 'process.exit(0);'} });
    console.log('pids ' + process.pid + ' ' + gc.pid);
    setInterval(() => {}, 1000);
    ${opts.exitAfterMs === undefined ? '' : `setTimeout(() => process.exit(1), ${opts.exitAfterMs});`}
  `);
}

/** Both pids, once the grandchild has said it is ready (its SIGTERM handler is installed). */
async function pids(h: Harness, id: string): Promise<[number, number]> {
  return h.until(() => {
    const lines = h.lines(id);
    const m = lines.map((l) => /^pids (\d+) (\d+)$/.exec(l)).find((x) => x !== null);
    return m && lines.includes('grandchild ready') ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined;
  }, 'the pids and the grandchild ready');
}

describe('stopping kills the whole process group (real processes)', () => {
  it('supervisor.stop(): the child exits on SIGTERM, its grandchild ignoring it is killed after the grace', async () => {
    const h = harness([{ id: 'forker', command: [NODE, forkingChild({ childIgnoresTerm: false })], stopGrace: '400ms' }]);
    h.sup.start();
    const [child, grandchild] = await pids(h, 'forker');
    expect(processGone(child) || processGone(grandchild)).toBe(false);
    const t0 = Date.now();
    await h.sup.stop();
    const took = Date.now() - t0;
    expect(processGone(child)).toBe(true);
    expect(processGone(grandchild)).toBe(true);
    expect(took).toBeGreaterThanOrEqual(380); // the grandchild got its grace
    expect(took).toBeLessThan(3000);
    expect(h.transitions().at(-1)).toMatchObject({ from: 'running', to: 'stopped', subState: 'stopping' });
    expect(h.sup.list()[0]).toMatchObject({ state: 'stopped', subState: 'stopped', exitStatus: 0, pid: null });
  });

  it('stop command: child and grandchild both ignore SIGTERM; SIGKILL to the group after the grace', async () => {
    const h = harness([{ id: 'stubborn', command: [NODE, forkingChild({ childIgnoresTerm: true })], stopGrace: '300ms', restart: 'permanent' }]);
    h.sup.start();
    const [child, grandchild] = await pids(h, 'stubborn');
    const reply = await h.sup.command('stubborn', 'stop');
    expect(reply).toEqual({ ok: true, message: 'stopped (killed by SIGKILL)' });
    await poll(() => processGone(child) && processGone(grandchild), 'both processes gone', 3000);
    // Stopped on request: the permanent policy does not bring it back.
    expect(h.sup.inspect('stubborn')).toMatchObject({ status: 'stopped', run: 1, restartAt: null });
  });

  it('kill command: SIGKILL to the whole group at once', async () => {
    const h = harness([{ id: 'victim', command: [NODE, forkingChild({ childIgnoresTerm: true })], stopGrace: '30s' }]);
    h.sup.start();
    const [child, grandchild] = await pids(h, 'victim');
    const t0 = Date.now();
    expect(await h.sup.command('victim', 'kill')).toEqual({ ok: true, message: 'stopped (killed by SIGKILL)' });
    await poll(() => processGone(child) && processGone(grandchild), 'both processes gone', 3000);
    expect(Date.now() - t0).toBeLessThan(3000); // not the 30 s grace
  });

  it('after a crash, what the process left in its group is stopped too', async () => {
    const h = harness([
      { id: 'leaver', command: [NODE, forkingChild({ childIgnoresTerm: false, grandchildIgnoresTerm: false, exitAfterMs: 300 })], restart: 'temporary' },
    ]);
    h.sup.start();
    const [child, grandchild] = await pids(h, 'leaver');
    await h.until(() => h.transitions().find((t) => t.to === 'failed'), 'the crash');
    await poll(() => processGone(child) && processGone(grandchild), 'child and grandchild gone', 3000);
  });
});
