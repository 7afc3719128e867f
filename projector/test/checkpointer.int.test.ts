/**
 * WAL checkpoints on their own thread: given a folding connection that keeps writing, the thread
 * copies the WAL into the database file, the WAL stays bounded, the writer's own checkpoint mark
 * is the safety net, and stopping closes the thread's connection before the writer's.
 */
import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '@sitrep/schemas';
import { openDatabase, SAFETY_CHECKPOINT_PAGES, startCheckpointer, type CheckpointDone, type Db } from '../src/index.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sitrep-checkpointer-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `n` transactions of `rows` 1 KiB rows each into a scratch table. */
function write(db: Db, n: number, rows: number): void {
  db.exec('CREATE TABLE IF NOT EXISTS scratch (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO scratch (body) VALUES (randomblob(1024))');
  const tx = db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run();
  });
  for (let i = 0; i < n; i++) tx();
}

function nextCheckpoint(c: { onCheckpoint: ((d: CheckpointDone) => void) | undefined }, timeoutMs = 10_000): Promise<CheckpointDone> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no checkpoint within ${timeoutMs} ms`)), timeoutMs);
    c.onCheckpoint = (d) => {
      clearTimeout(timer);
      c.onCheckpoint = undefined;
      resolve(d);
    };
  });
}

describe('the checkpoint thread', () => {
  it('copies what was committed into the database file, off the writing connection', async () => {
    const path = join(dir, 'sitrep.db');
    const db = openDatabase(path);
    const c = startCheckpointer(db, { log: memoryLogger('checkpoints'), minIntervalMs: 5, maxIntervalMs: 50 });
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_CHECKPOINT_PAGES);
      const done = nextCheckpoint(c);
      // ~2 MiB: far below the writer's own mark, so only the thread checkpoints it.
      write(db, 20, 100);
      const d = await done;
      expect(d.checkpointed).toBeGreaterThan(0);
      // The rows are in the database file itself: a reader without the WAL's frames sees them.
      expect(statSync(path).size).toBeGreaterThan(1_000_000);
    } finally {
      await c.stop();
      db.close();
    }
  });

  it('keeps the WAL bounded while a writer commits without pause', async () => {
    const path = join(dir, 'sitrep.db');
    const db = openDatabase(path);
    const c = startCheckpointer(db, { log: memoryLogger('checkpoints') });
    try {
      // ~150 MiB in 1500 commits without a pause: ten times the writer's mark.
      write(db, 1500, 100);
      const pageBytes = (db.pragma('page_size', { simple: true }) as number) + 24;
      // The WAL starts over once all of it is copied: past the writer's mark only by what it
      // commits while a checkpoint of the thread holds the lock its own checkpoint needs (a few
      // hundred pages here, where a commit takes a fraction of a millisecond).
      expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(3 * SAFETY_CHECKPOINT_PAGES * pageBytes);
    } finally {
      await c.stop();
      db.close();
    }
  });

  it('stops cleanly, and a file database is all it works on', async () => {
    const db = openDatabase(join(dir, 'sitrep.db'));
    const c = startCheckpointer(db, { log: memoryLogger('checkpoints') });
    await c.stop();
    await c.stop();
    write(db, 1, 10);
    db.close();
    const memory = openDatabase(':memory:');
    await startCheckpointer(memory, { log: memoryLogger('checkpoints') }).stop();
    memory.close();
  });

  it('says so when the thread cannot work, and the writer goes on checkpointing alone', async () => {
    const path = join(dir, 'sitrep.db');
    const db = openDatabase(path);
    // The thread opens the file by name: moved away, it cannot (the writer keeps its open file).
    renameSync(path, join(dir, 'moved.db'));
    const log = memoryLogger('checkpoints');
    const c = startCheckpointer(db, { log });
    await c.stop(); // returns once the thread has ended, here on its own
    expect(log.lines).toContain(`checkpoints error checkpoint thread failed; the folding thread checkpoints alone error=SQLITE_CANTOPEN file=${path}`);
    // 24 MiB in 1 MiB commits: past the writer's own mark, so its checkpoint starts the WAL over.
    write(db, 24, 1024);
    expect(statSync(`${path}-wal`).size).toBeLessThan(2 * SAFETY_CHECKPOINT_PAGES * 4096);
    db.close();
  });
});
