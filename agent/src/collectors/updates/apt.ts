/**
 * Pending updates on Debian and Ubuntu: simulate `apt-get upgrade` and read its plan.
 *
 * `-s` simulates and works without root; `Debug::NoLocking` keeps a concurrent apt run (or
 * unattended-upgrades) from failing us on the lock, and we hold none ourselves. It does NOT
 * refresh the package lists (`apt-get update` needs root and the network): the answer is "what
 * the lists fetched by the host's own apt timer say", which is what an administrator would see.
 * `upgrade` also leaves out packages apt would keep back (new dependencies, phased updates).
 */
import { promises as fsp } from 'node:fs';
import { runIn, type CheckContext, type Updates } from './check-context.js';
import { lastLine, UpdateCheckError } from './update-check-error.js';

export function aptArgv(aptGet: string): string[] {
  return [aptGet, '-s', '-o', 'Debug::NoLocking=true', 'upgrade'];
}

/**
 * One `Inst` line per package to install:
 *   Inst libssl3 [3.0.11-1~deb12u1] (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])
 * The parenthesised part lists the archives carrying the candidate version; a candidate from a
 * `-security` suite (Debian `stable-security`, Ubuntu `jammy-security`) is a security update.
 */
export function parseAptSimulation(stdout: string): { available: number; security: number } {
  let available = 0;
  let security = 0;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('Inst ')) continue;
    available++;
    const origins = line.indexOf('(');
    if (origins !== -1 && /-security\b/i.test(line.slice(origins))) security++;
  }
  return { available, security };
}

/**
 * /run/reboot-required is written by update-notifier-common and unattended-upgrades' hooks
 * (/var/run is a symlink to /run on current systems; both are checked for older ones). Absent
 * means false; a path we cannot look at means we cannot tell (null).
 */
export async function aptRebootRequired(paths = ['/run/reboot-required', '/var/run/reboot-required']): Promise<boolean | null> {
  for (const path of paths) {
    try {
      await fsp.access(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return null;
    }
  }
  return false;
}

export async function checkApt(aptGet: string, ctx: CheckContext): Promise<Updates> {
  const out = await runIn(ctx, aptArgv(aptGet));
  // apt-get exits 100 on any error (unreadable lists, broken dependencies).
  if (out.code !== 0) {
    throw new UpdateCheckError('UPDATES_COMMAND_FAILED', `apt-get -s upgrade exited with ${out.code ?? out.signal}: ${lastLine(out.stderr)}`);
  }
  const { available, security } = parseAptSimulation(out.stdout);
  return { manager: 'apt', available, security, rebootRequired: await aptRebootRequired(), checkedAt: Math.round(ctx.now()) };
}
