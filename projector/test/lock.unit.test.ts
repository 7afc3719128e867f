import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseLockedError, lockDatabase, processStartTime } from '../src/db/lock.js';

const dirs: string[] = [];
function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-lock-'));
  dirs.push(dir);
  return join(dir, 'sitrep.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('lockDatabase', () => {
  it('writes this process id and start time, refuses a second lock in the same process, and releases', () => {
    const path = dbPath();
    const unlock = lockDatabase(path);
    const start = processStartTime(process.pid);
    expect(start).toMatch(/^\d+$/);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(`${process.pid} ${start}\n`);
    // The hub's projector thread shares the hub's PID: a second writer in it is refused too.
    expect(() => lockDatabase(path)).toThrow(DatabaseLockedError);
    expect(() => lockDatabase(path)).toThrow(/in use by this process/);
    unlock();
    expect(existsSync(`${path}.lock`)).toBe(false);
    lockDatabase(path)();
  });

  it('takes over a lock of this PID from an earlier life (another start time): PID reuse after a restart', () => {
    const path = dbPath();
    writeFileSync(`${path}.lock`, `${process.pid} 1\n`);
    const unlock = lockDatabase(path);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(`${process.pid} ${processStartTime(process.pid)}\n`);
    unlock();
  });

  it('refuses while another live process holds it and takes over once that process is gone', async () => {
    const path = dbPath();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      const pid = child.pid!;
      writeFileSync(`${path}.lock`, `${pid} ${processStartTime(pid)}\n`);
      expect(() => lockDatabase(path)).toThrow(new RegExp(`in use by process ${pid} `));
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    lockDatabase(path)();
  });

  it('reads the old format (a PID alone): a live other process holds it, a dead one does not', async () => {
    const path = dbPath();
    writeFileSync(`${path}.lock`, `${process.ppid}\n`);
    expect(() => lockDatabase(path)).toThrow(new RegExp(`in use by process ${process.ppid} `));
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await once(child, 'exit');
    writeFileSync(`${path}.lock`, `${child.pid}\n`);
    lockDatabase(path)();
  });

  it('treats an unreadable holder (garbage in the file) as stale', () => {
    const path = dbPath();
    writeFileSync(`${path}.lock`, 'not a pid\n');
    lockDatabase(path)();
  });
});
