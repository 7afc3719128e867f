export { startProjector, projectorDbPath, type ProjectorOptions, type RunningProjector } from './projector.js';
export { openDatabase, PROJECTIONS } from './db/open.js';
export { createIngest, type Ingest, type IngestOutcome } from './ingest/ingest.js';
export { consumerFilters } from './mqtt/consumer.js';
export { getNode, listNodes, type NodeRow } from './projections/nodes.js';
export { listDeadLetters, DEAD_LETTER_PAYLOAD_BYTES, type DeadLetter } from './projections/dead-letters.js';
export { checkpoint, eventsOf, type StoredEvent } from './projections/event-log.js';
