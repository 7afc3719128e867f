/** The metadata header: what it yields, and every refusal with its line number and reason. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckMetadataError, checkIdFromFile, parseCheckMetadata, readCheckMetadata } from '../../src/checks/index.js';

const fixtures = join(import.meta.dirname, '../fixtures/checks');

describe('parseCheckMetadata', () => {
  it('reads a full header and ignores free-text comments and everything after the first line of code', async () => {
    const def = await readCheckMetadata(join(fixtures, 'backups.sh'));
    expect(def).toMatchObject({
      id: 'backups',
      name: 'Backups',
      description: "last night's backup exists and is fresh",
      version: '1.0.0',
      timeoutMs: 30_000,
      path: join(fixtures, 'backups.sh'),
    });
    expect(def.schedule).toMatchObject({ text: '*:0/5', kind: 'calendar' });
  });

  it('reads // comments (node scripts) and durations', () => {
    const def = parseCheckMetadata(readFileSync(join(fixtures, 'disk-usage.js'), 'utf8'), '/x/disk-usage.js');
    expect(def).toMatchObject({ id: 'disk-usage', name: 'Disk usage', timeoutMs: 120_000 });
    expect(def.version).toBeUndefined();
    expect(def.description).toBeUndefined();
  });

  it('leaves the timeout unset when the header has none, accepts blank lines, CRLF and any key case', () => {
    const def = parseCheckMetadata('#!/bin/sh\r\n\r\n# Name: Up\r\n# SCHEDULE: 5m\r\nexit 0\r\n', 'up');
    expect(def).toMatchObject({ id: 'up', name: 'Up' });
    expect(def.schedule.text).toBe('5m');
    expect(def.timeoutMs).toBeUndefined();
  });

  it.each([
    ['backups.sh', 'backups'],
    ['disk.usage.py', 'disk.usage'],
    ['check', 'check'],
    ['/etc/sitrep/checks.d/web@front.sh', 'web@front'],
  ])('the id of %s is %s', (file, id) => {
    expect(checkIdFromFile(file)).toBe(id);
  });

  const h = (...lines: string[]) => `${lines.join('\n')}\n`;
  it.each<[string, string, string, number, RegExp]>([
    ['bad schedule', 'x.sh', h('#!/bin/sh', '# name: X', '# schedule: every tuesday', 'true'), 3, /^schedule "every tuesday" is not valid: "every" is not a weekday/],
    ['name too long', 'x.sh', h('#!/bin/sh', `# name: ${'n'.repeat(101)}`, '# schedule: 5m'), 2, /^name is longer than 100 characters \(101\)$/],
    ['missing name', 'x.sh', h('#!/bin/sh', '# schedule: 5m', 'echo hi'), 3, /^the header has no "# name:" line/],
    ['missing schedule', 'x.sh', h('#!/bin/sh', '# name: X', '', '# description: d', 'echo hi', '# schedule: 5m'), 5, /^the header has no "# schedule:" line/],
    ['no header at all', 'x.sh', h('echo hi'), 1, /^the header has no "# name:" line/],
    ['empty value', 'x.sh', h('# name:', '# schedule: 5m'), 1, /^name is empty$/],
    ['given twice', 'x.sh', h('# name: A', '# schedule: 5m', '# name: B'), 3, /^name is given twice \(first on line 1\)$/],
    ['misspelt key', 'x.sh', h('# name: A', '# shedule: 5m'), 2, /^unknown header key "shedule" \(did you mean "schedule"\?\)$/],
    ['misspelt timeout', 'x.sh', h('# name: A', '# schedule: 5m', '# timout: 5'), 3, /did you mean "timeout"/],
    ['bad timeout', 'x.sh', h('# name: A', '# schedule: 5m', '# timeout: soon'), 3, /^timeout "soon" is not valid: "soon" is not a duration/],
    ['timeout too long', 'x.sh', h('# name: A', '# schedule: 5m', '# timeout: 2d'), 3, /^timeout "2d" is longer than 24h$/],
    ['version too long', 'x.sh', h('# name: A', '# schedule: 5m', `# version: ${'1'.repeat(65)}`), 3, /^version is longer than 64/],
    ['bad file name', 'bad id!.sh', h('# name: A', '# schedule: 5m'), 0, /^the file name gives the check id "bad id!", which does not match/],
    ['hidden file name', '.x.sh', h('# name: A', '# schedule: 5m'), 0, /^the file name gives the check id "\.x", which does not match/],
  ])('refuses %s', (_what, file, text, line, reason) => {
    let caught: unknown;
    try {
      parseCheckMetadata(text, `/checks/${file}`);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CheckMetadataError);
    const e = caught as CheckMetadataError;
    expect(e).toMatchObject({ code: 'CHECK_METADATA_INVALID', file, line });
    expect(e.reason).toMatch(reason);
    expect(e.message).toBe(line > 0 ? `${file} line ${line}: ${e.reason}` : `${file}: ${e.reason}`);
  });

  it('does not take `note:`, `usage:` or URLs for misspelt fields', () => {
    const def = parseCheckMetadata(h('# name: A', '# note: keep', '# usage: run it', '# https://example.com/x', '# schedule: 5m'), 'a.sh');
    expect(def.name).toBe('A');
  });

  it('reports an unreadable file as CHECK_UNREADABLE', async () => {
    await expect(readCheckMetadata(join(fixtures, 'missing.sh'))).rejects.toMatchObject({ code: 'CHECK_UNREADABLE', message: expect.stringMatching(/ENOENT/) });
  });

  it('points at the schedule line in the bad-schedule fixture', async () => {
    await expect(readCheckMetadata(join(fixtures, 'bad-schedule.sh'))).rejects.toMatchObject({
      line: 3,
      message: 'bad-schedule.sh line 3: schedule "every tuesday" is not valid: "every" is not a weekday (Mon, Tue, Wed, Thu, Fri, Sat, Sun or the full name)',
    });
  });
});
