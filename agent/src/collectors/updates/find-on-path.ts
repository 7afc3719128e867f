/** Which package manager a host has, by looking for its binaries on PATH (no shell, no `which`). */
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** systemd's default PATH for services, for an agent started without one. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Errors that mean "not in this directory". */
const NOT_HERE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'ELOOP', 'ENAMETOOLONG']);

/** Absolute path of an executable file called `name` on PATH, or null. */
export function findOnPath(name: string, path: string = process.env['PATH'] || DEFAULT_PATH): string | null {
  for (const dir of path.split(':')) {
    // Relative entries (and the empty one, meaning ".") depend on the working directory: skip them.
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch (err) {
      if (!NOT_HERE.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  return null;
}

export type Which = (name: string) => string | null;

export interface PackageManager {
  name: 'apt' | 'dnf' | 'pacman';
  /** Absolute path of apt-get, dnf or pacman. */
  binary: string;
}

/** Debian-likes, then Fedora/RHEL-likes, then Arch-likes; a host with none is not supported (null). */
export function detectPackageManager(which: Which = findOnPath): PackageManager | null {
  const candidates = [['apt', 'apt-get'], ['dnf', 'dnf'], ['pacman', 'pacman']] as const;
  for (const [name, bin] of candidates) {
    const binary = which(bin);
    if (binary !== null) return { name, binary };
  }
  return null;
}
