/**
 * The per-node event counter. `seq` must survive restarts (DESIGN.md section 4), so every value
 * is written to disk (temp file + rename, so a crash leaves the old or the new value, never half)
 * before the event carrying it is published. A lost write can only skip numbers, never reuse one.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class SequenceError extends Error {
  readonly code = 'SEQUENCE_CORRUPT';
}

export class Sequence {
  private last: number;
  private readonly path: string;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.path = join(stateDir, 'seq');
    this.last = Sequence.read(this.path);
  }

  private static read(path: string): number {
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) throw new SequenceError(`${path} holds ${JSON.stringify(text)}, not a sequence number`);
    return value;
  }

  /** The last number handed out (0 before the first event ever). */
  get current(): number {
    return this.last;
  }

  next(): number {
    const value = this.last + 1;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${value}\n`);
    renameSync(tmp, this.path);
    this.last = value;
    return value;
  }
}
