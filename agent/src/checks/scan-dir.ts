/**
 * Reads a checks directory: every regular file in it (symlinks followed, subdirectories ignored)
 * is a check, except names that editors, package managers and `sitrep check add` leave behind:
 * hidden files (`.backups.sh.swp`, our own `.id.xxxx.tmp`), and names ending in `~`, `.swp`,
 * `.tmp`, `.bak`, `.orig`, `.rej`, `.disabled`, `.dpkg-*` or `.rpmnew`/`.rpmsave`. Renaming a
 * check to `x.sh.disabled` is the way to park it.
 *
 * Each file is reported with a fingerprint (inode, size, mtime, mode) so a rescan can tell which
 * files changed. Files are taken in name order, so when two files give the same id
 * (`backups.sh`, `backups.py`) the first keeps it and the second is refused.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckError, systemReason } from './errors.js';
import { checkIdFromFile, readCheckMetadata, type CheckDefinition } from './metadata.js';

const IGNORED_RE = /(?:^\.|~$|\.(?:swp|swo|tmp|bak|orig|rej|disabled|rpmnew|rpmsave)$|\.dpkg-[a-z]+$)/;

export function isCheckFileName(name: string): boolean {
  return !IGNORED_RE.test(name);
}

export interface ScannedCheck {
  def: CheckDefinition;
  fingerprint: string;
}

export interface InvalidCheckFile {
  /** Full path. */
  file: string;
  error: CheckError;
  fingerprint: string;
}

export interface ScanResult {
  checks: ScannedCheck[];
  invalid: InvalidCheckFile[];
  /** The directory does not exist (no checks, not an error). */
  missing: boolean;
}

/**
 * Loads every check in `dir`; `reservedIds` (configured probes) cannot be taken by a script.
 * Throws CheckError only when the directory exists but cannot be listed.
 */
export async function scanChecksDir(dir: string, reservedIds: ReadonlySet<string> = new Set()): Promise<ScanResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isCheckFileName).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { checks: [], invalid: [], missing: true };
    throw new CheckError('CHECK_UNREADABLE', `cannot list ${dir}: ${systemReason(err)}`, { cause: err });
  }
  const result: ScanResult = { checks: [], invalid: [], missing: false };
  const taken = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    let fingerprint: string;
    try {
      const s = await stat(file);
      if (!s.isFile()) continue;
      fingerprint = `${s.ino}:${s.size}:${s.mtimeMs}:${s.mode}`;
    } catch (err) {
      // Removed between readdir and stat: the next scan will not see it either.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      result.invalid.push({ file, fingerprint: 'unreadable', error: new CheckError('CHECK_UNREADABLE', `cannot stat ${file}: ${systemReason(err)}`, { cause: err }) });
      continue;
    }
    const id = checkIdFromFile(name);
    const owner = reservedIds.has(id) ? 'a configured probe' : taken.get(id);
    if (owner !== undefined) {
      result.invalid.push({ file, fingerprint, error: new CheckError('CHECK_ID_TAKEN', `${name}: the check id "${id}" is already used by ${owner}`) });
      continue;
    }
    try {
      const def = await readCheckMetadata(file);
      taken.set(id, name);
      result.checks.push({ def, fingerprint });
    } catch (err) {
      if (!(err instanceof CheckError)) throw err;
      result.invalid.push({ file, fingerprint, error: err });
    }
  }
  return result;
}
