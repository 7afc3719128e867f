/**
 * Size and usage of mounted filesystems with statfs(2), the syscall df makes, without spawning df.
 * A filesystem whose statfs fails or takes too long is left out of the snapshot, never fatal.
 */
import { promises as fsp } from 'node:fs';
import type { Metrics } from '@sitrep/schemas';
import { clampPercent } from './percent.js';
import type { MountEntry } from './proc-mounts.js';
import { settleWithin, TIMED_OUT } from './settle-within.js';

/** The statfs fields we use; block counts are in units of `bsize` (Linux sets f_frsize = f_bsize). */
export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

export type StatfsFn = (path: string) => Promise<FsStats>;

export interface DiskUsageOptions {
  /** Default fs.promises.statfs (Node >= 18.15). */
  statfs?: StatfsFn;
  /** How long one statfs may take before its filesystem is left out, ms. Default 1000. */
  timeoutMs?: number;
  /** Told about every filesystem left out, with why; the caller decides how loudly to say it. */
  onSkip: (mount: string, reason: string) => void;
}

type Disk = Metrics['disks'][number];

export function toDisk(entry: MountEntry, st: FsStats): Disk | null {
  const size = st.blocks * st.bsize;
  if (!(size > 0)) return null;
  // Like df: "used" excludes the root reserve, and the percentage is of what users can have
  // (used + available), so a full disk reads 100% even with the reserve left.
  const used = Math.max(0, (st.blocks - st.bfree) * st.bsize);
  const available = Math.max(0, st.bavail * st.bsize);
  const userSize = used + available;
  return {
    mount: entry.mount,
    fs: entry.fs.slice(0, 64),
    size,
    used,
    available,
    percent: clampPercent(userSize > 0 ? (used / userSize) * 100 : 0),
  };
}

export function createDiskUsage(opts: DiskUsageOptions): { collect(mounts: readonly MountEntry[]): Promise<Disk[]> } {
  const statfs: StatfsFn = opts.statfs ?? ((path) => fsp.statfs(path));
  const timeoutMs = opts.timeoutMs ?? 1000;
  // Mount points whose statfs has not returned yet. A hung NFS statfs holds one of libuv's four
  // threads until the server answers; asking again every cycle would soon hold all of them and
  // stall every other fs call and DNS lookup of the agent.
  const pending = new Set<string>();

  async function one(entry: MountEntry): Promise<Disk | null> {
    if (pending.has(entry.mount)) {
      opts.onSkip(entry.mount, 'statfs from an earlier snapshot has not returned yet');
      return null;
    }
    pending.add(entry.mount);
    const call = statfs(entry.mount).then(
      (st) => ({ st }),
      (err: NodeJS.ErrnoException) => ({ err }),
    );
    void call.finally(() => pending.delete(entry.mount));
    const outcome = await settleWithin(call, timeoutMs);
    if (outcome === TIMED_OUT) {
      opts.onSkip(entry.mount, `statfs took longer than ${timeoutMs} ms`);
      return null;
    }
    if ('err' in outcome) {
      // EACCES (a mount we may not look into), ENOENT (unmounted meanwhile), ESTALE (NFS).
      opts.onSkip(entry.mount, `statfs failed: ${outcome.err.code ?? outcome.err.message}`);
      return null;
    }
    return toDisk(entry, outcome.st);
  }

  return {
    async collect(mounts) {
      const disks = await Promise.all(mounts.map(one));
      return disks.filter((d): d is Disk => d !== null).slice(0, 1024);
    },
  };
}
