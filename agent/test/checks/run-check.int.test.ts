/**
 * Running check scripts as REAL child processes: status lines and exit codes, the timeout that
 * kills the whole process group (grandchild included), leftovers of a script that exited,
 * bounded output, scripts that cannot run, and the environment a script gets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryLogger } from '@sitrep/schemas';
import { afterEach, describe, expect, it } from 'vitest';
import { runScript } from '../../src/checks/index.js';
import { BoundedOutput } from '../../src/checks/bounded-output.js';
import { runProcess } from '../../src/checks/run-process.js';
import { alive, cleanup, readPids, shCheck, tempDir, waitFor, writeScript } from '../fixtures/checks/harness.js';

afterEach(cleanup);

const opts = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024, now: () => 1_700_000_000_000 };
/** The two pids (script, its child) a test script wrote to `file`. */
const pidsOf = (file: string) => {
  const pids = readPids(file);
  if (pids?.length !== 2) throw new Error(`${file} does not hold two pids`);
  return pids as [number, number];
};

describe('runScript', () => {
  it('reports the last status line, the exit code, the output and the duration', async () => {
    const dir = tempDir();
    const path = writeScript(dir, 'st.sh', shCheck({ name: 'St', schedule: '5m' }, [
      'echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), WARNING, first"',
      'echo "to stderr" >&2',
      'echo "2024-05-01T03:00:00Z, ok, disk at 91%, still fine"',
      'exit 2',
    ].join('\n')));
    const r = await runScript('st', path, opts);
    expect(r).toMatchObject({ check: 'st', ts: 1_700_000_000_000, status: 'OK', message: 'disk at 91%, still fine', exitCode: 2 });
    expect(r.output).toContain('to stderr');
    expect(r.output).toContain('WARNING, first');
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it('falls back to the exit code without a status line', async () => {
    const dir = tempDir();
    const ok = writeScript(dir, 'ok.sh', shCheck({}, 'echo all fine'));
    const bad = writeScript(dir, 'bad.sh', shCheck({}, 'echo "no backup since Tuesday"; exit 3'));
    expect(await runScript('ok', ok, opts)).toMatchObject({ status: 'OK', message: 'all fine', exitCode: 0 });
    expect(await runScript('bad', bad, opts)).toMatchObject({ status: 'FAILURE', message: 'exit code 3: no backup since Tuesday', exitCode: 3 });
  });

  it('kills the whole process group at the timeout, grandchild included, and reports ERROR', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    // The grandchild ignores SIGTERM, so only the SIGKILL that follows can end it.
    const path = writeScript(dir, 'hang.sh', shCheck({}, [
      `sh -c 'trap "" TERM; while :; do sleep 1; done' &`,
      `echo "$$ $!" > ${pids}`,
      'echo started',
      'wait',
    ].join('\n')));
    const started = Date.now();
    const r = await runScript('hang', path, { ...opts, timeoutMs: 500, killGraceMs: 300 });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(r).toMatchObject({ status: 'ERROR', message: 'timed out after 0.5 s', exitCode: null });
    expect(r.output).toContain('started');
    const [child, grandchild] = pidsOf(pids);
    await waitFor(() => !alive(child) && !alive(grandchild), 3_000, 'the script and its grandchild to die');
  });

  it('does not wait for a background process the script left behind: it is killed when the script exits', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    const path = writeScript(dir, 'leak.sh', shCheck({}, [`sleep 60 &`, `echo "$$ $!" > ${pids}`, 'echo "1714532400, OK, done"'].join('\n')));
    const log = memoryLogger('checks');
    const started = Date.now();
    const r = await runScript('leak', path, { ...opts, log });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(r).toMatchObject({ status: 'OK', message: 'done' });
    expect(log.lines).toEqual(['checks info check exited leaving processes behind; killed them check=leak']);
    const [, leftover] = pidsOf(pids);
    await waitFor(() => !alive(leftover), 3_000, 'the leftover sleep to be killed');
  });

  it('keeps the output within maxOutputBytes, with a marker, and still finds a status line past the limit', async () => {
    const dir = tempDir();
    const path = writeScript(dir, 'noisy.sh', shCheck({}, [
      'echo BEGIN',
      'i=0; while [ $i -lt 3000 ]; do echo "line $i of noise noise noise noise"; i=$((i+1)); done',
      'echo "1714532400, WARNING, said after 100 KB"',
      'echo END',
    ].join('\n')));
    const r = await runScript('noisy', path, { ...opts, maxOutputBytes: 4096 });
    expect(r).toMatchObject({ status: 'WARNING', message: 'said after 100 KB' });
    expect(Buffer.byteLength(r.output!)).toBeLessThanOrEqual(4096);
    expect(r.output).toMatch(/^BEGIN\n/);
    expect(r.output).toMatch(/END\n$/);
    expect(r.output).toMatch(/\[\.\.\. sitrep: \d+ bytes of output omitted \.\.\.\]/);
  });

  it('refuses a script that is not executable, with a clear ERROR, without running it', async () => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    const path = writeScript(dir, 'noexec.sh', shCheck({}, `touch ${marker}`), 0o644);
    const r = await runScript('noexec', path, opts);
    expect(r).toMatchObject({ status: 'ERROR', exitCode: null, durationMs: 0 });
    expect(r.message).toMatch(/noexec\.sh is not executable \(EACCES\): chmod 755 it/);
    expect(() => readFileSync(marker)).toThrow();
  });

  it('reports a missing script and a missing interpreter as ERROR', async () => {
    const dir = tempDir();
    expect(await runScript('gone', join(dir, 'gone.sh'), opts)).toMatchObject({ status: 'ERROR', message: expect.stringMatching(/cannot find .*gone\.sh: ENOENT/) });
    const path = writeScript(dir, 'interp.sh', '#!/nonexistent/interpreter\n# name: I\n# schedule: 5m\n');
    expect(await runScript('interp', path, opts)).toMatchObject({ status: 'ERROR', message: expect.stringMatching(/cannot run .*interp\.sh: ENOENT/) });
  });

  it('passes a small environment, not the agent\'s (which may hold secrets)', async () => {
    process.env['SITREP_TEST_SECRET'] = 'hunter2';
    try {
      const dir = tempDir();
      const path = writeScript(dir, 'env.sh', shCheck({}, 'echo "secret=${SITREP_TEST_SECRET:-unset} id=$SITREP_CHECK_ID cwd=$(pwd)"; command -v sh >/dev/null && echo path-ok'));
      const r = await runScript('env-check', path, opts);
      expect(r.output).toContain('secret=unset id=env-check cwd=/');
      expect(r.output).toContain('path-ok');
    } finally {
      delete process.env['SITREP_TEST_SECRET'];
    }
  });

  it('stops a run when its signal is aborted, process group and all', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    const path = writeScript(dir, 'long.sh', shCheck({}, [`sleep 60 &`, `echo "$$ $!" > ${pids}`, 'wait'].join('\n')));
    const controller = new AbortController();
    const run = runScript('long', path, { ...opts, signal: controller.signal, killGraceMs: 200 });
    await waitFor(() => readPids(pids)?.length === 2, 3_000, 'the script to start');
    controller.abort();
    expect(await run).toMatchObject({ status: 'ERROR', message: 'stopped before it finished' });
    const [child, grandchild] = pidsOf(pids);
    await waitFor(() => !alive(child) && !alive(grandchild), 3_000, 'the script and its child to die');
  });
});

describe('runProcess', () => {
  it('passes arguments verbatim, never through a shell', async () => {
    const r = await runProcess([process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '$(id); echo hi', '*'], {
      timeoutMs: 5_000,
      maxOutputBytes: 1024,
      env: {},
    });
    expect(r).toMatchObject({ end: 'exited', exitCode: 0 });
    expect(JSON.parse(r.output)).toEqual(['$(id); echo hi', '*']);
  });

  it('maps an empty argv and an argument with NUL to spawn-failed instead of throwing', async () => {
    const o = { timeoutMs: 1_000, maxOutputBytes: 1024, env: {} };
    expect(await runProcess([], o)).toMatchObject({ end: 'spawn-failed' });
    expect(await runProcess(['/bin/echo', 'a\u0000b'], o)).toMatchObject({ end: 'spawn-failed' });
  });
});

describe('BoundedOutput', () => {
  it('keeps everything up to the budget and head + marker + tail beyond it, on UTF-8 boundaries', () => {
    const small = new BoundedOutput(256);
    small.push(Buffer.from('short'));
    expect(small.text()).toBe('short');
    expect(small.truncated).toBe(false);

    const big = new BoundedOutput(300);
    for (let i = 0; i < 100; i++) big.push(Buffer.from(`é${i}€\n`));
    const text = big.text();
    expect(big.truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(300);
    expect(text).not.toContain('\uFFFD');
    expect(text.startsWith('é0€\n')).toBe(true);
    expect(text.endsWith('é99€\n')).toBe(true);
  });
});
