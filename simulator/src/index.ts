export { startFleet, nodeIds, NODE_LIMIT, type Fleet, type FleetOptions, type FleetProgress, type FleetStats } from './fleet.js';
export { SimHost, type HostShape, type Outgoing } from './host.js';
export { SimNode } from './node.js';
export { enrollSimulatedNodes, simNodeId, type SimCredentials } from './enroll.js';
export { seededRandom } from './random.js';
