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
 *
 * Racing writers: the file is written in full under a name of its own and then hard-linked into
 * place (a reader never sees it empty, and the link fails if a lock exists); a stale lock is removed
 * by one process at a time, under a takeover file, and only if it still reads what was judged stale;
 * unlocking removes the file only if it still holds this lock's own token. Two racers can still
 * both win if a process died inside another's takeover (a window of a few system calls), or on a
 * file system without hard links (the lock is then created empty and written).
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

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
  // "PID START TOKEN" ("-" for an unknown start time); older files: "PID START" or "PID".
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

/** Put `content` at `path` unless a file is there: false if one is. Never visible half-written. */
function create(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, content, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    // A file system without hard links: an exclusive create (visible empty for an instant).
    try {
      writeFileSync(path, content, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (wxErr) {
      if ((wxErr as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw wxErr;
    }
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The file's text, or undefined when it is gone. */
function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Remove the lock at `path` if it still reads `judged`. One process at a time does this, under a
 * `.takeover` file of its own: without it, one racer could remove the lock another had just put
 * in place of the same stale one. A takeover file left by a process that died in those few
 * system calls is removed like a stale lock.
 */
function removeStale(path: string, judged: string, content: string): Holder | undefined {
  const guard = `${path}.takeover`;
  if (!create(guard, content)) {
    const text = readIfThere(guard);
    const holder = text === undefined ? undefined : parseHolder(text);
    if (text !== undefined && (holder === undefined || !holds(holder))) rmSync(guard, { force: true });
    return holder; // another process is (or was) taking it over: the caller looks again
  }
  try {
    if (readIfThere(path) === judged) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
  return undefined;
}

export function lockDatabase(dbPath: string): () => void {
  if (dbPath === ':memory:') return () => undefined;
  const path = `${dbPath}.lock`;
  const start = processStartTime(process.pid);
  // The token tells this lock from another of the same process (the hub's projector thread).
  const token = randomBytes(6).toString('hex');
  const content = start === undefined ? `${process.pid} - ${token}\n` : `${process.pid} ${start} ${token}\n`;
  let taker: Holder | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (create(path, content)) {
      return () => {
        // Only our own lock: one taken over from us (judged stale by mistake) is not ours to remove.
        if (readIfThere(path) === content) rmSync(path, { force: true });
      };
    }
    const text = readIfThere(path);
    if (text === undefined) continue; // released meanwhile
    const holder = parseHolder(text);
    if (holder !== undefined && holds(holder)) {
      const who = holder.pid === process.pid ? 'this process (another projector in it)' : `process ${holder.pid}`;
      throw new DatabaseLockedError(`${dbPath} is in use by ${who} (another projector or rebuild); stop it first`);
    }
    // Stale: its process is gone. Another process may be taking it over at this very moment.
    taker = removeStale(path, text, content) ?? taker;
  }
  const who = taker === undefined ? 'another process' : `process ${taker.pid}`;
  throw new DatabaseLockedError(`${dbPath} is being taken over by ${who} (its writer died); try again once that has started`);
}
