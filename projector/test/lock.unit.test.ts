import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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
  it('writes this process id, start time and a token of its own, refuses a second lock in the same process, and releases', () => {
    const path = dbPath();
    const unlock = lockDatabase(path);
    const start = processStartTime(process.pid);
    expect(start).toMatch(/^\d+$/);
    expect(readFileSync(`${path}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid} ${start} [0-9a-f]{12}\n$`));
    expect(readdirSync(dirname(path))).toEqual(['sitrep.db.lock']); // the file it was written under is gone
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
    expect(readFileSync(`${path}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid} ${processStartTime(process.pid)} `));
    unlock();
  });

  it('unlocks only its own lock: one that replaced it stays', () => {
    const path = dbPath();
    const unlock = lockDatabase(path);
    // Taken over meanwhile (another writer judged ours stale): removing it would let a third in.
    writeFileSync(`${path}.lock`, `${process.ppid} ${processStartTime(process.ppid)} 0123456789ab\n`);
    unlock();
    expect(readFileSync(`${path}.lock`, 'utf8')).toContain(`${process.ppid} `);
    expect(() => lockDatabase(path)).toThrow(new RegExp(`in use by process ${process.ppid} `));
  });

  it('two locks of one process hold different tokens: releasing the first leaves the second', () => {
    const path = dbPath();
    const first = lockDatabase(path);
    const firstText = readFileSync(`${path}.lock`, 'utf8');
    rmSync(`${path}.lock`); // as if judged stale and removed
    const second = lockDatabase(path);
    expect(readFileSync(`${path}.lock`, 'utf8')).not.toBe(firstText);
    first();
    expect(existsSync(`${path}.lock`)).toBe(true);
    second();
    expect(existsSync(`${path}.lock`)).toBe(false);
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

  it('treats an unreadable holder (garbage in the file) as stale, and leaves no file aside', () => {
    const path = dbPath();
    writeFileSync(`${path}.lock`, 'not a pid\n');
    const unlock = lockDatabase(path);
    expect(readdirSync(dirname(path))).toEqual(['sitrep.db.lock']);
    unlock();
    expect(readdirSync(dirname(path))).toEqual([]);
  });

  it('lets exactly one of several processes racing for a stale lock in', async () => {
    const path = dbPath();
    writeFileSync(`${path}.lock`, '999999999 1\n'); // stale: no such process
    const lockModule = new URL('../src/db/lock.ts', import.meta.url).href;
    // Each loads the module, says so, and tries at the parent's "go" (all within a millisecond or
    // so), then holds what it got until its stdin closes, so a late racer meets a live holder.
    const script = `const { lockDatabase } = await import(${JSON.stringify(lockModule)});
      process.stdout.write('ready\\n');
      process.stdin.once('data', () => {
        let r; try { lockDatabase(${JSON.stringify(path)}); r = 'got'; } catch (e) { r = e.code === 'DB_LOCKED' ? 'refused' : 'error ' + e.message; }
        process.stdout.write(r + '\\n');
      });
      process.stdin.on('end', () => process.exit(0));`;
    const racers = Array.from({ length: 4 }, () => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const line = async (child: (typeof racers)[number]) => ((await once(child.stdout!, 'data')) as [Buffer])[0].toString().trim();
    try {
      expect(await Promise.all(racers.map(line))).toEqual(['ready', 'ready', 'ready', 'ready']);
      const results = racers.map(line);
      for (const child of racers) child.stdin!.write('go\n');
      expect((await Promise.all(results)).sort()).toEqual(['got', 'refused', 'refused', 'refused']);
    } finally {
      for (const child of racers) child.stdin!.end();
      await Promise.all(racers.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    }
  }, 30_000);
});
