import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkApt, parseAptSimulation } from '../../src/collectors/updates/apt.js';
import type { CheckContext } from '../../src/collectors/updates/check-context.js';
import { checkDnf, parseDnfCheckUpdate, parseDnfSecurity, parseNeedsRestarting } from '../../src/collectors/updates/dnf.js';
import { checkPacman, parsePacmanUpdates } from '../../src/collectors/updates/pacman.js';
import type { CommandOutput, CommandRunner } from '../../src/collectors/updates/run-command.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/updates/${name}`, import.meta.url), 'utf8');

describe('apt-get -s upgrade', () => {
  it('counts Inst lines and those from a -security suite (recorded on Debian 12)', () => {
    expect(parseAptSimulation(fixture('apt-upgrade-bookworm.txt'))).toEqual({ available: 128, security: 81 });
  });

  it('reads Ubuntu origins and ignores kept-back packages and Conf lines', () => {
    expect(parseAptSimulation(fixture('apt-upgrade-jammy.txt'))).toEqual({ available: 5, security: 2 });
  });

  it('reports zero on an up-to-date host', () => {
    expect(parseAptSimulation(fixture('apt-upgrade-none.txt'))).toEqual({ available: 0, security: 0 });
  });

  it('only looks for -security in the origins, not in the package name', () => {
    expect(parseAptSimulation('Inst python3-security-tool [1.0] (1.1 Debian:12.5/stable [all])\n')).toEqual({ available: 1, security: 0 });
  });
});

describe('dnf', () => {
  it('counts distinct name.arch of check-update, wrapped lines and the Obsoleting section included once', () => {
    expect(parseDnfCheckUpdate(fixture('dnf-check-update-fc40.txt'))).toBe(8);
    expect(parseDnfCheckUpdate(fixture('dnf5-check-update-fc41.txt'))).toBe(3);
    expect(parseDnfCheckUpdate('')).toBe(0);
  });

  it('counts distinct packages with security advisories, dnf 4 and dnf 5 layouts', () => {
    expect(parseDnfSecurity(fixture('dnf-updateinfo-security-fc40.txt'))).toBe(3);
    expect(parseDnfSecurity(fixture('dnf5-updateinfo-security-fc41.txt'))).toBe(2);
    expect(parseDnfSecurity('')).toBe(0);
  });

  it('maps needs-restarting -r exit codes', () => {
    expect([parseNeedsRestarting(1), parseNeedsRestarting(0), parseNeedsRestarting(2), parseNeedsRestarting(null)]).toEqual([true, false, null, null]);
  });
});

describe('pacman', () => {
  it('counts update lines, not ignored packages', () => {
    expect(parsePacmanUpdates(fixture('pacman-checkupdates.txt'))).toBe(4);
    expect(parsePacmanUpdates(fixture('pacman-Qu-ignored.txt'))).toBe(1);
    expect(parsePacmanUpdates('')).toBe(0);
  });
});

/**
 * The per-manager flows on recorded outputs: which commands run, what each exit status means.
 * (Scheduling, timeouts and process groups are tested with real processes in updates.unit.test.ts.)
 */
type Recording = Partial<CommandOutput> & { code: number | null };
function recorded(answers: Record<string, Recording>) {
  const calls: string[] = [];
  const run: CommandRunner = async (argv) => {
    const key = [basename(argv[0]!), ...argv.slice(1)].join(' ');
    calls.push(key);
    const a = answers[key];
    if (a === undefined) throw new Error(`unexpected command: ${key}`);
    return { signal: null, stdout: '', stderr: '', ...a };
  };
  return { run, calls };
}
function ctx(run: CommandRunner, onPath: string[] = []): CheckContext {
  return { run, signal: new AbortController().signal, which: (n) => (onPath.includes(n) ? `/usr/bin/${n}` : null), now: () => 1_700_000_000_000 };
}

describe('per-manager checks on recorded outputs', () => {
  it('apt: simulated upgrade; a failing apt-get is a coded error with its message', async () => {
    const ok = recorded({ 'apt-get -s -o Debug::NoLocking=true upgrade': { code: 0, stdout: fixture('apt-upgrade-jammy.txt') } });
    expect(await checkApt('/usr/bin/apt-get', ctx(ok.run))).toMatchObject({ manager: 'apt', available: 5, security: 2, checkedAt: 1_700_000_000_000 });

    const broken = recorded({ 'apt-get -s -o Debug::NoLocking=true upgrade': { code: 100, stderr: fixture('apt-upgrade-error.stderr.txt') } });
    await expect(checkApt('/usr/bin/apt-get', ctx(broken.run))).rejects.toMatchObject({
      code: 'UPDATES_COMMAND_FAILED',
      message: 'apt-get -s upgrade exited with 100: E: The package lists or status file could not be parsed or opened.',
    });
  });

  it('dnf: exit 100 with security and reboot answers', async () => {
    const r = recorded({
      'dnf -q check-update': { code: 100, stdout: fixture('dnf-check-update-fc40.txt') },
      'dnf -q updateinfo list --security': { code: 0, stdout: fixture('dnf-updateinfo-security-fc40.txt') },
      'needs-restarting -r': { code: 1, stdout: 'Core libraries or services have been updated since boot-up:\n  * kernel\n\nReboot is required to fully utilize these updates.\n' },
    });
    expect(await checkDnf('/usr/bin/dnf', ctx(r.run, ['needs-restarting']))).toEqual({
      manager: 'dnf', available: 8, security: 3, rebootRequired: true, checkedAt: 1_700_000_000_000,
    });
  });

  it('dnf: exit 0 is none (no updateinfo run), a failing updateinfo is "cannot tell", no needs-restarting is null', async () => {
    const none = recorded({ 'dnf -q check-update': { code: 0 } });
    expect(await checkDnf('/usr/bin/dnf', ctx(none.run))).toMatchObject({ available: 0, security: 0, rebootRequired: null });
    expect(none.calls).toEqual(['dnf -q check-update']);

    const noInfo = recorded({
      'dnf -q check-update': { code: 100, stdout: fixture('dnf5-check-update-fc41.txt') },
      'dnf -q updateinfo list --security': { code: 1, stderr: 'Error: No repositories with updateinfo\n' },
      'needs-restarting -r': { code: 0 },
    });
    expect(await checkDnf('/usr/bin/dnf', ctx(noInfo.run, ['needs-restarting']))).toMatchObject({ available: 3, security: null, rebootRequired: false });
  });

  it('dnf: exit 1 is a coded error', async () => {
    const r = recorded({ 'dnf -q check-update': { code: 1, stderr: fixture('dnf-check-update-error.stderr.txt') } });
    await expect(checkDnf('/usr/bin/dnf', ctx(r.run))).rejects.toMatchObject({ code: 'UPDATES_COMMAND_FAILED', message: expect.stringContaining("Failed to download metadata for repo 'fedora'") });
  });

  it('pacman: checkupdates when present (2 = none, 1 = error), pacman -Qu otherwise (1 without error = none)', async () => {
    const cu = recorded({ checkupdates: { code: 0, stdout: fixture('pacman-checkupdates.txt') } });
    expect(await checkPacman('/usr/bin/pacman', ctx(cu.run, ['checkupdates']))).toEqual({
      manager: 'pacman', available: 4, security: null, rebootRequired: null, checkedAt: 1_700_000_000_000,
    });
    expect(await checkPacman('/usr/bin/pacman', ctx(recorded({ checkupdates: { code: 2 } }).run, ['checkupdates']))).toMatchObject({ available: 0 });
    await expect(
      checkPacman('/usr/bin/pacman', ctx(recorded({ checkupdates: { code: 1, stderr: '==> ERROR: Cannot fetch updates\n' } }).run, ['checkupdates'])),
    ).rejects.toMatchObject({ code: 'UPDATES_COMMAND_FAILED', message: 'checkupdates exited with 1: ==> ERROR: Cannot fetch updates' });

    expect(await checkPacman('/usr/bin/pacman', ctx(recorded({ 'pacman -Qu': { code: 0, stdout: fixture('pacman-Qu-ignored.txt') } }).run))).toMatchObject({ available: 1 });
    expect(await checkPacman('/usr/bin/pacman', ctx(recorded({ 'pacman -Qu': { code: 1 } }).run))).toMatchObject({ available: 0 });
    await expect(
      checkPacman('/usr/bin/pacman', ctx(recorded({ 'pacman -Qu': { code: 1, stderr: 'error: failed to init transaction (unable to lock database)\n' } }).run)),
    ).rejects.toMatchObject({ code: 'UPDATES_COMMAND_FAILED' });
  });
});
