/**
 * The check scheduler with REAL scripts, a real directory watch and real 1 s schedules: checks
 * added and removed while it runs, invalid files, slots skipped while a run is still going,
 * runNow, probes, stop() killing runs, and results surviving a restart through checks-state.json.
 * Every wait is on an event or a condition with a deadline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryLogger } from '@sitrep/schemas';
import type { ProbeConfig } from '@sitrep/schemas/config';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addCheck,
  CheckError,
  createCheckScheduler,
  readCheckState,
  removeCheck,
  type CheckInfo,
  type CheckRunResult,
  type CheckScheduler,
  type CheckSchedulerOptions,
} from '../../src/checks/index.js';
import { alive, cleanup, Inbox, readPids, shCheck, tempDir, track, waitFor, writeScript } from '../fixtures/checks/harness.js';

afterEach(cleanup);

interface Harness {
  scheduler: CheckScheduler;
  results: Inbox<CheckRunResult>;
  invalid: Inbox<{ file: string; error: CheckError }>;
  changes: Inbox<CheckInfo[]>;
  log: ReturnType<typeof memoryLogger>;
  dir: string;
  stateDir: string;
}

function harness(over: Partial<CheckSchedulerOptions> & { dir?: string; stateDir?: string } = {}): Harness {
  const dir = over.dir ?? tempDir();
  const stateDir = over.stateDir ?? tempDir();
  const results = new Inbox<CheckRunResult>();
  const invalid = new Inbox<{ file: string; error: CheckError }>();
  const changes = new Inbox<CheckInfo[]>();
  const log = memoryLogger('checks');
  const scheduler = createCheckScheduler({
    checksDir: dir,
    probes: [],
    defaultTimeoutMs: 10_000,
    maxOutputBytes: 4096,
    stateDir,
    log,
    onResult: (_check, result) => results.push(result),
    onInvalid: (file, error) => invalid.push({ file, error }),
    onChange: changes.push,
    watchDebounceMs: 50,
    // Long enough that a pickup within the test can only come from the directory watch.
    rescanIntervalMs: 60_000,
    killGraceMs: 200,
    ...over,
  });
  track(scheduler, (s) => s.stop());
  return { scheduler, results, invalid, changes, log, dir, stateDir };
}

const readPid = (file: string) => readPids(file)?.[0] ?? null;

describe('createCheckScheduler', () => {
  it('picks up a check added while it runs (no restart) and runs it every second', async () => {
    const h = harness();
    await h.scheduler.start();
    expect(h.scheduler.list()).toEqual([]);

    const src = writeScript(tempDir(), 'fresh.sh', shCheck({ name: 'Fresh', schedule: '1s' }, 'echo "$(date -u +%s), OK, fresh and fine"'), 0o644);
    await addCheck(h.dir, src);

    const changed = await h.changes.next((l) => l.some((c) => c.id === 'fresh'), 3_000, 'the new check to be listed');
    expect(changed.find((c) => c.id === 'fresh')).toMatchObject({ name: 'Fresh', schedule: '1s', kind: 'script', lastStatus: null });
    const first = await h.results.next((r) => r.check === 'fresh', 3_000, 'the first run');
    expect(first).toMatchObject({ status: 'OK', message: 'fresh and fine', exitCode: 0 });
    const second = await h.results.next((r) => r.check === 'fresh' && r !== first, 3_000, 'the second run');
    expect(second.ts - first.ts).toBeGreaterThanOrEqual(800);

    const info = h.scheduler.list().find((c) => c.id === 'fresh')!;
    expect(info).toMatchObject({ lastStatus: 'OK', lastMessage: 'fresh and fine' });
    expect(info.lastRun).toBeGreaterThanOrEqual(second.ts);
    expect(info.nextRun).toBeGreaterThan(Date.now() - 1_000);
    await waitFor(() => readFileSync(join(h.stateDir, 'checks-state.json'), 'utf8').includes('fresh and fine'), 2_000, 'the state file');
    const state = await readCheckState(h.stateDir);
    expect(state?.checks['fresh']).toMatchObject({ lastStatus: 'OK', lastOutput: expect.stringContaining('fresh and fine') });
  });

  it('notices a removed check, forgets it and refuses runNow for it', async () => {
    const h = harness();
    writeScript(h.dir, 'gone.sh', shCheck({ name: 'Gone', schedule: '1h' }, 'true'));
    await h.scheduler.start();
    expect(h.scheduler.list().map((c) => c.id)).toEqual(['gone']);
    expect(await h.scheduler.runNow('gone')).toMatchObject({ status: 'OK' });

    await removeCheck(h.dir, 'gone');
    await h.changes.next((l) => !l.some((c) => c.id === 'gone'), 3_000, 'the removal to be noticed');
    expect(h.scheduler.list()).toEqual([]);
    await expect(h.scheduler.runNow('gone')).rejects.toMatchObject({ code: 'CHECK_NOT_FOUND' });
  });

  it('reports an invalid script with its line once per version, keeps the others, and takes it once fixed', async () => {
    const h = harness();
    writeScript(h.dir, 'good.sh', shCheck({ name: 'Good', schedule: '1h' }, 'true'));
    const bad = writeScript(h.dir, 'bad.sh', shCheck({ name: 'Bad', schedule: 'every tuesday' }, 'true'));
    await h.scheduler.start();

    const report = await h.invalid.next((i) => i.file === bad, 1_000, 'the invalid report');
    expect(report.error).toMatchObject({ code: 'CHECK_METADATA_INVALID', line: 3, reason: expect.stringMatching(/^schedule "every tuesday" is not valid/) });
    expect(h.log.lines).toContainEqual(expect.stringMatching(/checks warn invalid check .*line=3 code=CHECK_METADATA_INVALID/));
    expect(h.scheduler.list().map((c) => c.id)).toEqual(['good']);

    const again = await h.scheduler.reload();
    expect(again.invalid.map((i) => i.file)).toEqual([bad]);
    expect(h.invalid.items).toHaveLength(1);

    writeFileSync(bad, shCheck({ name: 'Bad no more', schedule: 'Tue 10:00' }, 'true'));
    await h.changes.next((l) => l.some((c) => c.id === 'bad'), 3_000, 'the fixed script to be taken');
    expect(h.scheduler.list().find((c) => c.id === 'bad')).toMatchObject({ name: 'Bad no more', schedule: 'Tue 10:00' });
  });

  it('never runs a check twice at once: slots during a run are skipped and logged, runNow joins the run', async () => {
    const h = harness();
    const lock = join(tempDir(), 'lock');
    writeScript(h.dir, 'slow.sh', shCheck({ name: 'Slow', schedule: '1s' }, [
      `if [ -e ${lock} ]; then echo "1714532400, ERROR, overlapping run"; exit 1; fi`,
      `touch ${lock}`,
      'sleep 2.2',
      `rm ${lock}`,
      'echo "1714532400, OK, slow but alone"',
    ].join('\n')));
    await h.scheduler.start();

    await waitFor(() => h.scheduler.list()[0]!.running, 3_000, 'the first run to start');
    const [a, b] = [h.scheduler.runNow('slow'), h.scheduler.runNow('slow')];
    expect(a).toBe(b);
    expect(await a).toMatchObject({ status: 'OK', message: 'slow but alone' });
    await waitFor(() => h.log.lines.some((l) => /check still running at its next slot; skipping the slot check=slow/.test(l)), 3_000, 'a skipped slot');
    expect(h.results.items.filter((r) => r.check === 'slow').every((r) => r.status === 'OK')).toBe(true);
  });

  it('runs probes on their schedule, and refuses a bad probe schedule and a script that takes a probe id', async () => {
    const probes: ProbeConfig[] = [
      { id: 'cmd', schedule: '1s', timeout: 5_000, probe: { type: 'command', argv: [process.execPath, '-e', 'console.log("probe ok")'], expectExit: 0 }, actions: [] },
      { id: 'later', schedule: 'whenever', timeout: 5_000, probe: { type: 'tcp', host: '127.0.0.1', port: 1 }, actions: [] },
    ];
    const dir = tempDir();
    const clash = writeScript(dir, 'cmd.sh', shCheck({ name: 'Clash', schedule: '1h' }, 'true'));
    const h = harness({ dir, probes });
    await h.scheduler.start();

    expect(h.scheduler.list().map((c) => [c.id, c.kind])).toEqual([['cmd', 'probe']]);
    expect(await h.results.next((r) => r.check === 'cmd', 3_000, 'the probe to run')).toMatchObject({ status: 'OK', message: 'exit code 0: probe ok' });
    expect(h.invalid.items.map((i) => [i.file, i.error.code])).toEqual([
      ['probes[1] (later)', 'CHECK_METADATA_INVALID'],
      [clash, 'CHECK_ID_TAKEN'],
    ]);
  });

  it('stop() kills running checks, does not report them, and saves that nothing is scheduled', async () => {
    const h = harness();
    const pidFile = join(tempDir(), 'pid');
    writeScript(h.dir, 'long.sh', shCheck({ name: 'Long', schedule: '1h' }, `sleep 60 & echo $! > ${pidFile}; wait`));
    await h.scheduler.start();
    const run = h.scheduler.runNow('long');
    await waitFor(() => readPid(pidFile) !== null, 3_000, 'the check to start');

    await h.scheduler.stop();
    expect(await run).toMatchObject({ status: 'ERROR', message: 'stopped before it finished' });
    await waitFor(() => !alive(readPid(pidFile)!), 3_000, 'the check process to die');
    expect(h.results.items).toEqual([]);
    expect((await readCheckState(h.stateDir))?.checks['long']).toMatchObject({ nextRun: null, running: false });
    await expect(h.scheduler.runNow('long')).rejects.toMatchObject({ code: 'CHECK_SCHEDULER_STOPPED' });
  });

  it('finds a directory created after start (periodic rescan) and applies an edited header', async () => {
    const dir = join(tempDir(), 'checks.d');
    const h = harness({ dir, rescanIntervalMs: 200 });
    await h.scheduler.start();
    expect(h.log.lines).toContainEqual(expect.stringMatching(/checks info checks directory does not exist; no scripted checks/));

    await addCheck(dir, writeScript(tempDir(), 'late.sh', shCheck({ name: 'Late', schedule: '1h' }, 'true')));
    await h.changes.next((l) => l.some((c) => c.id === 'late'), 3_000, 'the late directory to be scanned');
    const before = h.scheduler.list()[0]!.nextRun!;

    writeFileSync(join(dir, 'late.sh'), shCheck({ name: 'Later', schedule: '*:*:0/10', timeout: '5s' }, 'true'));
    await h.changes.next((l) => l.some((c) => c.name === 'Later'), 3_000, 'the edit to be applied');
    const after = h.scheduler.list()[0]!;
    expect(after).toMatchObject({ id: 'late', name: 'Later', schedule: '*:*:0/10', timeoutMs: 5_000 });
    expect(after.nextRun).toBeLessThan(before);
    expect(after.nextRun! % 10_000).toBe(0);
  });

  it('shows the last results again after a restart (from checks-state.json)', async () => {
    const dir = tempDir();
    const stateDir = tempDir();
    writeScript(dir, 'warn.sh', shCheck({ name: 'Warn', schedule: '1h' }, 'echo "1714532400, WARNING, 85% full"'));
    const first = harness({ dir, stateDir });
    await first.scheduler.start();
    const r = await first.scheduler.runNow('warn');
    await first.scheduler.stop();

    const second = harness({ dir, stateDir });
    await second.scheduler.start();
    expect(second.scheduler.list()[0]).toMatchObject({ id: 'warn', lastStatus: 'WARNING', lastMessage: '85% full', lastRun: r.ts });
    expect(second.scheduler.list()[0]!.nextRun).toBeGreaterThan(Date.now());
  });
});
