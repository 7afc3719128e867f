// The hub's projector thread (cli/src/hub/projector-thread.ts). A worker thread does not inherit
// the main thread's tsx loader on Node 20, so it registers its own, as bin/sitrep.js does.
import { register } from 'tsx/esm/api';

register();
await import('../src/hub/projector-worker.ts');
