/**
 * The last lines of a systemd unit's journal, with their times, read once with
 * `journalctl --unit=UNIT -n N -o json` (an argument array; `--unit=` so that a name starting
 * with `-` cannot turn into an option).
 */
import { execFile } from 'node:child_process';
import { parseJournalEntry } from '../journal/follower.js';
import type { FeedLine } from './log-feed.js';

export type UnitTail = { ok: true; lines: FeedLine[] } | { ok: false; message: string };

export function unitTail(unit: string, n: number, timeoutMs = 5000): Promise<UnitTail> {
  if (n === 0) return Promise.resolve({ ok: true, lines: [] });
  return new Promise((resolve) => {
    execFile(
      'journalctl',
      ['--no-pager', '-o', 'json', '-n', String(n), `--unit=${unit}`],
      { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const why = code === 'ENOENT' ? 'journalctl is not installed' : (stderr.trim().split('\n').at(-1) ?? '') || err.message;
          resolve({ ok: false, message: `cannot read the journal of ${unit}: ${why.slice(0, 300)}` });
          return;
        }
        const only = new Set([unit]);
        const lines = stdout.split('\n').flatMap((json) => {
          const entry = json === '' ? null : parseJournalEntry(json, only);
          return entry === null ? [] : [entry.line];
        });
        resolve({ ok: true, lines: lines.slice(-n) });
      },
    );
  });
}
