/**
 * Reads procfs files synchronously into one reused buffer. procfs content is generated in memory
 * when it is read, so a synchronous read never waits for a disk; it costs open + read + close
 * syscalls with no thread-pool hop and no allocation besides the returned string. Do not use it
 * for sysfs sensors or filesystems: those can be slow or hang (see sys-temperatures.ts, disk-usage.ts).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { MetricsError } from './metrics-error.js';

/** Ceiling for one file: /proc/self/mounts of a host with ~50k mounts; beyond it we refuse. */
const MAX_BYTES = 16 * 1024 * 1024;

export interface ProcFileReader {
  /**
   * The file's text. With `until`, only the text before the first occurrence of `until` is
   * decoded (the kernel still produces the whole file; this only saves decoding, e.g. the long
   * `intr` line of /proc/stat).
   */
  read(path: string, until?: string): string;
}

export function createProcFileReader(initialBytes = 16 * 1024): ProcFileReader {
  let buf = Buffer.allocUnsafe(initialBytes);
  return {
    read(path, until) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (err) {
        throw new MetricsError('PROC_READ_FAILED', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
      }
      let n = 0;
      try {
        for (;;) {
          if (n === buf.length) {
            if (buf.length >= MAX_BYTES) throw new MetricsError('PROC_FILE_TOO_LARGE', `${path} is larger than ${MAX_BYTES} bytes`);
            const bigger = Buffer.allocUnsafe(buf.length * 2);
            buf.copy(bigger, 0, 0, n);
            buf = bigger;
          }
          // procfs ignores the position for seq files but honours sequential reads from the fd.
          const got = readSync(fd, buf, n, buf.length - n, null);
          if (got === 0) break;
          n += got;
        }
      } catch (err) {
        if (err instanceof MetricsError) throw err;
        throw new MetricsError('PROC_READ_FAILED', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
      } finally {
        closeSync(fd);
      }
      const end = until === undefined ? -1 : buf.subarray(0, n).indexOf(until);
      return buf.toString('utf8', 0, end === -1 ? n : end);
    },
  };
}
