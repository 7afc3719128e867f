import { afterEach, describe, expect, it } from 'vitest';
import { ProcessConfig } from '@sitrep/schemas/config';
import { processGone } from '../../src/supervisor/proc-group.js';
import { harness, NODE, teardown } from './helpers.js';

afterEach(teardown);

const SLEEPER = [NODE, '-e', 'setInterval(() => {}, 1000)'];

describe('operator commands and definitions at run time (real processes)', () => {
  it('start, restart, stop, kill answer with the outcome', async () => {
    const h = harness([{ id: 'svc', command: SLEEPER, autostart: false, actions: ['start', 'stop'] }]);
    expect(await h.sup.command('svc', 'start')).toEqual({ ok: false, message: 'the process supervisor is not running' });
    h.sup.start();
    expect(h.sup.list()[0]).toMatchObject({ state: 'stopped', subState: 'stopped', pid: null, restarts: 0 });
    expect(h.sup.watched()).toEqual([{ id: 'svc', kind: 'process', expect: 'running', actions: ['start', 'stop'] }]);
    expect(h.sup.allowedActions('svc')).toEqual(['start', 'stop']);
    expect(h.sup.allowedActions('nope')).toBeUndefined();

    const started = await h.sup.command('svc', 'start');
    const pid1 = h.sup.inspect('svc')!.pid!;
    expect(started).toEqual({ ok: true, message: `running (pid ${pid1})` });
    expect(await h.sup.command('svc', 'start')).toEqual({ ok: true, message: `already running (pid ${pid1})` });

    const restarted = await h.sup.command('svc', 'restart');
    const pid2 = h.sup.inspect('svc')!.pid!;
    expect(restarted).toEqual({ ok: true, message: `running (pid ${pid2})` });
    expect(pid2).not.toBe(pid1);
    expect(processGone(pid1)).toBe(true);
    // An operator restart is not a crash: the counter stays, the transitions show the stop.
    expect(h.sup.list()[0]!.restarts).toBe(0);
    expect(h.transitions().map((t) => `${t.from}->${t.to}`)).toEqual(['unknown->stopped', 'stopped->running', 'running->stopped', 'stopped->running']);

    expect(await h.sup.command('svc', 'stop')).toEqual({ ok: true, message: 'stopped (killed by SIGTERM)' });
    expect(processGone(pid2)).toBe(true);
    expect(await h.sup.command('svc', 'stop')).toEqual({ ok: true, message: 'not running: stopped (killed by SIGTERM)' });
    expect(await h.sup.command('svc', 'kill')).toMatchObject({ ok: true });
    expect(await h.sup.command('nope', 'start')).toEqual({ ok: false, message: 'no supervised process "nope"' });
  });

  it('reports a command that cannot be run, and restarts it with backoff like a crash', async () => {
    const h = harness([{ id: 'ghost', command: ['/nonexistent/ghost', '--flag'], maxRestarts: 2 }, { id: 'lost', command: SLEEPER, cwd: '/nonexistent-dir', restart: 'temporary' }], {
      backoffMs: [20],
    });
    h.sup.start();
    await h.until(() => h.events('ProcessGaveUp').find((e) => e.data.service === 'ghost'), 'ghost gives up');
    expect(h.sup.list().find((s) => s.service === 'ghost')).toMatchObject({ state: 'failed', subState: 'failed', result: 'start-limit-hit', pid: null });
    expect(h.transitions('ghost')[1]).toMatchObject({ to: 'failed', result: 'spawn-failed', exitCode: null, signal: null });
    expect(await h.sup.command('ghost', 'restart')).toEqual({ ok: false, message: 'crashed: could not start: /nonexistent/ghost: no such file; restart scheduled' });
    await h.until(() => h.transitions('lost').find((t) => t.to === 'failed'), 'lost fails');
    expect(h.sup.inspect('lost')!.message).toBe('cwd /nonexistent-dir: ENOENT');
  });

  it('setProcesses adds, changes (restarting on a new command) and removes processes', async () => {
    const def = (id: string, extra: Record<string, unknown> = {}) => ProcessConfig.parse({ id, command: SLEEPER, ...extra });
    const h = harness([{ id: 'keep', command: SLEEPER }, { id: 'drop', command: SLEEPER }]);
    h.sup.start();
    await h.until(() => h.sup.list().every((s) => s.pid !== null && s.subState === 'running') || undefined, 'both running');
    const keepPid = h.sup.inspect('keep')!.pid!;
    const dropPid = h.sup.inspect('drop')!.pid!;

    await h.sup.setProcesses([def('keep', { expect: 'any' }), def('new')]);
    expect(h.timeline.filter((r) => r.kind === 'removed').map((r) => (r.kind === 'removed' ? r.id : ''))).toEqual(['drop']);
    expect(processGone(dropPid)).toBe(true);
    expect(h.sup.inspect('keep')!.pid).toBe(keepPid); // a policy change does not restart it
    expect(h.sup.list().find((s) => s.service === 'keep')!.expect).toBe('any');
    await h.until(() => h.sup.inspect('new')!.status === 'running' || undefined, 'new running');
    expect(h.sup.list().map((s) => s.service).sort()).toEqual(['keep', 'new']);

    await h.sup.setProcesses([def('keep', { expect: 'any', command: [NODE, '-e', 'setInterval(() => {}, 999)'] }), def('new')]);
    await h.until(() => h.sup.inspect('keep')!.run === 2 && h.sup.inspect('keep')!.status === 'running' || undefined, 'keep respawned');
    expect(processGone(keepPid)).toBe(true);

    await expect(h.sup.setProcesses([def('a'), def('a')])).rejects.toMatchObject({ code: 'DUPLICATE_ID' });
  });
});
