/**
 * The CLI helpers: installing a check (validated, 0755, atomic, no clobbering unless asked),
 * removing one, listing checks with the agent's saved results, and the plain text table.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addCheck,
  CheckMetadataError,
  describeChecks,
  formatCheckTable,
  readCheckState,
  removeCheck,
  type CheckInfo,
  type CheckStateFile,
} from '../../src/checks/index.js';
import { writeCheckState } from '../../src/checks/check-state.js';
import { cleanup, shCheck, tempDir, writeScript } from '../fixtures/checks/harness.js';

afterEach(cleanup);

const source = (name: string, schedule = '5m', mode = 0o600) => writeScript(tempDir(), name, shCheck({ name: `Check ${name}`, schedule }, 'true'), mode);

describe('addCheck', () => {
  it('validates, copies with mode 0755 whatever the source mode, and leaves no temporary file', async () => {
    const dir = join(tempDir(), 'checks.d'); // created on demand
    const src = source('backups.sh');
    const added = await addCheck(dir, src);
    const target = join(dir, 'backups.sh');
    expect(added).toMatchObject({ check: { id: 'backups', name: 'Check backups.sh', path: target }, replaced: [] });
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(readFileSync(target, 'utf8')).toBe(readFileSync(src, 'utf8'));
    expect(readdirSync(dir)).toEqual(['backups.sh']);
  });

  it('refuses invalid metadata with the line, and installs nothing', async () => {
    const dir = tempDir();
    const src = writeScript(tempDir(), 'bad.sh', shCheck({ name: 'Bad', schedule: 'every tuesday' }, 'true'));
    await expect(addCheck(dir, src)).rejects.toBeInstanceOf(CheckMetadataError);
    await expect(addCheck(dir, src)).rejects.toMatchObject({ line: 3, message: expect.stringMatching(/^bad\.sh line 3: schedule "every tuesday"/) });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses an id that is installed, also under another extension, unless replace is set', async () => {
    const dir = tempDir();
    await addCheck(dir, source('web.py'));
    await expect(addCheck(dir, source('web.sh'))).rejects.toMatchObject({ code: 'CHECK_EXISTS', message: expect.stringContaining('"web"') });
    const replaced = await addCheck(dir, source('web.sh', '10m'), { replace: true });
    expect(replaced.replaced).toEqual([join(dir, 'web.py')]);
    expect(readdirSync(dir)).toEqual(['web.sh']);
    expect(readFileSync(join(dir, 'web.sh'), 'utf8')).toContain('# schedule: 10m');
  });

  it('refuses what is not a readable file', async () => {
    await expect(addCheck(tempDir(), join(tempDir(), 'missing.sh'))).rejects.toMatchObject({ code: 'CHECK_UNREADABLE' });
    await expect(addCheck(tempDir(), tempDir())).rejects.toMatchObject({ code: 'CHECK_UNREADABLE', message: expect.stringContaining('not a regular file') });
  });
});

describe('removeCheck', () => {
  it('removes every file of the id and refuses unknown and invalid ids', async () => {
    const dir = tempDir();
    await addCheck(dir, source('a.sh'));
    await addCheck(dir, source('b.sh'));
    expect(await removeCheck(dir, 'a')).toEqual([join(dir, 'a.sh')]);
    expect(readdirSync(dir)).toEqual(['b.sh']);
    await expect(removeCheck(dir, 'a')).rejects.toMatchObject({ code: 'CHECK_NOT_FOUND' });
    await expect(removeCheck(dir, '../etc/passwd')).rejects.toMatchObject({ code: 'CHECK_ID_INVALID' });
  });
});

describe('describeChecks and readCheckState', () => {
  it('lists the scripts with the results the agent saved, plus its probes', async () => {
    const dir = tempDir();
    const stateDir = tempDir();
    await addCheck(dir, source('a.sh', '1h'));
    await addCheck(dir, source('b.sh', 'daily'));
    writeFileSync(join(dir, '.half-written.tmp'), 'ignored');
    writeFileSync(join(dir, 'b.sh~'), 'ignored editor backup');
    const base = { description: null, version: null, timeoutMs: 10_000, running: false, lastDurationMs: 12, lastExitCode: 0, lastOutput: 'x' };
    const state: CheckStateFile = {
      version: 1,
      writtenAt: 1,
      checks: {
        a: { ...base, id: 'a', kind: 'script', name: 'Check a.sh', schedule: '1h', path: join(dir, 'a.sh'), lastStatus: 'WARNING', lastMessage: 'hm', lastRun: 1_000, nextRun: 2_000 },
        web: { ...base, id: 'web', kind: 'probe', name: 'Web', schedule: '60s', path: null, lastStatus: 'OK', lastMessage: 'HTTP 200', lastRun: 1_500, nextRun: null },
        removed: { ...base, id: 'removed', kind: 'script', name: 'Gone', schedule: '1h', path: '/x', lastStatus: 'OK', lastMessage: '', lastRun: 1, nextRun: 2 },
      },
    };
    await writeCheckState(stateDir, state);
    expect(await readCheckState(stateDir)).toEqual(state);

    const { checks, invalid } = await describeChecks(dir, stateDir);
    expect(invalid).toEqual([]);
    expect(checks.map((c) => [c.id, c.kind, c.lastStatus, c.nextRun])).toEqual([
      ['a', 'script', 'WARNING', 2_000],
      ['b', 'script', null, null],
      ['web', 'probe', 'OK', null],
    ]);
  });

  it('reads no state as null and a broken file as CHECK_STATE_UNREADABLE', async () => {
    const stateDir = tempDir();
    expect(await readCheckState(stateDir)).toBeNull();
    writeFileSync(join(stateDir, 'checks-state.json'), '{ not json');
    await expect(readCheckState(stateDir)).rejects.toMatchObject({ code: 'CHECK_STATE_UNREADABLE' });
    writeFileSync(join(stateDir, 'checks-state.json'), '{"version": 2, "checks": {}}');
    await expect(readCheckState(stateDir)).rejects.toMatchObject({ code: 'CHECK_STATE_UNREADABLE', message: expect.stringContaining('version 1') });
  });
});

describe('formatCheckTable', () => {
  const info = (over: Partial<CheckInfo>): CheckInfo => ({
    id: 'x', kind: 'script', name: 'X', description: null, version: null, schedule: '5m', timeoutMs: 1, path: null,
    running: false, lastStatus: null, lastMessage: null, lastRun: null, lastDurationMs: null, nextRun: null, ...over,
  });
  const t = (ms: number) => `T${ms}`;

  it('prints aligned columns with - for unknowns', () => {
    const table = formatCheckTable(
      [
        info({ id: 'backups', name: 'Backups', version: '1.0.0', schedule: '*:0/5', lastStatus: 'OK', lastRun: 1, nextRun: 2 }),
        info({ id: 'web', kind: 'probe', name: 'Web front page', schedule: '60s', lastStatus: 'FAILURE', running: true, lastRun: 3 }),
        info({ id: 'new', name: 'New' }),
      ],
      t,
    );
    expect(table).toBe(
      [
        'ID       NAME            VERSION  SCHEDULE  STATUS             LAST RUN  NEXT RUN',
        'backups  Backups         1.0.0    *:0/5     OK                 T1        T2',
        'web      Web front page  -        60s       FAILURE (running)  T3        -',
        'new      New             -        5m        -                  -         -',
        '',
      ].join('\n'),
    );
  });

  it('says so when there are no checks, and prints local times by default', () => {
    expect(formatCheckTable([])).toBe('no checks\n');
    const at = new Date(2024, 4, 15, 10, 7, 30).getTime();
    expect(formatCheckTable([info({ lastRun: at })])).toContain('2024-05-15 10:07:30');
  });
});
