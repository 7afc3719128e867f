/** Units watched without being configured: every failed unit and units matching globs. */
import { execFile } from 'node:child_process';

function listUnits(args: string[], timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'systemctl',
      ['list-units', '--plain', '--no-legend', '--no-pager', '--full', ...args],
      { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 8 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`systemctl list-units: ${stderr.trim() || err.message}`)) : resolve(parseListUnits(stdout))),
    );
  });
}

/** First column of `systemctl list-units --plain --no-legend` (a leading ● marks failed units on old versions). */
export function parseListUnits(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/^[\u25CF*\s]+/, '').split(/\s+/)[0] ?? '')
    .filter((u) => u.length > 0);
}

export async function discoverUnits(opts: { failed: boolean; match: readonly string[] }, timeoutMs = 10_000): Promise<string[]> {
  const found = new Set<string>();
  if (opts.failed) for (const u of await listUnits(['--state=failed'], timeoutMs)) found.add(u);
  if (opts.match.length > 0) for (const u of await listUnits(['--all', '--', ...opts.match], timeoutMs)) found.add(u);
  return [...found].sort();
}
