/**
 * A unit's tail from the journal, through a real child process. This machine has no journald, so a
 * stand-in `journalctl` (a shell script first on PATH) records its arguments and prints entries
 * as `journalctl -o json` does.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unitTail } from '../../src/ipc/unit-tail.js';

const savedPath = process.env['PATH'];
let dir: string | undefined;
afterEach(() => {
  process.env['PATH'] = savedPath;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function fakeJournalctl(script: string): string {
  dir = mkdtempSync(join(tmpdir(), 'sitrep-journalctl-'));
  const file = join(dir, 'journalctl');
  writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\n${script}\n`);
  chmodSync(file, 0o755);
  process.env['PATH'] = `${dir}:${savedPath}`;
  return dir;
}

describe('unitTail', () => {
  it('reads the last entries with their times and priorities, the unit passed as --unit=', async () => {
    const d = fakeJournalctl(`cat <<'JSON'
{"__REALTIME_TIMESTAMP":"1700000000123456","_SYSTEMD_UNIT":"-odd.service","MESSAGE":"started","PRIORITY":"6"}
{"__REALTIME_TIMESTAMP":"1700000001000000","UNIT":"other.service","MESSAGE":"not ours"}
{"__REALTIME_TIMESTAMP":"1700000002000000","UNIT":"-odd.service","MESSAGE":[104,105],"PRIORITY":"3"}
JSON`);
    const r = await unitTail('-odd.service', 2);
    expect(r).toEqual({
      ok: true,
      lines: [
        { ts: 1_700_000_000_123, text: 'started', stream: 'journal', priority: 6 },
        { ts: 1_700_000_002_000, text: 'hi', stream: 'journal', priority: 3 },
      ],
    });
    expect(readFileSync(join(d, 'args'), 'utf8').trim().split('\n')).toEqual(['--no-pager', '-o', 'json', '-n', '2', '--unit=-odd.service']);
  });

  it('says why when the journal cannot be read', async () => {
    fakeJournalctl('echo "No journal files were found." >&2; exit 1');
    const r = await unitTail('nginx.service', 10);
    expect(r).toMatchObject({ ok: false, message: 'cannot read the journal of nginx.service: No journal files were found.' });
  });
});
