/** `sitrep check` round trips as a host operator runs them: real CLI processes, real scripts. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const SITREP = fileURLToPath(new URL('../bin/sitrep.js', import.meta.url));
const sitrep = (...args: string[]) => execa('node', [SITREP, ...args], { reject: false });

describe('sitrep check', () => {
  it('adds, lists, runs and removes a check, and refuses a bad header with its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitrep-check-cli-'));
    const where = ['--dir', join(dir, 'checks.d'), '--state', join(dir, 'state')];
    const script = join(dir, 'backups.sh');
    writeFileSync(script, '#!/bin/sh\n# name: Backups\n# version: 1.2.0\n# schedule: daily\necho "2026-11-23T10:00:00Z, FAILURE, no backup since Monday"\nexit 1\n');
    chmodSync(script, 0o755);

    const added = await sitrep('check', 'add', script, ...where);
    expect(added.stdout).toMatch(/^added check backups \(Backups, daily\)/);
    expect((await sitrep('check', 'add', script, ...where)).stderr).toMatch(/already installed/);

    const list = await sitrep('check', 'list', ...where);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+VERSION\s+SCHEDULE\s+STATUS\s+LAST RUN\s+NEXT RUN$/m);
    expect(list.stdout).toMatch(/^backups\s+Backups\s+1\.2\.0\s+daily/m);

    const run = await sitrep('check', 'run', 'backups', ...where);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^backups: FAILURE no backup since Monday/);

    const bad = join(dir, 'bad.sh');
    writeFileSync(bad, '#!/bin/sh\n# name: Bad\n# schedule: every tuesday\n');
    const refused = await sitrep('check', 'add', bad, ...where);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/line 3: schedule "every tuesday"/);

    expect((await sitrep('check', 'remove', 'backups', ...where)).stdout).toMatch(/^removed .*backups\.sh$/m);
    expect((await sitrep('check', 'list', ...where)).stdout).toBe('no checks');
  }, 120_000); // seven CLI starts: seconds each on a loaded machine
});
