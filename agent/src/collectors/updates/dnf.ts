/**
 * Pending updates on Fedora, RHEL and their rebuilds. `dnf check-update` refreshes expired
 * metadata itself (as non-root into a per-user cache), so it may use the network and take a
 * while: the checker's timeout bounds it.
 */
import { runIn, type CheckContext, type Updates } from './check-context.js';
import { lastLine, UpdateCheckError } from './update-check-error.js';

/** RPM architectures a package line can end in; anything else is a header or a message. */
const ARCH = String.raw`(?:x86_64|noarch|i[3-6]86|aarch64|ppc64le|ppc64|s390x|armv7hl|armv7l|armhfp|riscv64|src)`;
/** A package line starts, unindented, with name.arch (dnf wraps long names onto an indented continuation line). */
const PACKAGE_LINE = new RegExp(String.raw`^([^\s]+\.${ARCH})(?:\s|$)`);
/** name-[epoch:]version-release.arch anywhere in a line: the package column of updateinfo. */
const NEVRA = new RegExp(String.raw`(?:^|\s)([^\s]+-[^\s-]+-[^\s-]+\.${ARCH})(?=\s|$)`);

/**
 * `dnf -q check-update` lists `name.arch  version  repo` per update, then possibly an
 * "Obsoleting Packages" section (the obsoleting package unindented, what it replaces indented
 * below). A package can appear in both sections, so distinct name.arch are counted.
 */
export function parseDnfCheckUpdate(stdout: string): number {
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = PACKAGE_LINE.exec(line);
    if (m !== null) names.add(m[1]!);
  }
  return names.size;
}

/**
 * `dnf -q updateinfo list --security`: one line per (advisory, package); dnf 4 prints
 * `FEDORA-2024-... Important/Sec. pkg-ver-rel.arch`, dnf 5 a header then `ID type severity
 * package issued`. A package fixed by two advisories is one update: distinct packages are counted.
 */
export function parseDnfSecurity(stdout: string): number {
  const packages = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = NEVRA.exec(line);
    if (m !== null) packages.add(m[1]!);
  }
  return packages.size;
}

/** `needs-restarting -r` (dnf-utils): exit 1 = reboot needed, 0 = not; anything else = cannot tell. */
export function parseNeedsRestarting(code: number | null): boolean | null {
  return code === 1 ? true : code === 0 ? false : null;
}

export async function checkDnf(dnf: string, ctx: CheckContext): Promise<Updates> {
  const updates = await runIn(ctx, [dnf, '-q', 'check-update']);
  // Exit 100: updates available; 0: none; anything else (1) is an error.
  if (updates.code !== 0 && updates.code !== 100) {
    throw new UpdateCheckError('UPDATES_COMMAND_FAILED', `dnf check-update exited with ${updates.code ?? updates.signal}: ${lastLine(updates.stderr)}`);
  }
  const available = updates.code === 100 ? parseDnfCheckUpdate(updates.stdout) : 0;

  let security: number | null = 0;
  if (available > 0) {
    // Repositories without updateinfo metadata (many third-party ones) make this fail or say
    // nothing; a failure means "cannot tell", not "none".
    const sec = await runIn(ctx, [dnf, '-q', 'updateinfo', 'list', '--security']);
    security = sec.code === 0 ? parseDnfSecurity(sec.stdout) : null;
  }

  let rebootRequired: boolean | null = null;
  const needsRestarting = ctx.which('needs-restarting');
  if (needsRestarting !== null) rebootRequired = parseNeedsRestarting((await runIn(ctx, [needsRestarting, '-r'])).code);

  return { manager: 'dnf', available, security, rebootRequired, checkedAt: Math.round(ctx.now()) };
}
