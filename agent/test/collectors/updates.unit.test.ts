/**
 * The background updates checker with REAL child processes: a hung check must be killed with its
 * whole process group (grandchildren too) at the timeout, results must survive failures, and a
 * check must never overlap itself. Package-manager commands are swapped for small node scripts
 * through the injectable runner; the last test runs the real apt-get where there is one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codecs, memoryLogger, type Metrics } from '@sitrep/schemas';
import { createUpdatesChecker, type CommandRunner, type UpdatesChecker } from '../../src/collectors/updates.js';
import { findOnPath } from '../../src/collectors/updates/find-on-path.js';
import { runCommand } from '../../src/collectors/updates/run-command.js';

const node = (script: string, ...args: string[]) => [process.execPath, '-e', script, ...args];
const neverAborted = () => new AbortController().signal;

/** Prints an apt-get -s plan with two upgrades, one of them from the security suite. */
const APT_PLAN = `
process.stdout.write([
  'Inst libssl3 [3.0.11-1~deb12u1] (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])',
  'Inst tzdata [2024a-0+deb12u1] (2024b-0+deb12u1 Debian:12.7/stable [all])',
  'Conf libssl3 (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])',
  '',
].join('\\n'));`;

/** Starts a grandchild that shares our stdout pipe, records both pids, then hangs. */
const HANG = `
const { spawn } = require('node:child_process');
const grandchild = spawn('sleep', ['30'], { stdio: ['ignore', 'inherit', 'inherit'] });
require('node:fs').writeFileSync(process.argv[1], process.pid + ' ' + grandchild.pid);
setInterval(() => {}, 1000);`;

const onlyAptGet = (name: string) => (name === 'apt-get' ? '/usr/bin/apt-get' : null);

/** Alive and not a zombie (a killed orphan may linger unreaped in a container without an init). */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function track(checker: UpdatesChecker): UpdatesChecker {
  cleanups.push(() => checker.stop());
  return checker;
}
function pidFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-updates-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'pids');
}
const readPids = (file: string) => readFileSync(file, 'utf8').split(' ').map(Number) as [number, number];

describe('runCommand', () => {
  it('passes arguments verbatim (no shell), sets LC_ALL=C and reports status and stderr', async () => {
    const out = await runCommand(
      node('console.log(JSON.stringify({ args: process.argv.slice(1), lc: process.env.LC_ALL })); console.error("E: broken"); process.exit(3)', '$(id); echo hi', '*'),
      { signal: neverAborted() },
    );
    expect(out.code).toBe(3);
    expect(JSON.parse(out.stdout)).toEqual({ args: ['$(id); echo hi', '*'], lc: 'C' });
    expect(out.stderr).toBe('E: broken\n');
  });

  it('maps a missing binary and runaway output to coded errors', async () => {
    await expect(runCommand(['/nonexistent/apt-get'], { signal: neverAborted() })).rejects.toMatchObject({ code: 'UPDATES_SPAWN_FAILED' });
    await expect(
      runCommand(node('process.stdout.write("x".repeat(1e6)); setInterval(() => {}, 1000)'), { signal: neverAborted(), maxOutputBytes: 10_000 }),
    ).rejects.toMatchObject({ code: 'UPDATES_OUTPUT_TOO_LARGE' });
  });
});

describe('createUpdatesChecker', () => {
  it('is undefined before the first check and null on a host without a supported package manager', async () => {
    const checker = track(createUpdatesChecker({ every: 3_600_000, timeout: 5_000, log: memoryLogger(), which: () => null }));
    expect(checker.latest()).toBeUndefined();
    expect(await checker.checkNow()).toBeNull();
    expect(checker.latest()).toBeNull();
  });

  it('kills a hung check with its process group at the timeout and keeps the previous result', async () => {
    const log = memoryLogger('updates');
    const pids = pidFile();
    let hang = false;
    const run: CommandRunner = (_argv, o) => runCommand(hang ? node(HANG, pids) : node(APT_PLAN), o);
    const checker = track(createUpdatesChecker({ every: 3_600_000, timeout: 2_000, log, run, which: onlyAptGet, now: () => 1_700_000_000_000 }));

    const first = await checker.checkNow();
    expect(first).toMatchObject({ manager: 'apt', available: 2, security: 1, checkedAt: 1_700_000_000_000 });

    hang = true;
    const started = Date.now();
    await expect(checker.checkNow()).rejects.toMatchObject({ name: 'UpdateCheckError', code: 'UPDATES_TIMEOUT' });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(5_000);

    const [child, grandchild] = readPids(pids);
    await waitFor(() => !alive(child) && !alive(grandchild), 3_000, 'the hung check and its grandchild to die');
    expect(checker.latest()).toEqual(first);
    expect(log.lines).toContainEqual(expect.stringMatching(/^updates warn update check failed, keeping the previous result code=UPDATES_TIMEOUT .*kept="2 available \(apt\)"/));
  });

  it('never runs two checks at once: concurrent requests and the timer join the running check', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const run: CommandRunner = async (_argv, o) => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      try {
        return await runCommand(node(`setTimeout(() => { ${APT_PLAN} }, 150)`), o);
      } finally {
        running--;
      }
    };
    const checker = track(createUpdatesChecker({ every: 1, timeout: 5_000, log: memoryLogger(), run, which: onlyAptGet, firstDelay: 0 }));
    checker.start();
    checker.start(); // a second start is a no-op, not a second timer
    await new Promise((r) => setTimeout(r, 10));
    const joined = await Promise.all([checker.checkNow(), checker.checkNow(), checker.checkNow()]);
    expect(joined[1]).toBe(joined[0]);
    expect(joined[2]).toBe(joined[0]);
    expect(runs).toBe(1);

    // Let the timer (every 1 ms) race with more manual checks until several runs happened
    // (bounded: a loaded machine spawns slowly).
    const until = Date.now() + 15_000;
    while (runs < 4 && Date.now() < until) {
      await Promise.all([checker.checkNow(), new Promise((r) => setTimeout(r, 5)).then(() => checker.checkNow())]);
    }
    expect(runs).toBeGreaterThanOrEqual(4);
    expect(maxRunning).toBe(1);

    checker.stop();
    await new Promise((r) => setTimeout(r, 300));
    const after = runs;
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toBe(after);
  });

  it('starts the first check only after the first delay', async () => {
    const run: CommandRunner = (_argv, o) => runCommand(node(APT_PLAN), o);
    const checker = track(createUpdatesChecker({ every: 3_600_000, timeout: 5_000, log: memoryLogger(), run, which: onlyAptGet, firstDelay: 300 }));
    checker.start();
    await new Promise((r) => setTimeout(r, 150));
    expect(checker.latest()).toBeUndefined();
    await waitFor(() => checker.latest() !== undefined, 5_000, 'the first check');
    expect(checker.latest()).toMatchObject({ available: 2 });
  });

  it('stop() kills a running check and its process group', async () => {
    const log = memoryLogger('updates');
    const pids = pidFile();
    const run: CommandRunner = (_argv, o) => runCommand(node(HANG, pids), o);
    const checker = track(createUpdatesChecker({ every: 3_600_000, timeout: 60_000, log, run, which: onlyAptGet, firstDelay: 0 }));
    checker.start();
    await waitFor(() => {
      try {
        return readPids(pids).every((p) => p > 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
    }, 5_000, 'the check to start');
    const [child, grandchild] = readPids(pids);
    checker.stop();
    await waitFor(() => !alive(child) && !alive(grandchild), 3_000, 'the stopped check to die');
    await waitFor(() => log.lines.some((l) => l.includes('code=UPDATES_STOPPED')), 1_000, 'the log line');
    expect(checker.latest()).toBeUndefined();
  });

  it.skipIf(findOnPath('apt-get') === null)('checks the real apt on this host without root-only operations', { timeout: 90_000 }, async () => {
    const log = memoryLogger('updates');
    const checker = track(createUpdatesChecker({ every: 3_600_000, timeout: 80_000, log }));
    const updates = await checker.checkNow();
    expect(updates).not.toBeNull();
    expect(updates!.manager).toBe('apt');
    expect(Number.isInteger(updates!.available) && updates!.available >= 0).toBe(true);
    expect(updates!.security).not.toBeNull();
    expect(updates!.security!).toBeLessThanOrEqual(updates!.available);
    expect(typeof updates!.rebootRequired).toBe('boolean');
    // Well-formed against the contract, as part of a metrics snapshot.
    const metrics: Metrics = {
      v: 1, node: 'this-host', ts: Date.now(), cpu: { percent: 0 }, disks: [], load: [0, 0, 0], uptime: 0,
      memory: { total: 1, used: 0, available: 1, percent: 0 },
      updates,
    };
    expect(codecs.metrics.problem(metrics)).toBeNull();
    expect(checker.latest()).toEqual(updates);
  });
});
