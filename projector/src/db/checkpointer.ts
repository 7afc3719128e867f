/**
 * WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the COMMIT
 * that takes the WAL past `wal_autocheckpoint` pages: it copies those pages into the database
 * file and fsyncs both files on the folding thread, and nothing is folded meanwhile (a third of
 * live folding's time on the bench's 2-core VM). Here a second connection, in a worker thread,
 * runs PASSIVE checkpoints whenever the WAL has grown: a PASSIVE checkpoint takes no lock a
 * writer waits for, and copies only frames no reader still needs, so the folding connection
 * never waits for it.
 *
 * The WAL starts over from its beginning only when a checkpoint has copied all of it and a write
 * begins after that. A thread that always lags a commit behind never gets there, so the folding
 * connection keeps an automatic checkpoint at a higher mark (SAFETY_CHECKPOINT_PAGES): under
 * sustained writes that is what resets the WAL, and it is short (the thread copied the rest).
 * It also bounds the WAL if the thread falls behind or fails.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@sitrep/schemas';
import type { Db } from '../projections/projection.js';
import { describeWorkerError } from '../worker-error.js';

/** The folding connection's own checkpoint mark, in pages (16 MiB of 4 KiB pages). */
export const SAFETY_CHECKPOINT_PAGES = 4000;

export interface CheckpointerOptions {
  log: Logger;
  /** Pause between two checkpoints while the WAL keeps growing, ms. */
  minIntervalMs?: number;
  /** Longest pause (the WAL has not grown for a while), ms: the pause doubles up to it. */
  maxIntervalMs?: number;
}

/** One PASSIVE checkpoint that copied frames (SQLite's counts, in frames of the current WAL). */
export interface CheckpointDone {
  /** Frames in the WAL. */
  log: number;
  /** Of those, frames now copied into the database file. */
  checkpointed: number;
}

export interface Checkpointer {
  /** Called after each checkpoint that copied frames (a diagnosis; tests wait on it). */
  onCheckpoint: ((c: CheckpointDone) => void) | undefined;
  /** Stop the thread and close its connection (before the folding connection closes). */
  stop(): Promise<void>;
}

/**
 * The worker, in plain JavaScript: a worker thread does not inherit the TypeScript loader of the
 * thread that starts it. A message from the parent stops it.
 */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
// For the locks a connection takes to read the WAL's index; a PASSIVE checkpoint waits for none.
db.pragma('busy_timeout = 1000');
let delay = workerData.minMs;
let copied = 0;
let timer;
function tick() {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // This call copied frames: the count moved (it starts from 0 again when the WAL starts over).
    const progressed = r.checkpointed > 0 && r.checkpointed !== copied;
    copied = r.checkpointed;
    if (progressed) parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
    // Past the writer's mark its next commit checkpoints the rest and the WAL starts over: a
    // checkpoint here meanwhile would hold the lock that one needs, and the WAL would grow on.
    if (r.log >= workerData.safetyPages) delay = 5 * workerData.minMs;
    else delay = progressed ? workerData.minMs : Math.min(workerData.maxMs, delay * 2);
  } catch (err) {
    // Said to the parent, tried again later; meanwhile the writer's own checkpoints go on.
    parentPort.postMessage({ error: String(err && err.message) });
    delay = workerData.maxMs;
  }
  timer = setTimeout(tick, delay);
}
timer = setTimeout(tick, delay);
parentPort.once('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

/** Start checkpointing `db`'s file on a thread (a file database in WAL mode, as openDatabase opens it). */
export function startCheckpointer(db: Db, opts: CheckpointerOptions): Checkpointer {
  if (db.memory) return { onCheckpoint: undefined, stop: async () => undefined };
  db.pragma(`wal_autocheckpoint = ${SAFETY_CHECKPOINT_PAGES}`);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
      path: db.name,
      safetyPages: SAFETY_CHECKPOINT_PAGES,
      minMs: opts.minIntervalMs ?? 20,
      maxMs: opts.maxIntervalMs ?? 1000,
    },
  });
  // A checkpoint thread never keeps a process alive.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const checkpointer: Checkpointer = {
    onCheckpoint: undefined,
    async stop() {
      // Referenced again until it has closed its connection, or the process could end first.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
  worker.on('message', (m: CheckpointDone | { error: string }) => {
    if ('error' in m) opts.log.warn('checkpoint failed; trying again', { error: m.error });
    else checkpointer.onCheckpoint?.(m);
  });
  worker.on('error', (err: unknown) => {
    // The folding connection's own checkpoints go on: the WAL stays bounded, folding is slower.
    opts.log.error('checkpoint thread failed; the folding thread checkpoints alone', { error: describeWorkerError(err), file: db.name });
  });
  return checkpointer;
}
