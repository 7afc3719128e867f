// A stand-in for the hub's projector thread (projector-thread.int.test.ts): says it is ready, then
// ends on its own the way workerData.how says: an uncaught error, or process.exit(3).
import { parentPort, workerData } from 'node:worker_threads';

parentPort.postMessage({ kind: 'ready' });
parentPort.on('message', () => process.exit(0));
setTimeout(() => {
  if (workerData.how === 'throw') throw new Error('disk I/O error');
  process.exit(3);
}, 50);
