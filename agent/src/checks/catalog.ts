/**
 * What `sitrep check add|remove|list` needs, without a running agent: install a script into the
 * checks directory, remove one, list the checks with their last results (from the agent's
 * checks-state.json), and print them as a table. A running agent notices the change itself
 * (scheduler.ts watches the directory).
 */
import { randomHex } from '../random-hex.js';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { idProblem } from '@sitrep/schemas';
import { lastRunFromState, scriptEntry, infoOf } from './check-entry.js';
import { readCheckState, type CheckInfo } from './check-state.js';
import { CheckError, systemReason } from './errors.js';
import { checkIdFromFile, parseCheckMetadata, type CheckDefinition } from './metadata.js';
import { isCheckFileName, scanChecksDir, type InvalidCheckFile } from './scan-dir.js';

/** A check script is a text file; anything bigger is a mistake (a binary, a log). */
export const MAX_SCRIPT_BYTES = 1024 * 1024;

export interface AddCheckOptions {
  /** Replace an installed check with the same id (also one under another extension). */
  replace?: boolean;
}

export interface AddedCheck {
  /** The installed check; `path` is inside the directory. */
  check: CheckDefinition;
  /** Files of the same id that the new one replaced. */
  replaced: string[];
}

/** Installed files (check file names only) whose id is `id`. */
async function filesOf(dir: string, id: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CheckError('CHECK_UNREADABLE', `cannot list ${dir}: ${systemReason(err)}`, { cause: err });
  }
  return names.filter((n) => isCheckFileName(n) && checkIdFromFile(n) === id).map((n) => join(dir, n));
}

async function readScript(file: string): Promise<string> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new CheckError('CHECK_UNREADABLE', `${file} is not a regular file`);
    if (s.size > MAX_SCRIPT_BYTES) throw new CheckError('CHECK_UNREADABLE', `${file} is larger than ${MAX_SCRIPT_BYTES} bytes; a check is a script`);
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof CheckError) throw err;
    throw new CheckError('CHECK_UNREADABLE', `cannot read ${file}: ${systemReason(err)}`, { cause: err });
  }
}

/** Writes `text` to `target` with mode 0755 through a hidden temporary file and a rename. */
async function installAtomically(dir: string, target: string, text: string): Promise<void> {
  // Hidden, so a scanner that sees it half-written ignores it (scan-dir.ts).
  const tmp = join(dir, `.${basename(target)}.${randomHex(4)}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o755);
    try {
      await handle.writeFile(text);
      // The umask may have taken bits away from the open() mode.
      await handle.chmod(0o755);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (err) {
    const leftover = await rm(tmp, { force: true }).then(
      () => '',
      (rmErr: unknown) => ` (and cannot remove ${tmp}: ${systemReason(rmErr)})`,
    );
    throw new CheckError('CHECK_INSTALL_FAILED', `cannot install ${target}: ${systemReason(err)}${leftover}`, { cause: err });
  }
}

/**
 * Validates the metadata of `file` and installs it into `dir` under its own name, mode 0755,
 * atomically. Throws CheckMetadataError (with the line), or CheckError CHECK_EXISTS when the id is
 * installed and `replace` is not set, CHECK_UNREADABLE or CHECK_INSTALL_FAILED.
 */
export async function addCheck(dir: string, file: string, opts: AddCheckOptions = {}): Promise<AddedCheck> {
  const text = await readScript(file);
  const target = join(dir, basename(file));
  const parsed = parseCheckMetadata(text, file);
  const existing = await filesOf(dir, parsed.id);
  if (existing.length > 0 && opts.replace !== true) {
    throw new CheckError('CHECK_EXISTS', `a check with id "${parsed.id}" is already installed (${existing.join(', ')}); replace it to update`);
  }
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new CheckError('CHECK_INSTALL_FAILED', `cannot create ${dir}: ${systemReason(err)}`, { cause: err });
  }
  await installAtomically(dir, target, text);
  // Same id under another name (backups.py replaced by backups.sh): the old file goes.
  for (const old of existing.filter((f) => resolve(f) !== resolve(target))) await removeFile(old);
  return { check: { ...parsed, path: target }, replaced: existing };
}

async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CheckError('CHECK_INSTALL_FAILED', `cannot remove ${file}: ${systemReason(err)}`, { cause: err });
  }
}

/** Removes every file of check `id` from `dir`; returns them. Throws CheckError CHECK_ID_INVALID or CHECK_NOT_FOUND. */
export async function removeCheck(dir: string, id: string): Promise<string[]> {
  const problem = idProblem('check', id);
  if (problem !== null) throw new CheckError('CHECK_ID_INVALID', `invalid check id "${id.slice(0, 80)}": ${problem}`);
  const files = await filesOf(dir, id);
  if (files.length === 0) throw new CheckError('CHECK_NOT_FOUND', `no check "${id}" in ${dir}`);
  for (const f of files) await removeFile(f);
  return files;
}

export interface CheckListing {
  checks: CheckInfo[];
  invalid: InvalidCheckFile[];
}

/**
 * The checks in `dir` with their last results from `<stateDir>/checks-state.json` (when given),
 * plus the probes the agent recorded there; sorted by id. `nextRun` is the agent's last word
 * (null once it stopped). Scripts use `defaultTimeoutMs` when their header sets no timeout.
 */
export async function describeChecks(dir: string, stateDir?: string, defaultTimeoutMs = 20_000): Promise<CheckListing> {
  const state = stateDir === undefined ? null : await readCheckState(stateDir);
  const saved = state?.checks ?? {};
  const probeIds = new Set(Object.values(saved).filter((c) => c.kind === 'probe').map((c) => c.id));
  const scan = await scanChecksDir(dir, probeIds);
  const checks: CheckInfo[] = scan.checks.map(({ def, fingerprint }) => {
    const entry = scriptEntry(def, fingerprint, defaultTimeoutMs);
    const s = saved[def.id];
    if (s !== undefined) {
      entry.last = lastRunFromState(s);
      entry.nextRun = s.nextRun;
    }
    return infoOf(entry);
  });
  for (const s of Object.values(saved)) if (s.kind === 'probe') checks.push({ ...s, running: false });
  checks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { checks, invalid: scan.invalid };
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `2024-05-15 10:07:30` in the local time zone. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** A plain text table: ID NAME VERSION SCHEDULE STATUS LAST RUN NEXT RUN; `-` for unknown. */
export function formatCheckTable(checks: readonly CheckInfo[], formatTime: (ms: number) => string = formatLocalTime): string {
  if (checks.length === 0) return 'no checks\n';
  const header = ['ID', 'NAME', 'VERSION', 'SCHEDULE', 'STATUS', 'LAST RUN', 'NEXT RUN'];
  const rows = checks.map((c) => [
    c.id,
    c.name,
    c.version ?? '-',
    c.schedule,
    `${c.lastStatus ?? '-'}${c.running ? ' (running)' : ''}`,
    c.lastRun === null ? '-' : formatTime(c.lastRun),
    c.nextRun === null ? '-' : formatTime(c.nextRun),
  ]);
  return formatTable(header, rows);
}

/** A plain text table, columns padded to their widest cell, two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return `${[header, ...rows].map(line).join('\n')}\n`;
}
