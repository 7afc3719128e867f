/**
 * One writer per SQLite file (DESIGN.md section 8): a `<db>.lock` file holding the writer's PID and
 * that process's start time (`/proc/<pid>/stat`, field 22). A lock left by a process that no longer
 * exists is taken over; a live one is refused.
 *
 * Why the start time: a PID alone cannot tell "this process holds it" from "a process before a
 * reboot or container restart that happened to get the same PID held it". With the start time, a
 * lock whose PID is alive but started at another time is stale, and a lock of this very process
 * (the hub's projector thread shares the hub's PID) is refused like any other live holder.
 * Where /proc is unreadable, the PID alone decides, and a lock naming this PID counts as stale.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export class DatabaseLockedError extends Error {
  readonly code = 'DB_LOCKED';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Start time of a process in clock ticks since boot, or undefined where /proc cannot say. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself hold spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19]; // field 22 overall; fields[0] is field 3
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

interface Holder {
  pid: number;
  start?: string;
}

function parseHolder(text: string): Holder | undefined {
  const [pidText, start] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return start !== undefined && /^\d+$/.test(start) ? { pid, start } : { pid };
}

function holds(holder: Holder): boolean {
  if (holder.start !== undefined) {
    const now = processStartTime(holder.pid);
    if (now !== undefined) return now === holder.start;
  }
  return holder.pid !== process.pid && alive(holder.pid);
}

export function lockDatabase(dbPath: string): () => void {
  if (dbPath === ':memory:') return () => undefined;
  const path = `${dbPath}.lock`;
  const start = processStartTime(process.pid);
  const content = start === undefined ? `${process.pid}\n` : `${process.pid} ${start}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (readErr) {
        if ((readErr as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        throw readErr;
      }
      const holder = parseHolder(text);
      if (holder !== undefined && holds(holder)) {
        const who = holder.pid === process.pid ? 'this process (another projector in it)' : `process ${holder.pid}`;
        throw new DatabaseLockedError(`${dbPath} is in use by ${who} (another projector or rebuild); stop it first`);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new DatabaseLockedError(`cannot lock ${dbPath}`);
}
