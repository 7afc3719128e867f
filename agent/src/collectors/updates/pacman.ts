/**
 * Pending updates on Arch and its derivatives. `checkupdates` (pacman-contrib) syncs a private
 * copy of the databases, so it sees new packages without touching the system's; plain
 * `pacman -Qu` only compares against the databases of the last `pacman -Sy`. Arch publishes no
 * security metadata pacman can read and has no reboot flag, so both are null.
 */
import { runIn, type CheckContext, type Updates } from './check-context.js';
import { lastLine, UpdateCheckError } from './update-check-error.js';

/**
 * One line per update: `linux 6.9.1.arch1-1 -> 6.9.2.arch1-1`. pacman marks packages held by
 * IgnorePkg with ` [ignored]`; they will not be upgraded, so they do not count.
 */
export function parsePacmanUpdates(stdout: string): number {
  let n = 0;
  for (const line of stdout.split('\n')) {
    if (/^\S+ \S+ -> \S+/.test(line) && !line.endsWith('[ignored]')) n++;
  }
  return n;
}

export async function checkPacman(pacman: string, ctx: CheckContext): Promise<Updates> {
  const checkupdates = ctx.which('checkupdates');
  let available: number;
  if (checkupdates !== null) {
    const out = await runIn(ctx, [checkupdates]);
    // checkupdates: 0 = updates listed, 2 = none, 1 = failure (no network, no fakeroot).
    if (out.code === 2) available = 0;
    else if (out.code === 0) available = parsePacmanUpdates(out.stdout);
    else throw new UpdateCheckError('UPDATES_COMMAND_FAILED', `checkupdates exited with ${out.code ?? out.signal}: ${lastLine(out.stderr)}`);
  } else {
    const out = await runIn(ctx, [pacman, '-Qu']);
    // pacman -Qu exits 1 both when nothing matches and on errors; only the latter says "error:".
    if (out.code === 0) available = parsePacmanUpdates(out.stdout);
    else if (out.code === 1 && !/^error:/m.test(out.stderr)) available = 0;
    else throw new UpdateCheckError('UPDATES_COMMAND_FAILED', `pacman -Qu exited with ${out.code ?? out.signal}: ${lastLine(out.stderr)}`);
  }
  return { manager: 'pacman', available, security: null, rebootRequired: null, checkedAt: Math.round(ctx.now()) };
}
