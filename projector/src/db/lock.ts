/**
 * One writer per SQLite file (DESIGN.md section 8): a `<db>.lock` file holding the writer's PID.
 * A lock left by a process that no longer exists is taken over; a live one is refused.
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

export function lockDatabase(dbPath: string): () => void {
  if (dbPath === ':memory:') return () => undefined;
  const path = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new DatabaseLockedError(`${dbPath} is in use by process ${holder} (another projector or rebuild); stop it first`);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new DatabaseLockedError(`cannot lock ${dbPath}`);
}
