export { SqlitePersistence, DEFAULT_MAX_QUEUED_PER_CLIENT, type SqlitePersistenceOptions } from './sqlite-persistence.js';
export { openPersistence, type BrokerPersistence, type PersistenceOptions } from './open.js';
export type { OverflowStats } from './outgoing.js';
