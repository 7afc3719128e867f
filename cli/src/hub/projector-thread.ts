/**
 * The hub runs its projector in a worker thread. Folding and the periodic alerting work are
 * synchronous SQLite calls; on the broker's thread every one of them held up aedes (every
 * client's packets, and the deliveries to the projector itself) for as long as it ran. In its
 * own thread the projector uses the second core and the broker stays responsive. It still
 * talks to the broker over a loopback MQTT connection, exactly as a separate `sitrep projector`.
 *
 * The main thread writes the worker's log lines under the hub's logger. A worker that dies
 * while the hub runs resolves `died`: the hub then stops cleanly and exits 1 (lifecycle.ts), so a
 * supervisor restarts the whole hub rather than leaving a broker without a projector.
 */
import { Worker } from 'node:worker_threads';
import { describeWorkerError } from '@sitrep/projector';
import type { Logger } from '@sitrep/schemas';
import { parseFromWorker, type ProjectorThreadData, type ToWorker } from './projector-protocol.js';

const WORKER_URL = new URL('../../bin/projector-worker.js', import.meta.url);
/** How long a clean stop may take before the thread is terminated. */
const STOP_TIMEOUT_MS = 15_000;

export interface ProjectorThread {
  /** Resolves when the projector is connected and subscribed; rejects if it could not start. */
  readonly ready: Promise<void>;
  /** Resolves (never rejects) with why, if the thread ends after `ready` without being asked to stop. */
  readonly died: Promise<Error>;
  stop(): Promise<void>;
}

export class ProjectorStartError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** `workerUrl`: the thread's script (tests start stand-ins that misbehave on purpose). */
export function startProjectorThread(data: ProjectorThreadData, log: Logger, workerUrl: URL = WORKER_URL): ProjectorThread {
  const worker = new Worker(workerUrl, { workerData: data, stdout: false, stderr: false });
  const loggers = new Map<string, Logger>([['', log]]);
  const loggerAt = (path: string[]): Logger => {
    const key = path.join('/');
    let l = loggers.get(key);
    if (l === undefined) {
      l = path.reduce((parent, name) => parent.child(name), log);
      loggers.set(key, l);
    }
    return l;
  };
  let stopping = false;
  let started = false;
  let markReady!: () => void;
  let failStart!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failStart = reject;
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let die!: (err: Error) => void;
  const died = new Promise<Error>((resolve) => (die = resolve));
  let failure: Error | undefined;

  worker.on('message', (raw: unknown) => {
    const parsed = parseFromWorker(raw);
    if (!parsed.ok) {
      log.error('unreadable message from the projector thread', { reason: parsed.reason });
      return;
    }
    const m = parsed.value;
    if (m.kind === 'log') loggerAt(m.path)[m.level](m.message, m.fields);
    else if (m.kind === 'ready') {
      started = true;
      markReady();
    } else if (m.kind === 'failed') failStart(new ProjectorStartError(m.name, m.message));
  });
  // An uncaught error ends the thread: 'error' comes first, then 'exit'.
  worker.on('error', (err: unknown) => {
    failure = new Error(describeWorkerError(err));
    log.error('projector thread failed', { error: failure.message });
  });
  void exited.then((code) => {
    if (!started) failStart(failure ?? new Error(`the projector thread exited (code ${code}) before it was ready`));
    else if (!stopping) die(new Error(`the projector thread ${failure === undefined ? `exited (code ${code})` : `failed: ${failure.message}`} while the hub runs`));
  });

  return {
    ready,
    died,
    async stop() {
      stopping = true;
      worker.postMessage({ kind: 'stop' } satisfies ToWorker);
      const timer = setTimeout(() => {
        log.warn('projector thread did not stop in time; terminating it', { ms: STOP_TIMEOUT_MS });
        void worker.terminate();
      }, STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
