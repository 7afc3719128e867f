export { startHub, type HubOptions, type RunningHub } from './hub/hub.js';
export { bootstrapHub } from './hub/bootstrap.js';
export { startProjectorThread, type ProjectorThread } from './hub/projector-thread.js';
