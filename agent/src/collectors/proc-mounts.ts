/**
 * Which mounted filesystems are disks worth showing, from /proc/self/mounts (proc(5), fstab(5)
 * format): `device mountpoint fstype options dump pass`, one mount per line.
 */

export interface MountEntry {
  device: string;
  mount: string;
  fs: string;
}

/** Filesystems that are not disks: kernel, memory-backed and container overlay noise. */
const PSEUDO_FS = new Set([
  'tmpfs', 'devtmpfs', 'overlay', 'aufs', 'squashfs', 'erofs', 'proc', 'sysfs', 'devpts', 'mqueue',
  'debugfs', 'tracefs', 'securityfs', 'pstore', 'autofs', 'hugetlbfs', 'fusectl', 'configfs', 'bpf',
  'nsfs', 'ramfs', 'efivarfs', 'binfmt_misc', 'rpc_pipefs', 'nfsd', 'selinuxfs', 'shm', 'fuse',
]);

/**
 * cgroup/cgroup2 by prefix; fuse.* (sshfs, lxcfs, snapfuse, gvfsd-fuse, ...) because a FUSE
 * daemon can answer statfs slowly or never. fuseblk (ntfs-3g, exfat-fuse) is a real block device
 * and stays.
 */
export function isPseudoFs(fs: string): boolean {
  return PSEUDO_FS.has(fs) || fs.startsWith('cgroup') || fs.startsWith('fuse.');
}

/** The kernel escapes space, tab, newline and backslash in mount fields as octal: `\040`. */
export function decodeMountField(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export function parseMounts(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, mount, fs] = line.split(' ', 3);
    if (device === undefined || mount === undefined || fs === undefined) continue;
    entries.push({ device: decodeMountField(device), mount: decodeMountField(mount), fs });
  }
  return entries;
}

/**
 * Real filesystems only, each once, the root first then by path.
 * - The same mount point twice: the later mount hides the earlier one, and statfs sees the later.
 * - The same device twice (bind mounts, btrfs subvolumes): one filesystem, one row; keep the
 *   shortest path, which is the root or the original mount rather than a bind of a subdirectory.
 */
export function selectRealMounts(entries: readonly MountEntry[]): MountEntry[] {
  const byMount = new Map<string, MountEntry>();
  for (const e of entries) {
    byMount.delete(e.mount); // re-insert so the visible (last) mount keeps its own position
    byMount.set(e.mount, e);
  }
  const byDevice = new Map<string, MountEntry>();
  for (const e of byMount.values()) {
    if (isPseudoFs(e.fs)) continue;
    const seen = byDevice.get(e.device);
    if (seen === undefined || e.mount.length < seen.mount.length) byDevice.set(e.device, e);
  }
  // Code-point order, not localeCompare: the same on every host whatever its locale data.
  return [...byDevice.values()].sort((a, b) => (a.mount === '/' ? -1 : b.mount === '/' ? 1 : a.mount < b.mount ? -1 : a.mount > b.mount ? 1 : 0));
}
