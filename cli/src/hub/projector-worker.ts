/**
 * The hub's projector, in its own thread (see projector-thread.ts): runs `startProjector` with
 * the settings it was started with, sends its log lines to the main thread's logger, says when
 * it is ready, and stops cleanly when asked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startProjector, type RunningProjector } from '@sitrep/projector';
import type { LogFields, Logger } from '@sitrep/schemas';
import type { FromWorker, LogLevel, ProjectorThreadData, ToWorker } from './projector-protocol.js';

const port = parentPort;
if (port === null) throw new Error('projector-worker runs as a worker thread of `sitrep hub`');
const send = (m: FromWorker) => port.postMessage(m);

/** A logger whose lines the main thread writes, under the hub's `projector` logger. */
function forwardingLogger(path: string[]): Logger {
  const at = (level: LogLevel) => (message: string, fields?: LogFields) => send({ kind: 'log', path, level, message, ...(fields === undefined ? {} : { fields }) });
  return { info: at('info'), warn: at('warn'), error: at('error'), child: (name) => forwardingLogger([...path, name]) };
}

const data = workerData as ProjectorThreadData;
const log = forwardingLogger([]);
let projector: RunningProjector | undefined;

// Asked to stop: stop the projector (its last commit, its offline status), then end this thread
// (process.exit in a worker ends the thread only).
port.on('message', (m: ToWorker) => {
  if (m?.kind !== 'stop') return;
  const running = projector;
  projector = undefined;
  (running?.stop() ?? Promise.resolve()).then(
    () => process.exit(0),
    (err: unknown) => {
      log.error('stop failed', { error: err instanceof Error ? err.message : String(err) });
      process.exit(1);
    },
  );
});

try {
  projector = startProjector({ dbPath: data.dbPath, broker: data.broker, hub: data.hub, log });
  await projector.ready;
  send({ kind: 'ready' });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  await projector?.stop().catch(() => undefined);
  send({ kind: 'failed', name: e.name, message: e.message });
  process.exit(1);
}
