export { startHub, type HubOptions, type RunningHub } from './hub/hub.js';
export { bootstrapHub } from './hub/bootstrap.js';
